import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SocketLike } from '../../../shared/server-connection.js';
import { JumpLink, type LinkStop } from './link.js';

/** A socket the test drives: it opens, receives and closes when told. */
class FakeSocket implements SocketLike {
  readyState = 0;
  sent: Record<string, unknown>[] = [];
  terminated = false;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  send(data: string) {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(code = 1000, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  terminate() {
    this.terminated = true;
    this.close(1006, '');
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(msg: object) {
    this.onmessage?.({ data: JSON.stringify(msg) });
  }
}

let sockets: FakeSocket[];
let stops: LinkStop[];
let offers: unknown[];

let logged: string[];

function link(heartbeatSeconds = 10) {
  const l = new JumpLink({
    url: 'ws://server/ws',
    hello: () => ({ type: 'hello', role: 'jump', credential: 'c' }),
    heartbeatSeconds,
    onSession: (o) => offers.push(o),
    onStop: (s) => stops.push(s),
    log: (m) => logged.push(m),
    socket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    random: () => 0.5,
  });
  l.start();
  return l;
}

const welcome = { type: 'welcome', clientId: 1, name: 'kiosk' };

beforeEach(() => {
  vi.useFakeTimers();
  sockets = [];
  stops = [];
  offers = [];
  logged = [];
});
afterEach(() => vi.useRealTimers());

describe('JumpLink', () => {
  it('says once, in words, that the server\'s certificate is not trusted, and keeps retrying', () => {
    link();
    for (let i = 0; i < 3; i++) {
      const s = sockets.at(-1)!;
      s.onerror?.({ error: Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }) });
      s.close(1006, '');
      vi.advanceTimersByTime(10_000);
    }
    expect(sockets.length).toBeGreaterThan(3);
    expect(logged.filter((m) => m.includes('does not trust (DEPTH_ZERO_SELF_SIGNED_CERT)'))).toHaveLength(1);
  });

  it('says hello with its credential and passes on the sessions it is offered', () => {
    link();
    sockets[0]!.open();
    expect(sockets[0]!.sent[0]).toMatchObject({ type: 'hello', role: 'jump', credential: 'c' });
    sockets[0]!.receive(welcome);
    sockets[0]!.receive({ type: 'jump:session', session: { requestId: 'r1', joinKey: 'k', prompt: null } });
    expect(offers).toEqual([{ requestId: 'r1', joinKey: 'k', prompt: null }]);
  });

  it('reconnects after 1, 2, 4 s while the server is away, and from 1 s again once it was back', () => {
    link();
    sockets[0]!.close();
    for (const [i, delay] of [[1, 1000], [2, 2000], [3, 4000]] as const) {
      vi.advanceTimersByTime(delay - 1);
      expect(sockets).toHaveLength(i);
      vi.advanceTimersByTime(1);
      expect(sockets).toHaveLength(i + 1);
      if (i < 3) sockets[i]!.close();
    }
    sockets[3]!.open();
    sockets[3]!.receive(welcome);
    sockets[3]!.close();
    vi.advanceTimersByTime(1000);
    expect(sockets).toHaveLength(5);
  });

  it('waits as long as the server asks when it is rate limited', () => {
    link();
    sockets[0]!.open();
    sockets[0]!.receive({ type: 'error', code: 'ERR_RATE_LIMITED', message: 'busy', cause: 'hello', retryAfterMs: 7000 });
    sockets[0]!.close(4001, 'ERR_RATE_LIMITED');
    // random 0.5 adds 5 %.
    vi.advanceTimersByTime(7349);
    expect(sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(sockets).toHaveLength(2);
    expect(stops).toEqual([]);
  });

  it('stops for good when the credential is refused', () => {
    link();
    sockets[0]!.open();
    sockets[0]!.receive({ type: 'error', code: 'ERR_NOT_AUTHENTICATED', message: 'not known', cause: 'hello' });
    sockets[0]!.close(4001, 'ERR_NOT_AUTHENTICATED');
    vi.advanceTimersByTime(600_000);
    expect(sockets).toHaveLength(1);
    expect(stops).toEqual([{ kind: 'refused', code: 'ERR_NOT_AUTHENTICATED', message: 'not known' }]);
  });

  it('uninstalls when told to, also if the refusal never arrives', () => {
    link();
    sockets[0]!.open();
    sockets[0]!.receive(welcome);
    sockets[0]!.receive({ type: 'jump:uninstall', reason: 'removed' });
    sockets[0]!.close(1006, '');
    vi.advanceTimersByTime(600_000);
    expect(sockets).toHaveLength(1);
    expect(stops).toEqual([{ kind: 'uninstall', reason: 'removed' }]);
  });

  it('sends heartbeats and drops a connection whose server stopped answering', () => {
    link(10);
    sockets[0]!.open();
    sockets[0]!.receive(welcome);
    vi.advanceTimersByTime(10_000);
    expect(sockets[0]!.sent.at(-1)).toMatchObject({ type: 'jump:heartbeat', ref: 1 });
    sockets[0]!.receive({ type: 'ack', ref: 1 });
    vi.advanceTimersByTime(20_000);
    expect(sockets[0]!.terminated).toBe(false);
    // No answers for more than 2.5 heartbeats.
    vi.advanceTimersByTime(10_000);
    expect(sockets[0]!.terminated).toBe(true);
    vi.advanceTimersByTime(1000);
    expect(sockets).toHaveLength(2);
  });

  it('ignores what does not match the protocol', () => {
    link();
    sockets[0]!.open();
    sockets[0]!.receive({ type: 'jump:session', session: { requestId: 5 } });
    sockets[0]!.onmessage?.({ data: 'not json' });
    expect(offers).toEqual([]);
    expect(stops).toEqual([]);
  });
});
