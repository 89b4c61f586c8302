/**
 * The router against the real server over real sockets: what an oversized
 * message gets back, and what the log keeps of refused messages.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LIMITS } from '../../../shared/limits.js';
import { LoginResponse } from '../../../shared/protocol.js';
import { startServer, type RunningServer } from '../server.js';

const MIB = 1024 * 1024;

let server: RunningServer | undefined;
let dataDir: string | undefined;
const sockets: WebSocket[] = [];

afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  for (const ws of sockets.splice(0)) ws.terminate();
  await server?.close();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  server = dataDir = undefined;
});

/** A started server and a console token for its administrator. */
async function start(): Promise<{ url: string; token: string }> {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-router-'));
  let password = '';
  server = await startServer({ dataDir, port: 0, onAdminCreated: (_user, p) => (password = p) });
  const login = await post(`${server.url}/api/login`, { username: 'admin', password });
  const { token } = LoginResponse.parse(login);
  // A printed one-time password must be replaced before the console may do anything.
  if ((login as { mustChangePassword?: boolean }).mustChangePassword) {
    await post(`${server.url}/api/password`, { currentPassword: password, newPassword: 'the admin chose this one' }, token);
  }
  return { url: server.url, token };
}

async function post(url: string, body: unknown, token?: string): Promise<unknown> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

type Received = { type: string; code?: string; ref?: number };

/** A console connection that records what the server sends and how it closes. */
async function connectConsole(url: string, token: string) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
  sockets.push(ws);
  const got: Received[] = [];
  ws.on('message', (d) => got.push(JSON.parse(String(d)) as Received));
  // A huge message still being written when the server closes ends in a reset on this side.
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: String(reason) })));
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  const until = (pred: (m: Received) => boolean) => poll(() => got.find(pred), () => `not received; got ${JSON.stringify(got)}`);
  ws.send(JSON.stringify({ type: 'hello', role: 'console', token }));
  await until((m) => m.type === 'welcome');
  /** Sends a request with `ref` and waits for its answer. */
  const request = (msg: object, ref: number) => {
    ws.send(JSON.stringify({ ...msg, ref }));
    return until((m) => (m.type === 'ack' || m.type === 'error') && m.ref === ref);
  };
  return { ws, got, closed, until, request };
}

/**
 * Resolves with `fn`'s first truthy result. Not vi.waitFor: with a fake clock
 * that moves the clock on each check, and the log test needs it standing still.
 */
async function poll<T>(fn: () => T | undefined, failure: () => string): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const hit = fn();
    if (hit !== undefined) return hit;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(failure());
}

/** The server's stderr lines that contain `text`, from the moment this is called (the log writes nothing else meanwhile). */
function captureLog(text: string): () => string[] {
  const lines: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    for (const line of String(chunk).split('\n')) if (line.includes(text)) lines.push(line);
    return true;
  });
  return () => lines;
}

describe('oversized messages', () => {
  it.each([
    ['just over the 1 MiB hard limit', MIB + 1],
    ['of 16 MiB', 16 * MIB],
  ])('a message %s gets ERR_MESSAGE_TOO_LARGE before a 1009 close; other connections carry on', async (_what, bytes) => {
    const { url, token } = await start();
    const bystander = await connectConsole(url, token);
    const c = await connectConsole(url, token);

    c.ws.send(JSON.stringify({ type: 'chat:send', requestId: 'r', text: 'x'.repeat(bytes) }));
    expect(await c.until((m) => m.type === 'error')).toMatchObject({ code: 'ERR_MESSAGE_TOO_LARGE' });
    expect(await c.closed).toEqual({ code: 1009, reason: 'ERR_MESSAGE_TOO_LARGE' });

    expect(await bystander.request({ type: 'presence:set', status: 'away' }, 1)).toMatchObject({ type: 'ack' });
  });

  it('a message over the protocol limit but under the hard one gets the typed error and keeps the connection', async () => {
    const { url, token } = await start();
    const c = await connectConsole(url, token);
    c.ws.send(JSON.stringify({ type: 'chat:send', requestId: 'r', text: 'x'.repeat(LIMITS.wsMessageBytes) }));
    expect(await c.until((m) => m.type === 'error')).toMatchObject({ code: 'ERR_MESSAGE_TOO_LARGE' });
    expect(await c.request({ type: 'presence:set', status: 'away' }, 1)).toMatchObject({ type: 'ack' });
  });
});

describe('the log of refused messages', () => {
  it('has the role, address and code of a refusal, never its content, and at most one line a second per connection with a count of the rest', async () => {
    const { url, token } = await start();
    const c = await connectConsole(url, token);
    const lines = captureLog('ws message');
    // The clock stands still until the test moves it: every refusal below falls in one second.
    vi.useFakeTimers({ toFake: ['Date'] });

    for (let ref = 1; ref <= 30; ref++) {
      expect(await c.request({ type: `secret-${ref}-sauce` }, ref)).toMatchObject({ code: 'ERR_UNKNOWN_TYPE' });
    }
    c.ws.send('{"not json, password hunter2');
    await c.until((m) => m.type === 'error' && m.ref === undefined);
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatch(/ WARN ws message refused /);
    expect(JSON.parse(lines()[0]!.replace(/^.*? refused /, ''))).toEqual({ role: 'console', ip: '127.0.0.1', code: 'ERR_UNKNOWN_TYPE' });

    vi.setSystemTime(Date.now() + 1000);
    expect(await c.request({ type: 'queue:accept', requestId: 'no-such-request' }, 31)).toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect(lines()).toHaveLength(2);
    expect(JSON.parse(lines()[1]!.replace(/^.*? refused /, ''))).toEqual({ role: 'console', ip: '127.0.0.1', code: 'ERR_NOT_FOUND', type: 'queue:accept', unlogged: 30 });

    for (let ref = 32; ref < 37; ref++) await c.request({ type: 'chat:send' }, ref);
    c.ws.close();
    await c.closed;
    await poll(() => lines()[2], () => `no third line: ${lines().join('\n')}`);
    expect(lines()[2]).toMatch(/ WARN ws messages refused and not logged before the close {"role":"console","ip":"127.0.0.1","unlogged":5}$/);
    expect(lines().join('\n')).not.toMatch(/secret|sauce|hunter2/);
  });
});
