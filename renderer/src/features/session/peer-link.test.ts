import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decodeChannelMessage, encodeControl, encodeControls, encodeRect, PROTOCOL_VERSION, type ControlMessage } from '../../../../shared/channel.js';
import type { SignalData } from '../../../../shared/protocol.js';
import { FakeApi } from '../../test/fixtures.js';
import { PeerLink, type DecodedMessage, type PeerLike } from './peer-link.js';

class FakePeer implements PeerLike {
  connected = false;
  destroyed = false;
  signals: SignalData[] = [];
  sent: Uint8Array[] = [];
  private handlers = new Map<string, Array<(arg?: unknown) => void>>();
  constructor(readonly iceServers: unknown) {}
  on(event: string, listener: (arg: never) => void) {
    const list = this.handlers.get(event) ?? [];
    list.push(listener as (arg?: unknown) => void);
    this.handlers.set(event, list);
    return this;
  }
  fire(event: string, arg?: unknown) {
    for (const l of this.handlers.get(event) ?? []) l(arg);
  }
  signal(data: SignalData) {
    if (this.destroyed) throw new Error('destroyed');
    this.signals.push(data);
  }
  send(data: Uint8Array) {
    this.sent.push(data);
  }
  createDataChannel(): RTCDataChannel {
    throw new Error('no data channels in these tests');
  }
  destroy() {
    this.destroyed = true;
    this.connected = false;
  }
  /** Connects, and the agent says hello in our version (pass another to say that instead, or null for nothing). */
  connect(agentVersion: number | null = PROTOCOL_VERSION) {
    this.connected = true;
    this.fire('connect');
    if (agentVersion !== null) this.fire('data', encodeControl({ t: 'hello', version: agentVersion }));
  }
}

const HELLO = encodeControl({ t: 'hello', version: PROTOCOL_VERSION });

const ice = [{ urls: 'stun:stun.example' }];

function setup() {
  const api = new FakeApi();
  api.handlers['config:get'] = () => ({ iceServers: ice });
  api.handlers['signal:send'] = () => ({});
  const peers: FakePeer[] = [];
  const log = { warn: vi.fn(), info: vi.fn() };
  const link = new PeerLink({
    api,
    requestId: 'r1',
    createPeer: ({ iceServers }) => {
      const p = new FakePeer(iceServers);
      peers.push(p);
      return p;
    },
    retryDelayMs: 1000,
    connectTimeoutMs: 20_000,
    log,
  });
  const statuses: string[] = [];
  link.onStatus((s) => statuses.push(s));
  const messages: DecodedMessage[] = [];
  link.onMessage((m) => messages.push(m));
  const peer = () => peers[peers.length - 1]!;
  return { api, link, peers, peer, statuses, messages, log };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('PeerLink', () => {
  it('creates an initiating peer with the ICE servers from config:get once wanted', async () => {
    const { link, peers, peer, statuses } = setup();
    expect(peers).toHaveLength(0);
    link.setWanted(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(peers).toHaveLength(1);
    expect(peer().iceServers).toEqual(ice);
    peer().connect();
    expect(statuses).toEqual(['connecting', 'connected']);
  });

  it('sends its signals to the core and feeds the core\'s signals for this request to the peer', async () => {
    const { api, link, peer } = setup();
    link.setWanted(true);
    await vi.advanceTimersByTimeAsync(0);
    peer().fire('signal', { type: 'offer', sdp: 'v=0' });
    expect(api.calls.filter((c) => c.channel === 'signal:send')).toEqual([
      { channel: 'signal:send', payload: { requestId: 'r1', data: { type: 'offer', sdp: 'v=0' } } },
    ]);
    api.emit('signal:received', { requestId: 'r1', data: { type: 'answer', sdp: 'v=0' } });
    api.emit('signal:received', { requestId: 'other', data: { type: 'answer', sdp: 'v=1' } });
    expect(peer().signals).toEqual([{ type: 'answer', sdp: 'v=0' }]);
  });

  it('decodes data messages, and logs and drops invalid ones', async () => {
    const { link, peer, messages, log } = setup();
    link.setWanted(true);
    await vi.advanceTimersByTimeAsync(0);
    peer().connect();
    peer().fire('data', encodeControl({ t: 'screen', width: 800, height: 600 }));
    peer().fire('data', encodeRect({ encoding: 'solid', frame: 1, x: 0, y: 0, w: 8, h: 8 }, new Uint8Array(4), true)[0]);
    peer().fire('data', new Uint8Array([0x01, 0x7b]));
    expect(messages.map((m) => m.kind)).toEqual(['control', 'rect']);
    expect(log.warn).toHaveBeenCalledOnce();
  });

  it('an agent whose first message is another version, or no hello, shows one error and gets nothing, not even our hello', async () => {
    for (const first of [encodeControl({ t: 'hello', version: PROTOCOL_VERSION + 1 }), encodeControl({ t: 'consent', view: true, control: true })]) {
      const { link, peer, messages, log } = setup();
      link.setWanted(true);
      await vi.advanceTimersByTimeAsync(0);
      peer().connect(null);
      peer().fire('data', first);
      peer().fire('data', encodeControl({ t: 'screen', width: 800, height: 600 }));
      expect(messages).toEqual([{ kind: 'control', msg: { t: 'error', code: 'ERR_PROTOCOL_VERSION', message: expect.stringMatching(/^The agent speaks .*this console speaks version/) } }]);
      expect(log.warn).toHaveBeenCalledOnce();
      expect(link.send({ t: 'refresh' })).toBe(false);
      await vi.advanceTimersByTimeAsync(0);
      expect(peer().sent).toEqual([]);
      link.dispose();
    }
  });

  it('answers the agent\'s hello with ours, then what was sent before it, in order (the agent drops what comes before its side is open)', async () => {
    const { link, peer, messages } = setup();
    link.setWanted(true);
    await vi.advanceTimersByTimeAsync(0);
    peer().connect(null);
    expect(link.send({ t: 'quality', mode: 'low' })).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(link.send({ t: 'monitor', id: 'all' })).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(peer().sent).toEqual([]);
    peer().fire('data', HELLO);
    expect(peer().sent.map((b) => decodeChannelMessage(b))).toEqual([
      { kind: 'control', msg: { t: 'hello', version: PROTOCOL_VERSION } },
      { kind: 'controls', msgs: [{ t: 'quality', mode: 'low' }, { t: 'monitor', id: 'all' }] },
    ]);
    expect(messages).toEqual([]);
  });

  it('an agent\'s hello in our version is not handed on', async () => {
    const { link, peer, messages } = setup();
    link.setWanted(true);
    await vi.advanceTimersByTimeAsync(0);
    peer().connect();
    expect(messages).toEqual([]);
  });

  it('sends control messages only while connected', async () => {
    const { link, peer } = setup();
    const ack: ControlMessage = { t: 'ack', frame: 7 };
    expect(link.send(ack)).toBe(false);
    link.setWanted(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(link.send(ack)).toBe(false);
    peer().connect();
    expect(link.send(ack)).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(peer().sent).toEqual([HELLO, encodeControls([ack])]);
  });

  it('control messages sent in one task leave as one data-channel message, in order', async () => {
    const { link, peer } = setup();
    link.setWanted(true);
    await vi.advanceTimersByTimeAsync(0);
    peer().connect();
    link.send({ t: 'ack', frame: 3 });
    link.send({ t: 'key', keysym: 0x61, down: true });
    link.send({ t: 'key', keysym: 0x61, down: false });
    expect(peer().sent).toEqual([HELLO]);
    await vi.advanceTimersByTimeAsync(0);
    link.send({ t: 'refresh' });
    await vi.advanceTimersByTimeAsync(0);
    expect(peer().sent.slice(1).map((b) => decodeChannelMessage(b))).toEqual([
      { kind: 'controls', msgs: [{ t: 'ack', frame: 3 }, { t: 'key', keysym: 0x61, down: true }, { t: 'key', keysym: 0x61, down: false }] },
      { kind: 'control', msg: { t: 'refresh' } },
    ]);
  });

  it('replaces a peer that closes with a fresh one about a second later', async () => {
    const { link, peers, peer, statuses } = setup();
    const started = vi.fn();
    link.onPeerStarted(started);
    link.setWanted(true);
    await vi.advanceTimersByTimeAsync(0);
    peer().connect();
    const first = peer();
    first.fire('close');
    expect(first.destroyed).toBe(true);
    expect(statuses.at(-1)).toBe('reconnecting');
    await vi.advanceTimersByTimeAsync(999);
    expect(peers).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(peers).toHaveLength(2);
    expect(started).toHaveBeenCalledTimes(2);
    peer().connect();
    expect(statuses).toEqual(['connecting', 'connected', 'reconnecting', 'connecting', 'connected']);
  });

  it('an error followed by close makes one retry, not two', async () => {
    const { link, peers, peer } = setup();
    link.setWanted(true);
    await vi.advanceTimersByTimeAsync(0);
    const first = peer();
    first.fire('error', Object.assign(new Error('ice failed'), { code: 'ERR_ICE_CONNECTION_FAILURE' }));
    first.fire('close');
    await vi.advanceTimersByTimeAsync(5000);
    expect(peers).toHaveLength(2);
  });

  it('gives up on a peer that does not connect in time and tries a fresh offer', async () => {
    const { link, peers } = setup();
    link.setWanted(true);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(peers[0]!.destroyed).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(peers).toHaveLength(2);
  });

  it('rebuilds a connected peer whose ICE stays disconnected for the grace period, not one that recovers', async () => {
    const { link, peers, peer } = setup();
    link.setWanted(true);
    await vi.advanceTimersByTimeAsync(0);
    peer().connect();
    peer().fire('iceStateChange', 'disconnected');
    await vi.advanceTimersByTimeAsync(3000);
    peer().fire('iceStateChange', 'connected');
    await vi.advanceTimersByTimeAsync(5000);
    expect(peers).toHaveLength(1);
    peer().fire('iceStateChange', 'disconnected');
    await vi.advanceTimersByTimeAsync(4000);
    expect(peers[0]!.destroyed).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(peers).toHaveLength(2);
  });

  it('retries when config:get fails', async () => {
    const { api, link, peers, statuses } = setup();
    api.handlers['config:get'] = () => {
      throw new Error('offline');
    };
    link.setWanted(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(statuses).toEqual(['connecting', 'reconnecting']);
    api.handlers['config:get'] = () => ({ iceServers: [] });
    await vi.advanceTimersByTimeAsync(1000);
    expect(peers).toHaveLength(1);
  });

  it('destroys the peer when no longer wanted, and never retries', async () => {
    const { link, peers, peer, statuses } = setup();
    link.setWanted(true);
    await vi.advanceTimersByTimeAsync(0);
    peer().connect();
    link.setWanted(false);
    expect(peer().destroyed).toBe(true);
    expect(statuses.at(-1)).toBe('idle');
    peer().fire('close');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(peers).toHaveLength(1);
  });

  it('a peer abandoned while config:get is in flight is never created', async () => {
    const { api, link, peers } = setup();
    let answer: (v: unknown) => void = () => {};
    api.handlers['config:get'] = () => new Promise((r) => (answer = r));
    link.setWanted(true);
    link.setWanted(false);
    answer({ iceServers: [] });
    await vi.advanceTimersByTimeAsync(5000);
    expect(peers).toHaveLength(0);
  });

  it('ignores everything a destroyed peer still emits', async () => {
    const { api, link, peers, messages } = setup();
    link.setWanted(true);
    await vi.advanceTimersByTimeAsync(0);
    const old = peers[0]!;
    old.fire('close');
    await vi.advanceTimersByTimeAsync(1000);
    const signalsBefore = api.calls.length;
    old.fire('signal', { candidate: 'x' });
    old.fire('data', encodeControl({ t: 'refresh' }));
    old.fire('connect');
    expect(api.calls.length).toBe(signalsBefore);
    expect(messages).toEqual([]);
    expect(link.currentStatus).toBe('connecting');
  });

  it('dispose destroys the peer, unsubscribes from signals and is idempotent', async () => {
    const { api, link, peer } = setup();
    link.setWanted(true);
    await vi.advanceTimersByTimeAsync(0);
    link.dispose();
    link.dispose();
    expect(peer().destroyed).toBe(true);
    expect(api.listenerCount()).toBe(0);
  });
});
