import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LifelineError } from '../../../shared/errors.js';
import { technician } from '../test/fixtures.js';
import { WsBridge, type LinkState, type SocketLike } from './ws-bridge.js';

class FakeSocket implements SocketLike {
  sent: unknown[] = [];
  closed = false;
  onopen: SocketLike['onopen'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  onmessage: SocketLike['onmessage'] = null;
  send(data: string) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.closed = true;
  }
  open() {
    this.onopen?.({});
  }
  drop() {
    this.onerror?.({});
    this.onclose?.({});
  }
  receive(frame: unknown) {
    this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) });
  }
}

function setup() {
  const sockets: FakeSocket[] = [];
  const warn = vi.fn();
  const bridge = new WsBridge({
    url: 'ws://host/bridge',
    createSocket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    initialBackoffMs: 100,
    maxBackoffMs: 400,
    log: { warn },
  });
  const states: LinkState[] = [];
  bridge.onLinkChanged((s) => states.push(s));
  return { bridge, sockets, states, warn, socket: () => sockets[sockets.length - 1]! };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('WsBridge', () => {
  it('sends invokes made while connecting once the socket opens, and resolves with the checked result', async () => {
    const { bridge, socket } = setup();
    const p = bridge.invoke('auth:status', {});
    expect(socket().sent).toEqual([]);
    socket().open();
    expect(socket().sent).toEqual([{ kind: 'invoke', id: 1, channel: 'auth:status', payload: {} }]);
    socket().receive({ kind: 'result', id: 1, ok: true, value: { technician } });
    await expect(p).resolves.toEqual({ technician });
  });

  it('rejects with a LifelineError carrying the host\'s code and sentence', async () => {
    const { bridge, socket } = setup();
    socket().open();
    const p = bridge.invoke('auth:login', { username: 'ada', password: 'x' });
    socket().receive({ kind: 'result', id: 1, ok: false, error: { code: 'ERR_LOGIN_FAILED', message: 'Wrong user name or password.' } });
    const e = await p.catch((err: unknown) => err);
    expect(e).toBeInstanceOf(LifelineError);
    expect(e).toMatchObject({ code: 'ERR_LOGIN_FAILED', message: 'Wrong user name or password.' });
  });

  it('rejects a result that does not match the channel\'s response schema', async () => {
    const { bridge, socket } = setup();
    socket().open();
    const p = bridge.invoke('code:create', {});
    socket().receive({ kind: 'result', id: 1, ok: true, value: { code: 42 } });
    await expect(p).rejects.toMatchObject({ code: 'ERR_BAD_MESSAGE' });
  });

  it('delivers valid events and drops unknown or malformed ones', () => {
    const { bridge, socket, warn } = setup();
    socket().open();
    const got = vi.fn();
    bridge.on('connection:changed', got);
    socket().receive({ kind: 'event', event: 'connection:changed', payload: { state: 'online' } });
    socket().receive({ kind: 'event', event: 'connection:changed', payload: { state: 'sideways' } });
    socket().receive({ kind: 'event', event: 'nope:happened', payload: {} });
    socket().receive('not json');
    socket().receive({ kind: 'surprise' });
    expect(got).toHaveBeenCalledTimes(1);
    expect(got).toHaveBeenCalledWith({ state: 'online' });
    expect(warn).toHaveBeenCalledTimes(4);
  });

  it('a listener that throws does not stop the others', () => {
    const { bridge, socket } = setup();
    socket().open();
    const second = vi.fn();
    bridge.on('queue:changed', () => {
      throw new Error('boom');
    });
    bridge.on('queue:changed', second);
    socket().receive({ kind: 'event', event: 'queue:changed', payload: { items: [] } });
    expect(second).toHaveBeenCalledOnce();
  });

  it('an event disposer stops delivery', () => {
    const { bridge, socket } = setup();
    socket().open();
    const got = vi.fn();
    const off = bridge.on('queue:changed', got);
    off();
    off();
    socket().receive({ kind: 'event', event: 'queue:changed', payload: { items: [] } });
    expect(got).not.toHaveBeenCalled();
  });

  it('when the socket drops, pending invokes reject with ERR_NOT_CONNECTED and it reconnects with backoff', async () => {
    const { bridge, sockets, socket, states } = setup();
    socket().open();
    const pending = bridge.invoke('config:get', {});
    socket().drop();
    await expect(pending).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    // While waiting to reconnect, invokes fail at once instead of hanging.
    await expect(bridge.invoke('config:get', {})).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });

    vi.advanceTimersByTime(99);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    socket().drop(); // failed before opening: next wait doubles
    vi.advanceTimersByTime(199);
    expect(sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(3);
    socket().open();
    expect(states).toEqual(['connecting', 'open', 'closed', 'connecting', 'closed', 'connecting', 'open']);

    // A successful open resets the backoff.
    socket().drop();
    vi.advanceTimersByTime(100);
    expect(sockets).toHaveLength(4);
  });

  it('the backoff stops growing at its maximum', () => {
    const { sockets, socket } = setup();
    for (let i = 0; i < 6; i++) {
      socket().drop();
      vi.advanceTimersByTime(400);
    }
    expect(sockets).toHaveLength(7);
  });

  it('events from a socket that was replaced are ignored', () => {
    const { bridge, sockets, socket } = setup();
    socket().open();
    const old = sockets[0]!;
    old.drop();
    vi.advanceTimersByTime(100);
    const got = vi.fn();
    bridge.on('queue:changed', got);
    old.receive({ kind: 'event', event: 'queue:changed', payload: { items: [] } });
    expect(got).not.toHaveBeenCalled();
  });

  it('dispose closes the socket, rejects what is pending and stops reconnecting', async () => {
    const { bridge, sockets, socket } = setup();
    socket().open();
    const p = bridge.invoke('config:get', {});
    bridge.dispose();
    bridge.dispose();
    await expect(p).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    expect(sockets[0]!.closed).toBe(true);
    vi.advanceTimersByTime(10_000);
    expect(sockets).toHaveLength(1);
  });
});
