import { describe, expect, it, vi } from 'vitest';
import type { LinkState } from '../bridge/ws-bridge.js';
import { chatMessage, FakeApi, queueItem, sessionState, technician } from '../test/fixtures.js';
import { createAppStore } from './index.js';
import { wireStore } from './wire.js';

function setup() {
  const api = new FakeApi();
  api.handlers['auth:status'] = () => ({ technician });
  const store = createAppStore();
  let setLink: (s: LinkState) => void = () => {};
  const dispose = wireStore(api, store, {
    onLinkChanged: (l) => {
      setLink = l;
      l('connecting');
      return () => {
        setLink = () => {};
      };
    },
    log: { warn: vi.fn() },
  });
  return { api, store, dispose, setLink: (s: LinkState) => setLink(s) };
}

describe('wireStore', () => {
  it('restores the signed-in technician each time the link opens', async () => {
    const { api, store, setLink } = setup();
    expect(api.calls).toHaveLength(0);
    setLink('open');
    await vi.waitFor(() => expect(store.getState().phase).toBe('signed-in'));
    setLink('closed');
    setLink('open');
    expect(api.calls.filter((c) => c.channel === 'auth:status')).toHaveLength(2);
    expect(store.getState().link).toBe('open');
  });

  it('lands every core event in the store', () => {
    const { api, store } = setup();
    api.emit('connection:changed', { state: 'online' });
    api.emit('queue:changed', { items: [queueItem()] });
    api.emit('session:changed', { state: sessionState() });
    api.emit('chat:history-loaded', { requestId: 'r1', messages: [chatMessage(1)] });
    api.emit('chat:received', { message: chatMessage(2) });
    api.emit('error:raised', { code: 'ERR_INTERNAL', message: 'Something broke.' });
    api.emit('script:started', { requestId: 'r1', runId: 4, name: 'Flush DNS' });
    api.emit('script:output-received', { requestId: 'r1', runId: 4, chunk: 'done\n' });
    api.emit('script:exited', { requestId: 'r1', runId: 4, code: 0 });
    const s = store.getState();
    expect(s.connection).toBe('online');
    expect(s.queue).toHaveLength(1);
    expect(s.session?.requestId).toBe('r1');
    expect(s.chat['r1']?.map((m) => m.id)).toEqual([1, 2]);
    expect(s.notice?.message).toBe('Something broke.');
    expect(s.scriptRuns).toEqual([{ requestId: 'r1', runId: 4, name: 'Flush DNS', output: 'done\n', dropped: 0, exit: { code: 0, error: null } }]);
  });

  it('its disposer unsubscribes everything and can be called twice', () => {
    const { api, store, dispose } = setup();
    dispose();
    dispose();
    expect(api.listenerCount()).toBe(0);
    api.emit('queue:changed', { items: [queueItem()] });
    expect(store.getState().queue).toHaveLength(0);
  });

  it('a lifeline:// link highlights a queued request, explains session links it cannot follow, and a jump link opens the jump list', () => {
    const { api, store } = setup();
    api.emit('queue:changed', { items: [queueItem()] });
    const id = store.getState().queue[0]!.requestId;
    api.emit('deep-link:opened', { target: 'session', id });
    expect(store.getState().highlighted).toBe(id);
    api.emit('deep-link:opened', { target: 'session', id: 'gone' });
    expect(store.getState().notice?.message).toMatch(/not in your queue/);
    api.emit('deep-link:opened', { target: 'jump', id: '7' });
    expect(store.getState().home).toBe('jump');
  });
});
