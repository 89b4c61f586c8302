import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeChannelMessage, encodeControl, PROTOCOL_VERSION } from '../../../../shared/channel.js';
import { createAppStore } from '../../store/index.js';
import { FakeChannel } from '../../test/fake-tools.js';
import { FakeApi, sessionState } from '../../test/fixtures.js';
import type { PeerLike } from './peer-link.js';
import { SessionPeers } from './session-peers.js';

const HELLO = encodeControl({ t: 'hello', version: PROTOCOL_VERSION });

class FakePeer implements PeerLike {
  connected = false;
  destroyed = false;
  private handlers = new Map<string, Array<(arg?: unknown) => void>>();
  on(event: string, listener: (arg: never) => void) {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), listener as (arg?: unknown) => void]);
    return this;
  }
  fire(event: string, arg?: unknown) {
    for (const l of this.handlers.get(event) ?? []) l(arg);
  }
  sent: Uint8Array[] = [];
  signal() {}
  send(data: Uint8Array) {
    this.sent.push(data);
  }
  channels: FakeChannel[] = [];
  createDataChannel(): RTCDataChannel {
    const channel = new FakeChannel();
    this.channels.push(channel);
    return channel as unknown as RTCDataChannel;
  }
  destroy() {
    this.destroyed = true;
  }
}

function setup(clipboard: { writeText: (t: string) => Promise<void> } | null = null) {
  const api = new FakeApi();
  api.handlers['config:get'] = () => ({ iceServers: [] });
  const store = createAppStore();
  const peers: FakePeer[] = [];
  const controller = new SessionPeers({
    api,
    store,
    clipboard,
    createPeer: () => {
      const p = new FakePeer();
      peers.push(p);
      return p;
    },
    link: { log: { warn: vi.fn(), info: vi.fn() } },
  });
  const changes = vi.fn();
  controller.subscribe(changes);
  return { api, store, peers, controller, changes, peer: () => peers[peers.length - 1]! };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('SessionPeers', () => {
  it('connects once the session is active and its agent online, and reports the status to the store', async () => {
    const { store, peers, peer, controller } = setup();
    store.getState().sessionChanged(sessionState({ agentOnline: false }));
    await vi.advanceTimersByTimeAsync(0);
    expect(controller.current()).not.toBeNull();
    expect(peers).toHaveLength(0);
    store.getState().sessionChanged(sessionState({ agentOnline: true }));
    await vi.advanceTimersByTimeAsync(0);
    expect(peers).toHaveLength(1);
    peer().connected = true;
    peer().fire('connect');
    expect(store.getState().peer).toBe('connected');
  });

  it('opens the session\'s tools channel on each connected peer and reports it to the store', async () => {
    const { store, peer, controller } = setup();
    store.getState().sessionChanged(sessionState());
    await vi.advanceTimersByTimeAsync(0);
    expect(controller.currentTools()).not.toBeNull();
    peer().connected = true;
    peer().fire('connect');
    const channel = peer().channels[0]!;
    channel.open();
    expect(store.getState().toolsOpen).toBe(true);
    expect(controller.currentTools()!.isOpen).toBe(true);
    store.getState().sessionChanged(sessionState({ status: 'ended' }));
    expect(channel.closed).toBe(true);
    expect(controller.currentTools()).toBeNull();
    expect(store.getState().toolsOpen).toBe(false);
  });

  it('the agent\'s consent, errors and screen size reach the store', async () => {
    const { store, peer } = setup();
    store.getState().sessionChanged(sessionState());
    await vi.advanceTimersByTimeAsync(0);
    peer().fire('data', HELLO); // the agent's, first
    peer().fire('data', encodeControl({ t: 'consent', view: true, control: false }));
    peer().fire('data', encodeControl({ t: 'screen', width: 1024, height: 768 }));
    expect(store.getState()).toMatchObject({ agentConsent: { view: true, control: false }, remoteScreen: { width: 1024, height: 768 } });
  });

  it('does not renegotiate when unrelated session state changes', async () => {
    const { store, peers } = setup();
    store.getState().sessionChanged(sessionState());
    await vi.advanceTimersByTimeAsync(0);
    store.getState().sessionChanged(sessionState({ consent: { view: true, control: true } }));
    store.getState().sessionChanged(sessionState({ portalOnline: false }));
    await vi.advanceTimersByTimeAsync(5000);
    expect(peers).toHaveLength(1);
    expect(peers[0]!.destroyed).toBe(false);
  });

  it('destroys the peer when the agent goes offline and makes a new one when it is back', async () => {
    const { store, peers } = setup();
    store.getState().sessionChanged(sessionState());
    await vi.advanceTimersByTimeAsync(0);
    store.getState().sessionChanged(sessionState({ agentOnline: false }));
    expect(peers[0]!.destroyed).toBe(true);
    expect(store.getState().peer).toBe('idle');
    store.getState().sessionChanged(sessionState({ agentOnline: true }));
    await vi.advanceTimersByTimeAsync(0);
    expect(peers).toHaveLength(2);
  });

  it('drops the link when the session ends, and tells subscribers', async () => {
    const { store, peers, controller, changes } = setup();
    store.getState().sessionChanged(sessionState());
    await vi.advanceTimersByTimeAsync(0);
    expect(changes).toHaveBeenCalledTimes(1);
    store.getState().sessionChanged(sessionState({ status: 'ended' }));
    expect(peers[0]!.destroyed).toBe(true);
    expect(controller.current()).toBeNull();
    expect(changes).toHaveBeenCalledTimes(2);
    expect(store.getState().peer).toBe('idle');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(peers).toHaveLength(1);
  });

  it('dispose destroys the peer and stops following the store', async () => {
    const { api, store, peers, controller } = setup();
    store.getState().sessionChanged(sessionState());
    await vi.advanceTimersByTimeAsync(0);
    controller.dispose();
    controller.dispose();
    expect(peers[0]!.destroyed).toBe(true);
    expect(api.listenerCount()).toBe(0);
    store.getState().sessionDismissed();
    store.getState().sessionChanged(sessionState({ requestId: 'r2' }));
    await vi.advanceTimersByTimeAsync(1000);
    expect(peers).toHaveLength(1);
  });

  it('monitors, quality and the remote clipboard reach the store, and the clipboard text the technician\'s clipboard', async () => {
    const written: string[] = [];
    const { store, peer } = setup({ writeText: async (t) => void written.push(t) });
    store.getState().sessionChanged(sessionState({ consent: { view: true, control: true } }));
    await vi.advanceTimersByTimeAsync(0);
    const monitors = [{ id: 'screen', name: 'Screen', x: 0, y: 0, width: 800, height: 600, primary: true }];
    peer().fire('data', HELLO); // the agent's, first
    peer().fire('data', encodeControl({ t: 'monitors', monitors, selected: 'all' }));
    peer().fire('data', encodeControl({ t: 'quality-changed', mode: 'best', effective: 'lossless', jpegQuality: 90 }));
    peer().fire('data', encodeControl({ t: 'clipboard', selection: 'clipboard', text: 'from the remote side' }));
    peer().fire('data', encodeControl({ t: 'clipboard', selection: 'primary', text: 'just selected' }));
    await vi.advanceTimersByTimeAsync(0);
    expect(store.getState()).toMatchObject({
      monitors: { list: monitors, selected: 'all' },
      quality: { mode: 'best', effective: 'lossless' },
      remoteClipboard: { text: 'from the remote side', copied: 'copied' },
    });
    expect(written).toEqual(['from the remote side']);
  });

  it('says so when the browser refuses the technician\'s clipboard, or has none', async () => {
    for (const clipboard of [{ writeText: () => Promise.reject(new Error('Document is not focused.')) }, null]) {
      const { store, peer } = setup(clipboard);
      store.getState().sessionChanged(sessionState());
      await vi.advanceTimersByTimeAsync(0);
      peer().fire('data', HELLO); // the agent's, first
      peer().fire('data', encodeControl({ t: 'clipboard', selection: 'clipboard', text: 'x' }));
      await vi.advanceTimersByTimeAsync(0);
      expect(store.getState().remoteClipboard).toEqual({ text: 'x', copied: 'not-copied' });
    }
  });

  it('tells every new peer the monitor and quality the technician chose', async () => {
    const { store, peer, peers } = setup();
    store.getState().sessionChanged(sessionState());
    await vi.advanceTimersByTimeAsync(0);
    peer().connected = true;
    peer().fire('connect');
    peer().fire('data', HELLO); // the agent's
    expect(peer().sent).toEqual([HELLO]);
    store.getState().monitorChosen('HDMI-1');
    store.getState().qualityChosen('low');
    peer().fire('close');
    await vi.advanceTimersByTimeAsync(1000);
    expect(peers).toHaveLength(2);
    peer().connected = true;
    peer().fire('connect');
    await vi.advanceTimersByTimeAsync(0);
    peer().fire('data', HELLO); // the agent's
    expect(peer().sent.map((b) => decodeChannelMessage(b))).toEqual([
      { kind: 'control', msg: { t: 'hello', version: PROTOCOL_VERSION } },
      { kind: 'controls', msgs: [{ t: 'monitor', id: 'HDMI-1' }, { t: 'quality', mode: 'low' }] },
    ]);
  });
});
