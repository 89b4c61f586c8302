/** Builders for contract objects in unit tests. */
import type { ConsoleApi, Disposer, EventName, EventOf } from '../../../shared/console-contract.js';
import type { ChatMessage, QueueItem, SessionState, Technician } from '../../../shared/protocol.js';

export const technician: Technician = { id: 1, username: 'ada', displayName: 'Ada L.', role: 'technician' };

export function queueItem(over: Partial<QueueItem> = {}): QueueItem {
  return {
    requestId: 'r1', customerName: 'Bob', createdAt: 1000, status: 'waiting',
    agentOnline: false, portalOnline: true, agent: null, ...over,
  };
}

export function sessionState(over: Partial<SessionState> = {}): SessionState {
  return {
    requestId: 'r1', status: 'active', customerName: 'Bob',
    technician: { id: 1, displayName: 'Ada L.' },
    agentOnline: true, portalOnline: true, consoleOnline: true,
    consent: { view: true, control: false },
    grants: ['view', 'control', 'sysinfo', 'shell', 'scripts'],
    agent: { hostname: 'pc-42', os: 'Linux', user: 'bob' },
    endedReason: null, ...over,
  };
}

export function chatMessage(id: number, over: Partial<ChatMessage> = {}): ChatMessage {
  return { id, requestId: 'r1', from: 'user', author: 'Bob', text: `message ${id}`, at: id * 1000, clientId: null, ...over };
}

/** A ConsoleApi whose events the test fires and whose invokes it answers. */
export class FakeApi implements ConsoleApi {
  readonly calls: Array<{ channel: string; payload: unknown }> = [];
  handlers: Record<string, (payload: unknown) => unknown> = {};
  private readonly listeners = new Map<string, Set<(p: unknown) => void>>();

  invoke: ConsoleApi['invoke'] = async (channel, payload) => {
    this.calls.push({ channel, payload });
    const h = this.handlers[channel];
    if (!h) throw new Error(`no fake handler for ${channel}`);
    return (await h(payload)) as never;
  };

  on<E extends EventName>(event: E, listener: (payload: EventOf<E>) => void): Disposer {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    const l = listener as (p: unknown) => void;
    set.add(l);
    return () => set.delete(l);
  }

  emit<E extends EventName>(event: E, payload: EventOf<E>): void {
    for (const l of this.listeners.get(event) ?? []) l(payload);
  }

  listenerCount(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }
}
