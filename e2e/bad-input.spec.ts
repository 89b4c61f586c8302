/**
 * Bad input gets a typed error and loses nothing: malformed, oversized and
 * unknown WebSocket messages, and wrong, expired, reused and guessed session
 * codes. The server keeps serving everyone else throughout, down to a live
 * session with a real agent on an X display.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import WebSocket from 'ws';
import { expectCanvasToMatchScreen, joinPortal, remoteToPage, startAttendedSession, type AttendedSession } from './console.js';
import { startServer, startWebConsole, startXterm, startXvfb, waitFor, type LifelineServer, type Proc, type XDisplay } from './harness.js';

/** Short code lifetime and a low guessing limit, so both can be seen in a test. */
let server: LifelineServer;
/** A server with the usual settings for the live session that bad input must not disturb. */
let live: LifelineServer;
let x: XDisplay;
let xterm: Proc;
let web: { url: string; proc: Proc };
let session: AttendedSession | undefined;

type ApiBody = { token?: string; code?: string; error?: { code: string; message: string } };
type Msg = { type: string; code?: string; ref?: number; items?: { customerName: string }[] };

const MIB = 1024 * 1024;
/** The shell xterm at the top-left corner. */
const XTERM = { x: 0, y: 0, w: 606, h: 396 };

test.beforeAll(async () => {
  server = await startServer(['--code-ttl-seconds', '3', '--code-failures-per-minute', '4']);
  live = await startServer();
  x = await startXvfb();
  xterm = await startXterm(x.display);
  web = await startWebConsole(live.url);
});
test.afterAll(async () => {
  await session?.close();
  await web?.proc.stop();
  await xterm?.stop();
  await x?.stop();
  await live?.stop();
  await server?.stop();
});

async function api(path: string, body: unknown, token?: string, on = server) {
  const res = await fetch(`${on.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as ApiBody };
}

/** A raw WebSocket client that records every message it receives and how the connection closed. */
async function rawClient(on = server) {
  const ws = new WebSocket(`${on.url.replace('http', 'ws')}/ws`);
  const got: Msg[] = [];
  ws.on('message', (d) => got.push(JSON.parse(String(d))));
  // A huge message still being written when the server closes ends in a reset on this side.
  ws.on('error', () => undefined);
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: String(reason) })));
  await new Promise((r, j) => { ws.once('open', r); ws.once('error', j); });
  const next = (pred: (m: Msg) => boolean) => waitFor('a server message', () => got.find(pred), 5000);
  return { ws, got, next, closed };
}

async function consoleClient(on = server) {
  const login = await api('/api/login', { username: 'admin', password: on.adminPassword }, undefined, on);
  const c = await rawClient(on);
  c.ws.send(JSON.stringify({ type: 'hello', role: 'console', token: login.body.token }));
  await c.next((m) => m.type === 'welcome');
  return { ...c, token: login.body.token as string };
}

test('malformed, oversized (up to 8 MiB), binary and unknown messages and a wrong agent code each get a typed error; the connection, other consoles and a live session with its agent carry on', async ({ browser }) => {
  session = await startAttendedSession(browser, { consoleUrl: web.url, server: live, display: x.display, customer: 'Live Bystander' });
  const { tech, user } = session;
  await expectCanvasToMatchScreen(tech, x.display, XTERM, undefined, 30_000);

  const bystander = await consoleClient(live);
  const c = await consoleClient(live);

  c.ws.send('{not json');
  expect((await c.next((m) => m.type === 'error')).code).toBe('ERR_BAD_MESSAGE');
  c.got.length = 0;

  c.ws.send(JSON.stringify({ type: 'chat:send', requestId: 'x', text: 'a'.repeat(100_000) }));
  expect((await c.next((m) => m.type === 'error')).code).toBe('ERR_MESSAGE_TOO_LARGE');
  c.got.length = 0;

  c.ws.send(Buffer.from([1, 2, 3]));
  expect((await c.next((m) => m.type === 'error')).code).toBe('ERR_BAD_MESSAGE');
  c.got.length = 0;

  c.ws.send(JSON.stringify({ type: 'files:format-disk', ref: 7 }));
  expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'ERR_UNKNOWN_TYPE', ref: 7 });
  c.got.length = 0;

  c.ws.send(JSON.stringify({ type: 'queue:accept', requestId: 12345, ref: 8 }));
  expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'ERR_BAD_MESSAGE', ref: 8 });
  c.got.length = 0;

  c.ws.send(JSON.stringify({ type: 'queue:accept', requestId: 'no-such-request', ref: 9 }));
  expect(await c.next((m) => m.type === 'error')).toMatchObject({ code: 'ERR_NOT_FOUND', ref: 9 });

  // An agent with a wrong code is turned away.
  const stranger = await rawClient(live);
  stranger.ws.send(JSON.stringify({ type: 'hello', role: 'agent', code: '0000000000', info: { hostname: 'h', os: 'Linux', user: 'u' } }));
  expect((await stranger.next((m) => m.type === 'error')).code).toBe('ERR_CODE_INVALID');

  // Over the 1 MiB hard limit, just and far: the typed error, then a close with 1009 (Message Too Big) naming it.
  for (const bytes of [MIB + 1, 8 * MIB]) {
    const big = await rawClient(live);
    big.ws.send(JSON.stringify({ type: 'hello', role: 'portal', resumeKey: 'k'.repeat(bytes) }));
    expect((await big.next((m) => m.type === 'error')).code).toBe('ERR_MESSAGE_TOO_LARGE');
    expect(await big.closed).toEqual({ code: 1009, reason: 'ERR_MESSAGE_TOO_LARGE' });
  }

  // Still the same, working connection, and the other console is untouched.
  expect(c.ws.readyState).toBe(WebSocket.OPEN);
  expect(bystander.ws.readyState).toBe(WebSocket.OPEN);
  const code = await api('/api/codes', {}, bystander.token, live);
  expect(code.body.code).toMatch(/^\d{10}$/);
  await api('/api/portal/join', { code: code.body.code, name: 'Still Served' }, undefined, live);
  await bystander.next((m) => m.type === 'queue:snapshot' && (m.items ?? []).some((i) => i.customerName === 'Still Served'));
  expect((await fetch(`${live.url}/api/health`)).ok).toBe(true);
  c.ws.close();
  bystander.ws.close();

  // The live session never noticed: the technician still controls the screen, and sees it change...
  const marker = `lifeline-after-bad-input-${Date.now()}`;
  const file = path.join(os.tmpdir(), `${marker}.txt`);
  const at = await remoteToPage(tech, 200, 200);
  await tech.mouse.click(at.x, at.y);
  await tech.keyboard.type(`echo ${marker} > ${file}`);
  await tech.keyboard.press('Enter');
  await waitFor('the command typed after the bad input to write its file', () => fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim() === marker);
  fs.rmSync(file);
  await expectCanvasToMatchScreen(tech, x.display, XTERM);
  // ...and the chat works both ways (Enter sends: the toast about "Still Served" covers the Send button).
  await tech.getByTestId('chat-input').fill('Still with you.');
  await tech.getByTestId('chat-input').press('Enter');
  await expect(user.getByTestId('portal-chat-message').filter({ hasText: 'Still with you.' })).toBeVisible();
  await user.getByTestId('portal-chat-input').fill('Good to hear.');
  await user.getByTestId('portal-chat-send').click();
  await expect(tech.getByTestId('chat-message').filter({ hasText: 'Good to hear.' })).toBeVisible();
});

test('a message before hello, a bad hello, and a bad console token are refused with typed errors', async () => {
  const a = await rawClient();
  a.ws.send(JSON.stringify({ type: 'chat:send', text: 'hi' }));
  expect((await a.next((m) => m.type === 'error')).code).toBe('ERR_NOT_AUTHENTICATED');

  const b = await rawClient();
  b.ws.send(JSON.stringify({ type: 'hello', role: 'console', token: 'forged' }));
  expect((await b.next((m) => m.type === 'error')).code).toBe('ERR_NOT_AUTHENTICATED');

  const d = await rawClient();
  d.ws.send(JSON.stringify({ type: 'hello', role: 'superuser' }));
  expect((await d.next((m) => m.type === 'error')).code).toBe('ERR_BAD_MESSAGE');
});

test('wrong, reused and expired codes get a clear message on the portal, and a second agent with a used code is refused', async ({ browser }) => {
  const c = await consoleClient();
  const page = await (await browser.newContext()).newPage();

  await joinPortal(page, server.url, '000 000 0000', 'Wrong');
  await expect(page.getByTestId('portal-error')).toHaveText(/not valid/);

  const fresh = (await api('/api/codes', {}, c.token)).body.code as string;
  const first = await api('/api/portal/join', { code: fresh, name: 'First' });
  expect(first.status).toBe(200);
  const other = await (await browser.newContext()).newPage();
  await joinPortal(other, server.url, fresh, 'Second');
  await expect(other.getByTestId('portal-error')).toHaveText(/already been used/);

  // An agent may still join that request once; a second agent with the same code is refused.
  const agent1 = await rawClient();
  const info = { hostname: 'h', os: 'Linux', user: 'u' };
  agent1.ws.send(JSON.stringify({ type: 'hello', role: 'agent', code: fresh, info }));
  await agent1.next((m) => m.type === 'welcome');
  const agent2 = await rawClient();
  agent2.ws.send(JSON.stringify({ type: 'hello', role: 'agent', code: fresh, info }));
  expect((await agent2.next((m) => m.type === 'error')).code).toBe('ERR_CODE_USED');

  const stale = (await api('/api/codes', {}, c.token)).body.code as string;
  await new Promise((r) => setTimeout(r, 3500));
  const expiredPage = await (await browser.newContext()).newPage();
  await joinPortal(expiredPage, server.url, stale, 'Late');
  await expect(expiredPage.getByTestId('portal-error')).toHaveText(/expired/);
  agent1.ws.close();
  c.ws.close();
});

test('repeated wrong codes from one address are rate-limited', async () => {
  // Earlier tests spent one wrong guess; the limit is four a minute.
  const results: string[] = [];
  for (let i = 0; i < 4; i++) results.push((await api('/api/portal/join', { code: `99999999${10 + i}` })).body.error?.code ?? 'none');
  expect(results).toContain('ERR_CODE_INVALID');
  expect(results.at(-1)).toBe('ERR_RATE_LIMITED');
  const c = await consoleClient();
  const good = (await api('/api/codes', {}, c.token)).body.code as string;
  // Even a right code waits out the limit: guessing cannot be told from a lucky hit.
  const blocked = await api('/api/portal/join', { code: good });
  expect(blocked.status).toBe(429);
  expect(blocked.body.error?.message).toMatch(/Too many attempts/);
  c.ws.close();
});
