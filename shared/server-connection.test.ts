import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LifelineError, type ErrorCode } from './errors.js';
import { ServerToConsole } from './protocol.js';
import { ServerConnection, type ServerConnectionOptions, type SocketLike } from './server-connection.js';

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

/** A socket the test drives by hand: it opens, receives and drops when told. */
class FakeSocket implements SocketLike {
  readyState = CONNECTING;
  readonly sent: unknown[] = [];
  closeCalls = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;

  constructor(readonly url: string) {}

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(): void {
    this.closeCalls++;
    this.readyState = CLOSED;
  }

  open(): void {
    this.readyState = OPEN;
    this.onopen?.({});
  }

  receive(msg: unknown): void {
    this.onmessage?.({ data: typeof msg === 'string' ? msg : JSON.stringify(msg) });
  }

  /** The server or the network ends the connection. */
  drop(): void {
    this.readyState = CLOSED;
    this.onerror?.({});
    this.onclose?.({ code: 1006, reason: '' });
  }
}

const TECH = { id: 1, username: 'admin', displayName: 'Administrator', role: 'admin' };
const WELCOME = { type: 'welcome', technician: TECH, iceServers: [] };
const HELLO = { type: 'hello', role: 'console', token: 'tok' };

function setup(opts: Partial<ServerConnectionOptions<ServerToConsole>> = {}) {
  const sockets: FakeSocket[] = [];
  const onMessage = vi.fn<(m: ServerToConsole) => void>();
  const onInvalid = vi.fn<(reason: string) => void>();
  const onFatal = vi.fn<(code: ErrorCode, message: string) => void>();
  const onState = vi.fn<(s: 'connecting' | 'online' | 'offline') => void>();
  const conn = new ServerConnection<ServerToConsole>({
    url: 'ws://support.example/ws',
    socket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    schema: ServerToConsole,
    hello: () => HELLO,
    onMessage,
    onInvalid,
    onFatal,
    onState,
    fatalCodes: ['ERR_NOT_AUTHENTICATED'],
    minBackoffMs: 100,
    maxBackoffMs: 400,
    ...opts,
  });
  const last = () => sockets.at(-1)!;
  /** Start, open and receive the welcome: the connection is online. */
  const online = () => {
    conn.start();
    last().open();
    last().receive(WELCOME);
  };
  return { conn, sockets, last, online, onMessage, onInvalid, onFatal, onState };
}

/** A promise's outcome, without letting an expected rejection go unhandled. */
function settle<T>(p: Promise<T>) {
  const s: { state: 'pending' | 'resolved' | 'rejected'; error?: unknown } = { state: 'pending' };
  p.then(() => { s.state = 'resolved'; }, (e: unknown) => { s.state = 'rejected'; s.error = e; });
  return s;
}

/** Lets promise callbacks queued so far run. */
const flush = () => Promise.resolve();

beforeEach(() => {
  vi.useFakeTimers();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('ServerConnection', () => {
  it('says hello as soon as the socket opens', () => {
    const { conn, sockets, last, onState } = setup();
    conn.start();
    expect(sockets).toHaveLength(1);
    expect(last().url).toBe('ws://support.example/ws');
    expect(last().sent).toEqual([]);
    last().open();
    expect(last().sent).toEqual([HELLO]);
    expect(onState).toHaveBeenLastCalledWith('connecting');
    conn.stop();
  });

  it('is online only after the welcome', () => {
    const { conn, last, onState, onMessage } = setup();
    conn.start();
    last().open();
    expect(conn.online).toBe(false);
    expect(conn.send({ type: 'chat:send' })).toBe(false);
    last().receive(WELCOME);
    expect(conn.online).toBe(true);
    expect(onState).toHaveBeenLastCalledWith('online');
    expect(onMessage).toHaveBeenCalledWith(WELCOME);
    conn.stop();
  });

  it('request() resolves on the ack with its own ref, not another', async () => {
    const { conn, last, online } = setup();
    online();
    const first = settle(conn.request({ type: 'queue:accept', requestId: 'r1' }));
    const second = settle(conn.request({ type: 'queue:accept', requestId: 'r2' }));
    const [m1, m2] = last().sent.slice(1) as { ref: number }[];
    expect(m1).toEqual({ type: 'queue:accept', requestId: 'r1', ref: expect.any(Number) });
    expect(m2!.ref).not.toBe(m1!.ref);
    last().receive({ type: 'ack', ref: m2!.ref });
    await flush();
    expect(first.state).toBe('pending');
    expect(second.state).toBe('resolved');
    last().receive({ type: 'ack', ref: m1!.ref });
    await flush();
    expect(first.state).toBe('resolved');
    conn.stop();
  });

  it('request() rejects with a typed LifelineError on an error carrying its ref', async () => {
    const { conn, last, online, onMessage } = setup();
    online();
    const p = conn.request({ type: 'queue:accept', requestId: 'r1' });
    const { ref } = last().sent.at(-1) as { ref: number };
    last().receive({ type: 'error', code: 'ERR_ALREADY_TAKEN', message: 'Bob took it.', cause: 'queue:accept', ref });
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LifelineError);
    expect(err).toMatchObject({ code: 'ERR_ALREADY_TAKEN', message: 'Bob took it.' });
    // The caller handles its own error; listeners do not see it twice.
    expect(onMessage).not.toHaveBeenCalledWith(expect.objectContaining({ type: 'error' }));
    conn.stop();
  });

  it('passes an error without a pending ref to onMessage', () => {
    const { conn, last, online, onMessage } = setup();
    online();
    const error = { type: 'error', code: 'ERR_CONSENT', message: 'No.' };
    last().receive(error);
    last().receive({ ...error, ref: 999 });
    expect(onMessage).toHaveBeenCalledWith(error);
    expect(onMessage).toHaveBeenCalledWith({ ...error, ref: 999 });
    conn.stop();
  });

  it('sends messages failing the schema to onInvalid, not onMessage', () => {
    const { conn, last, online, onMessage, onInvalid } = setup();
    online();
    onMessage.mockClear();
    last().receive('not json {');
    last().receive({ type: 'queue:snapshot', items: 'many' });
    last().receive({ type: 'surprise' });
    last().receive({ type: 'error', code: 'ERR_TEAPOT', message: 'x' });
    expect(onInvalid).toHaveBeenCalledTimes(4);
    expect(onInvalid.mock.calls[0]![0]).toMatch(/not JSON/);
    expect(onInvalid.mock.calls[1]![0]).toMatch(/schema/);
    expect(onMessage).not.toHaveBeenCalled();
    conn.stop();
  });

  it('a fatal error in answer to hello calls onFatal and stops reconnecting', () => {
    const { conn, sockets, last, onFatal, onMessage } = setup();
    conn.start();
    last().open();
    last().receive({ type: 'error', code: 'ERR_NOT_AUTHENTICATED', message: 'Please sign in first.' });
    expect(onFatal).toHaveBeenCalledWith('ERR_NOT_AUTHENTICATED', 'Please sign in first.');
    expect(onMessage).toHaveBeenCalledWith(expect.objectContaining({ code: 'ERR_NOT_AUTHENTICATED' }));
    last().drop();
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
  });

  it('a non-fatal error in answer to hello still reconnects', () => {
    const { conn, sockets, last, onFatal } = setup();
    conn.start();
    last().open();
    last().receive({ type: 'error', code: 'ERR_INTERNAL', message: 'oops' });
    last().drop();
    vi.advanceTimersByTime(400);
    expect(onFatal).not.toHaveBeenCalled();
    expect(sockets).toHaveLength(2);
    conn.stop();
  });

  it('a fatal code after the welcome is not fatal: it answers a request, not the hello', () => {
    const { conn, sockets, last, online, onFatal } = setup();
    online();
    last().receive({ type: 'error', code: 'ERR_NOT_AUTHENTICATED', message: 'x' });
    expect(onFatal).not.toHaveBeenCalled();
    last().drop();
    vi.advanceTimersByTime(400);
    expect(sockets).toHaveLength(2);
    conn.stop();
  });

  it('reconnects after the socket closes and says hello again', () => {
    const { conn, sockets, last, online, onState } = setup();
    online();
    last().drop();
    expect(conn.online).toBe(false);
    expect(onState).toHaveBeenLastCalledWith('offline');
    expect(sockets).toHaveLength(1);
    // maxBackoffMs bounds the jittered delay.
    vi.advanceTimersByTime(400);
    expect(sockets).toHaveLength(2);
    last().open();
    expect(last().sent).toEqual([HELLO]);
    last().receive(WELCOME);
    expect(conn.online).toBe(true);
    conn.stop();
  });

  it('keeps retrying while the server stays unreachable', () => {
    const { conn, sockets, last } = setup();
    conn.start();
    for (let i = 1; i <= 5; i++) {
      expect(sockets).toHaveLength(i);
      last().drop();
      vi.advanceTimersByTime(400);
    }
    expect(sockets).toHaveLength(6);
    conn.stop();
  });

  it('retries when the socket factory throws', () => {
    let calls = 0;
    const { conn, sockets } = setup({
      socket: (url) => {
        if (calls++ === 0) throw new Error('bad url');
        const s = new FakeSocket(url);
        sockets.push(s);
        return s;
      },
    });
    conn.start();
    expect(sockets).toHaveLength(0);
    vi.advanceTimersByTime(400);
    expect(sockets).toHaveLength(1);
    conn.stop();
  });

  it('rejects pending requests with ERR_NOT_CONNECTED when the socket closes', async () => {
    const { conn, last, online } = setup();
    online();
    const p = conn.request({ type: 'session:end', requestId: 'r1' });
    last().drop();
    await expect(p).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    conn.stop();
  });

  it('rejects a request made while offline with ERR_NOT_CONNECTED without sending it', async () => {
    const { conn, last } = setup();
    conn.start();
    last().open();
    await expect(conn.request({ type: 'session:end', requestId: 'r1' })).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    expect(last().sent).toEqual([HELLO]);
    conn.stop();
  });

  it('stop() rejects pending requests, closes the socket once, and is idempotent', async () => {
    const { conn, last, online } = setup();
    online();
    const p = conn.request({ type: 'session:end', requestId: 'r1' });
    conn.stop();
    conn.stop();
    await expect(p).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    expect(last().closeCalls).toBe(1);
    expect(conn.online).toBe(false);
  });

  it('stop() prevents reconnecting, even with a reconnect already scheduled', () => {
    const { conn, sockets, last, online } = setup();
    online();
    last().drop();
    conn.stop();
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
  });

  it('a late close event from a stopped socket does not schedule a reconnect', () => {
    const { conn, sockets, last, online, onState } = setup();
    online();
    const s = last();
    const onclose = s.onclose;
    conn.stop();
    onclose?.({ code: 1000, reason: 'bye' });
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(1);
    expect(onState).not.toHaveBeenLastCalledWith('connecting');
  });
});
