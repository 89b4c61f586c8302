/**
 * The server in-process, driven over HTTP and WebSocket the way the portal,
 * the console and the agent drive it. Every message the server sends is
 * parsed with the client's schema from shared/protocol.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { z } from 'zod';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LIMITS } from '../../shared/limits.js';
import {
  CodeResponse, LoginResponse, PortalJoinResponse, ServerToAgent, ServerToConsole, ServerToPortal, type ChatMessage,
} from '../../shared/protocol.js';
import { startServer, type RunningServer } from './server.js';

/** How long one expected message may take before the test fails with what did arrive. */
const WAIT_MS = 5000;

type Typed = { type: string };
type Of<T extends Typed, K extends T['type']> = Extract<T, { type: K }>;

/** A WebSocket client that records every server message and waits for the ones a test expects. */
class Client<T extends Typed> {
  readonly received: T[] = [];
  readonly invalid: unknown[] = [];
  private readonly waiters = new Set<() => void>();
  private nextRef = 1;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(private readonly ws: WebSocket, schema: z.ZodType<T>) {
    ws.on('message', (data) => {
      const json: unknown = JSON.parse(String(data));
      const parsed = schema.safeParse(json);
      if (parsed.success) this.received.push(parsed.data);
      else this.invalid.push(json);
      for (const w of [...this.waiters]) w();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }

  /** Opens the socket and says hello; resolves once the server answers with welcome or an error. */
  static async connect<T extends Typed>(serverUrl: string, schema: z.ZodType<T>, hello: object): Promise<Client<T>> {
    const ws = new WebSocket(`${serverUrl.replace(/^http/, 'ws')}/ws`);
    const client = new Client(ws, schema);
    clients.add(client);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify(hello));
    await client.waitFor((m) => m.type === 'welcome' || m.type === 'error');
    return client;
  }

  /** How many messages have arrived, to wait for one that comes after this point. */
  mark(): number {
    return this.received.length;
  }

  waitFor(pred: (m: T) => boolean, after = 0): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.received.slice(after).find(pred);
        if (!hit) return false;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(hit);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`expected message not received; got: ${this.received.map((m) => JSON.stringify(m)).join('\n')}`));
      }, WAIT_MS);
      if (!check()) this.waiters.add(check);
    });
  }

  /** The first message of `type` (after `after`) matching `pred`. */
  async next<K extends T['type']>(type: K, pred: (m: Of<T, K>) => boolean = () => true, after = 0): Promise<Of<T, K>> {
    return (await this.waitFor((m) => m.type === type && pred(m as Of<T, K>), after)) as Of<T, K>;
  }

  all<K extends T['type']>(type: K): Of<T, K>[] {
    return this.received.filter((m) => m.type === type) as Of<T, K>[];
  }

  send(msg: object): void {
    this.ws.send(JSON.stringify(msg));
  }

  /** Sends with a ref; resolves on the ack, rejects with the server's error. */
  async request(msg: object): Promise<void> {
    const ref = this.nextRef++;
    this.send({ ...msg, ref });
    const answer = (await this.waitFor((m) => (m.type === 'ack' || m.type === 'error') && (m as { ref?: number }).ref === ref)) as Typed & { code?: string };
    if (answer.type === 'error') throw Object.assign(new Error(`request failed: ${answer.code}`), { code: answer.code });
  }

  /**
   * Resolves once the server has processed everything sent before it: the
   * server answers messages in order, and an unknown type is answered with an error.
   */
  async barrier(): Promise<void> {
    await this.request({ type: 'test:barrier' }).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.close();
    await this.closed;
  }

  terminate(): void {
    this.ws.terminate();
  }
}

const clients = new Set<Client<Typed>>();
const dirs: string[] = [];
const servers: RunningServer[] = [];

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-server-'));
  dirs.push(dir);
  return dir;
}

const ADMIN_PASSWORD = 'the admin chose this one';

/**
 * A server on `dataDir`. On a first run the administrator has already replaced his printed one-time
 * password (`oneTimePassword`) with ADMIN_PASSWORD (`adminPassword`), as the console makes him, unless `keepOneTimePassword`.
 */
async function start(
  dataDir = tempDir(),
  opts: { codeFailuresPerMinute?: number; onAdminCreated?: (u: string, p: string) => void; keepOneTimePassword?: boolean; signInSweepMs?: number; behindTlsProxy?: boolean } = {},
) {
  let oneTimePassword = '';
  const server = await startServer({
    dataDir,
    port: 0,
    codeFailuresPerMinute: opts.codeFailuresPerMinute,
    signInSweepMs: opts.signInSweepMs,
    behindTlsProxy: opts.behindTlsProxy,
    onAdminCreated: (user, password) => {
      oneTimePassword = password;
      opts.onAdminCreated?.(user, password);
    },
  });
  servers.push(server);
  if (oneTimePassword && !opts.keepOneTimePassword) {
    const { token } = await post(`${server.url}/api/login`, { username: 'admin', password: oneTimePassword }, LoginResponse);
    await post(`${server.url}/api/password`, { currentPassword: oneTimePassword, newPassword: ADMIN_PASSWORD }, z.object({}), token);
  }
  return { server, oneTimePassword, adminPassword: ADMIN_PASSWORD };
}

afterEach(async () => {
  for (const c of clients) c.terminate();
  const invalid = [...clients].flatMap((c) => c.invalid);
  clients.clear();
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  // A server message that fails the client's schema would break the real clients.
  expect(invalid).toEqual([]);
});

async function post<S extends z.ZodType>(url: string, body: unknown, schema: S, token?: string): Promise<z.infer<S>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const json: unknown = await res.json();
  if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}: ${JSON.stringify(json)}`), { status: res.status, body: json });
  return schema.parse(json);
}

/** The server with the admin signed in, a code handed out, and the user's portal joined. */
async function joinedSession() {
  const { server, adminPassword } = await start();
  const { token } = await post(`${server.url}/api/login`, { username: 'admin', password: adminPassword }, LoginResponse);
  const { code } = await post(`${server.url}/api/codes`, {}, CodeResponse, token);
  const joined = await post(`${server.url}/api/portal/join`, { code, name: 'Ada' }, PortalJoinResponse);
  return { server, token, code, requestId: joined.requestId, resumeKey: joined.resumeKey };
}

const connectConsole = (url: string, token: string) => Client.connect(url, ServerToConsole, { type: 'hello', role: 'console', token });
const connectPortal = (url: string, resumeKey: string) => Client.connect(url, ServerToPortal, { type: 'hello', role: 'portal', resumeKey });

const AGENT_INFO = { hostname: 'pc-7', os: 'Debian 12', user: 'ada' };
const connectAgent = (url: string, cred: { code: string } | { resumeKey: string }) =>
  Client.connect(url, ServerToAgent, { type: 'hello', role: 'agent', info: AGENT_INFO, ...cred });

const texts = (messages: ChatMessage[]) => messages.map((m) => `${m.from}: ${m.text}`);

describe('chat across reconnects', () => {
  it('a message the technician sends while the portal is away reaches the portal in its history on reconnect', async () => {
    const { server, token, requestId, resumeKey } = await joinedSession();
    const portal = await connectPortal(server.url, resumeKey);
    const tech = await connectConsole(server.url, token);
    await tech.request({ type: 'queue:accept', requestId });

    const mark = tech.mark();
    await portal.close();
    await tech.next('session:state', (m) => m.state.requestId === requestId && !m.state.portalOnline, mark);

    await tech.request({ type: 'chat:send', requestId, text: 'Please restart the printer.', clientId: 't-1' });

    const back = await connectPortal(server.url, resumeKey);
    const history = await back.next('chat:history');
    expect(history.requestId).toBe(requestId);
    expect(texts(history.messages)).toContain('technician: Please restart the printer.');
  });

  it('a message the user sends while the console is away reaches the console in its history on reconnect', async () => {
    const { server, token, requestId, resumeKey } = await joinedSession();
    const portal = await connectPortal(server.url, resumeKey);
    const tech = await connectConsole(server.url, token);
    await tech.request({ type: 'queue:accept', requestId });
    await portal.next('session:state', (m) => m.state.consoleOnline);

    const mark = portal.mark();
    await tech.close();
    await portal.next('session:state', (m) => !m.state.consoleOnline, mark);

    await portal.request({ type: 'chat:send', text: 'It is still broken.', clientId: 'u-1' });

    const back = await connectConsole(server.url, token);
    const history = await back.next('chat:history', (m) => m.requestId === requestId);
    expect(texts(history.messages)).toContain('user: It is still broken.');
  });

  it('a chat message the portal re-sends after a reconnect is stored and delivered once', async () => {
    const { server, token, requestId, resumeKey } = await joinedSession();
    const tech = await connectConsole(server.url, token);
    await tech.request({ type: 'queue:accept', requestId });
    const portal = await connectPortal(server.url, resumeKey);
    await portal.request({ type: 'chat:send', text: 'Hello?', clientId: 'u-1' });
    // The portal did not see the ack (say), so after reconnecting it sends the message again.
    await portal.close();
    const back = await connectPortal(server.url, resumeKey);
    await back.request({ type: 'chat:send', text: 'Hello?', clientId: 'u-1' });

    const stored = (await server.ctx.chat.history(requestId)).filter((m) => m.clientId === 'u-1');
    expect(stored).toHaveLength(1);
    await tech.barrier();
    expect(tech.all('chat:message').filter((m) => m.message.clientId === 'u-1')).toHaveLength(1);
    const fresh = await connectPortal(server.url, resumeKey);
    const history = await fresh.next('chat:history');
    expect(history.messages.filter((m) => m.clientId === 'u-1')).toHaveLength(1);
  });

  it('a chat message the console re-sends after a reconnect is stored and delivered once', async () => {
    const { server, token, requestId, resumeKey } = await joinedSession();
    const portal = await connectPortal(server.url, resumeKey);
    const tech = await connectConsole(server.url, token);
    await tech.request({ type: 'queue:accept', requestId });
    await tech.request({ type: 'chat:send', requestId, text: 'On my way.', clientId: 't-9' });
    await tech.close();
    const back = await connectConsole(server.url, token);
    await back.request({ type: 'chat:send', requestId, text: 'On my way.', clientId: 't-9' });

    expect((await server.ctx.chat.history(requestId)).filter((m) => m.clientId === 't-9')).toHaveLength(1);
    await portal.barrier();
    expect(portal.all('chat:message').filter((m) => m.message.clientId === 't-9')).toHaveLength(1);
  });
});

describe('live state', () => {
  it('the technician\'s console gets a queue snapshot as soon as a user joins, and again when the portal connects', async () => {
    const { server, adminPassword } = await start();
    const { token } = await post(`${server.url}/api/login`, { username: 'admin', password: adminPassword }, LoginResponse);
    const tech = await connectConsole(server.url, token);
    expect((await tech.next('queue:snapshot')).items).toEqual([]);

    const mark = tech.mark();
    const { code } = await post(`${server.url}/api/codes`, {}, CodeResponse, token);
    const { requestId, resumeKey } = await post(`${server.url}/api/portal/join`, { code, name: 'Ada' }, PortalJoinResponse);
    const joined = await tech.next('queue:snapshot', (m) => m.items.length > 0, mark);
    expect(joined.items).toEqual([
      expect.objectContaining({ requestId, customerName: 'Ada', status: 'waiting', portalOnline: false, agentOnline: false }),
    ]);

    const mark2 = tech.mark();
    await connectPortal(server.url, resumeKey);
    await tech.next('queue:snapshot', (m) => m.items[0]?.portalOnline === true, mark2);
  });

  it('session:state tells the portal when the technician accepts and when consent changes', async () => {
    const { server, token, requestId, resumeKey } = await joinedSession();
    const portal = await connectPortal(server.url, resumeKey);
    const initial = await portal.next('session:state');
    expect(initial.state).toMatchObject({ requestId, status: 'waiting', consoleOnline: false, consent: { view: false, control: false } });

    const tech = await connectConsole(server.url, token);
    let mark = portal.mark();
    await tech.request({ type: 'queue:accept', requestId });
    const accepted = await portal.next('session:state', (m) => m.state.status === 'active', mark);
    expect(accepted.state).toMatchObject({ technician: { displayName: 'Administrator' }, consoleOnline: true, customerName: 'Ada' });

    mark = portal.mark();
    await portal.request({ type: 'consent:set', consent: { view: true, control: false } });
    await portal.next('session:state', (m) => m.state.consent.view && !m.state.consent.control, mark);

    // Allowing control implies allowing view.
    mark = portal.mark();
    const techMark = tech.mark();
    await portal.request({ type: 'consent:set', consent: { view: false, control: true } });
    await portal.next('session:state', (m) => m.state.consent.view && m.state.consent.control, mark);
    await tech.next('session:state', (m) => m.state.consent.control, techMark);

    mark = portal.mark();
    await portal.request({ type: 'consent:set', consent: { view: false, control: false } });
    await portal.next('session:state', (m) => !m.state.consent.view && !m.state.consent.control, mark);
  });

  it('another technician can neither accept nor chat in the session', async () => {
    const { server, requestId } = await joinedSession();
    await server.ctx.auth.createTechnician({ username: 'bob', displayName: 'Bob', password: 'bobs long password', role: 'technician' });
    const { token } = await post(`${server.url}/api/login`, { username: 'bob', password: 'bobs long password' }, LoginResponse);
    const bob = await connectConsole(server.url, token);
    expect((await bob.next('queue:snapshot')).items).toEqual([]);
    await expect(bob.request({ type: 'queue:accept', requestId })).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    await expect(bob.request({ type: 'chat:send', requestId, text: 'hi' })).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
  });
});

describe('agent and session lifecycle', () => {
  it('an agent joining with the code shows as online to the console and the portal', async () => {
    const { server, token, code, requestId, resumeKey } = await joinedSession();
    const tech = await connectConsole(server.url, token);
    const portal = await connectPortal(server.url, resumeKey);
    const techMark = tech.mark();
    const portalMark = portal.mark();
    const agent = await connectAgent(server.url, { code });
    expect(await agent.next('welcome')).toMatchObject({ requestId, resumeKey: expect.any(String) });
    const snap = await tech.next('queue:snapshot', (m) => m.items[0]?.agentOnline === true, techMark);
    expect(snap.items[0]?.agent).toEqual(AGENT_INFO);
    await portal.next('session:state', (m) => m.state.agentOnline, portalMark);
  });

  it('an agent reconnects with its resume key, and the code does not let in a second agent', async () => {
    const { server, code, requestId } = await joinedSession();
    const first = await connectAgent(server.url, { code });
    const { resumeKey } = await first.next('welcome');
    await first.close();

    const intruder = await connectAgent(server.url, { code });
    expect(await intruder.next('error')).toMatchObject({ code: 'ERR_CODE_USED' });
    expect((await intruder.closed).code).toBe(4001);

    const back = await connectAgent(server.url, { resumeKey });
    expect(await back.next('welcome')).toMatchObject({ requestId, resumeKey });
  });

  it('a newer portal connection replaces the older one', async () => {
    const { server, resumeKey } = await joinedSession();
    const older = await connectPortal(server.url, resumeKey);
    await connectPortal(server.url, resumeKey);
    expect((await older.closed).code).toBe(4000);
  });

  it('when the user ends the session everyone is told, and the resume key stops working', async () => {
    const { server, token, requestId, resumeKey } = await joinedSession();
    const tech = await connectConsole(server.url, token);
    await tech.request({ type: 'queue:accept', requestId });
    const portal = await connectPortal(server.url, resumeKey);
    const techMark = tech.mark();
    await portal.request({ type: 'session:end' });
    const ended = await tech.next('session:state', (m) => m.state.status === 'ended', techMark);
    expect(ended.state.endedReason).toBe('ended by the user');
    await tech.next('queue:snapshot', (m) => m.items.length === 0, techMark);
    await expect(tech.request({ type: 'chat:send', requestId, text: 'wait!' })).rejects.toMatchObject({ code: 'ERR_SESSION_ENDED' });

    const late = await connectPortal(server.url, resumeKey);
    expect(await late.next('error')).toMatchObject({ code: 'ERR_SESSION_ENDED' });
  });
});

describe('first run', () => {
  it('creates the administrator only once per data directory', async () => {
    const dataDir = tempDir();
    const first = vi.fn();
    const { server, oneTimePassword, adminPassword } = await start(dataDir, { onAdminCreated: first });
    expect(first).toHaveBeenCalledTimes(1);
    expect(first).toHaveBeenCalledWith('admin', oneTimePassword);
    await server.close();
    servers.splice(servers.indexOf(server), 1);

    const second = vi.fn();
    const again = await start(dataDir, { onAdminCreated: second });
    expect(second).not.toHaveBeenCalled();
    // The password chosen on the first run still signs in.
    const r = await post(`${again.server.url}/api/login`, { username: 'admin', password: adminPassword }, LoginResponse);
    expect(r.technician).toMatchObject({ username: 'admin', role: 'admin' });
  });
});

describe('one-time passwords', () => {
  const login = (url: string, password: string) => post(`${url}/api/login`, { username: 'admin', password }, LoginResponse);
  const changePassword = (url: string, token: string, currentPassword: string, newPassword: string) =>
    post(`${url}/api/password`, { currentPassword, newPassword }, z.object({}), token);
  const refusedWith = (code: string, status: number) => ({ status, body: { error: expect.objectContaining({ code }) } });

  it('the first-run administrator signs in but may do nothing, over REST or WebSocket, until he has chosen his own password', async () => {
    const { server, oneTimePassword } = await start(undefined, { keepOneTimePassword: true });
    const r = await login(server.url, oneTimePassword);
    expect(r).toMatchObject({ technician: { username: 'admin' }, mustChangePassword: true });

    await expect(post(`${server.url}/api/codes`, {}, CodeResponse, r.token)).rejects.toMatchObject(refusedWith('ERR_PASSWORD_CHANGE_REQUIRED', 403));
    await expect(post(`${server.url}/api/team-chat/history`, { with: { kind: 'technician', id: 1 } }, z.unknown(), r.token))
      .rejects.toMatchObject(refusedWith('ERR_PASSWORD_CHANGE_REQUIRED', 403));
    const refused = await connectConsole(server.url, r.token);
    expect(await refused.next('error')).toMatchObject({ code: 'ERR_PASSWORD_CHANGE_REQUIRED', cause: 'hello' });
    expect((await refused.closed).code).toBe(4001);

    await changePassword(server.url, r.token, oneTimePassword, 'my very own password');
    // The same sign-in may do everything now.
    expect((await post(`${server.url}/api/codes`, {}, CodeResponse, r.token)).code).toMatch(/^\d{10}$/);
    const tech = await connectConsole(server.url, r.token);
    expect(await tech.next('welcome')).toMatchObject({ technician: { username: 'admin' } });
  });

  it('refuses a wrong current password, a new one under 12 characters and the same one again, and still asks for a change', async () => {
    const { server, oneTimePassword } = await start(undefined, { keepOneTimePassword: true });
    const { token } = await login(server.url, oneTimePassword);
    await expect(changePassword(server.url, token, 'not the password', 'my very own password'))
      .rejects.toMatchObject({ status: 401, body: { error: { code: 'ERR_LOGIN_FAILED', message: 'The current password is wrong.' } } });
    await expect(changePassword(server.url, token, oneTimePassword, 'elevenchars'))
      .rejects.toMatchObject({ status: 400, body: { error: { code: 'ERR_PASSWORD_REJECTED', message: 'The new password needs at least 12 characters.' } } });
    await expect(changePassword(server.url, token, oneTimePassword, oneTimePassword))
      .rejects.toMatchObject({ status: 400, body: { error: { code: 'ERR_PASSWORD_REJECTED', message: 'The new password must differ from the current one.' } } });

    await expect(post(`${server.url}/api/codes`, {}, CodeResponse, token)).rejects.toMatchObject(refusedWith('ERR_PASSWORD_CHANGE_REQUIRED', 403));
    expect((await login(server.url, oneTimePassword)).mustChangePassword).toBe(true);
  });

  it('after a change the old password fails, the new one signs in without a change asked, and his other sign-ins have ended', async () => {
    const { server, oneTimePassword } = await start(undefined, { keepOneTimePassword: true });
    const other = await login(server.url, oneTimePassword);
    const { token } = await login(server.url, oneTimePassword);
    await changePassword(server.url, token, oneTimePassword, 'my very own password');

    await expect(login(server.url, oneTimePassword)).rejects.toMatchObject(refusedWith('ERR_LOGIN_FAILED', 401));
    expect((await login(server.url, 'my very own password')).mustChangePassword).toBe(false);
    await expect(post(`${server.url}/api/codes`, {}, CodeResponse, other.token)).rejects.toMatchObject(refusedWith('ERR_NOT_AUTHENTICATED', 401));
    await expect(changePassword(server.url, other.token, 'my very own password', 'yet another password'))
      .rejects.toMatchObject(refusedWith('ERR_NOT_AUTHENTICATED', 401));
  });
});

describe('sign-ins that end', () => {
  const login = (url: string) => post(`${url}/api/login`, { username: 'admin', password: ADMIN_PASSWORD }, LoginResponse);

  it('a password change closes the technician\'s other open consoles at once; the console that changed it stays', async () => {
    const { server } = await start();
    const [elsewhere, here] = [await login(server.url), await login(server.url)];
    const old = await connectConsole(server.url, elsewhere.token);
    const current = await connectConsole(server.url, here.token);
    await Promise.all([old.next('welcome'), current.next('welcome')]);

    await post(`${server.url}/api/password`, { currentPassword: ADMIN_PASSWORD, newPassword: 'a brand new password' }, z.object({}), here.token);
    expect(await old.next('error')).toMatchObject({ code: 'ERR_NOT_AUTHENTICATED' });
    expect((await old.closed).code).toBe(4001);
    // The one that changed it still works.
    await current.request({ type: 'presence:set', status: 'away' });
  });

  it('a reset from the admin CLI (another process: only the database changes) ends open consoles at the next sweep', async () => {
    const { server } = await start(undefined, { signInSweepMs: 100 });
    const console_ = await connectConsole(server.url, (await login(server.url)).token);
    await console_.next('welcome');
    await server.ctx.auth.resetPassword('admin');
    expect(await console_.next('error')).toMatchObject({ code: 'ERR_NOT_AUTHENTICATED' });
    expect((await console_.closed).code).toBe(4001);
  });
});

describe('refusals', () => {
  it('refuses a console hello with an unknown token and closes the socket', async () => {
    const { server } = await start();
    const c = await connectConsole(server.url, 'not-a-token');
    expect(await c.next('error')).toMatchObject({ code: 'ERR_NOT_AUTHENTICATED', cause: 'hello' });
    expect((await c.closed).code).toBe(4001);
  });

  it('after too many wrong codes an address is refused even with the right code', async () => {
    const { server, adminPassword } = await start(undefined, { codeFailuresPerMinute: 2 });
    const { token } = await post(`${server.url}/api/login`, { username: 'admin', password: adminPassword }, LoginResponse);
    const { code } = await post(`${server.url}/api/codes`, {}, CodeResponse, token);
    const wrong = code === '0000000000' ? '1111111111' : '0000000000';
    for (let i = 0; i < 2; i++) {
      await expect(post(`${server.url}/api/portal/join`, { code: wrong }, PortalJoinResponse))
        .rejects.toMatchObject({ status: 400, body: { error: { code: 'ERR_CODE_INVALID' } } });
    }
    await expect(post(`${server.url}/api/portal/join`, { code }, PortalJoinResponse))
      .rejects.toMatchObject({ status: 429, body: { error: { code: 'ERR_RATE_LIMITED' } } });
  });

  it('behind a TLS proxy, wrong codes are counted per client address from X-Forwarded-For; without the option the header is ignored', async () => {
    const join = (url: string, code: string, forwardedFor: string) => fetch(`${url}/api/portal/join`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor }, body: JSON.stringify({ code }),
    }).then((r) => r.status);
    const wrong = '0000000000';
    const proxied = (await start(undefined, { codeFailuresPerMinute: 2, behindTlsProxy: true })).server;
    expect([await join(proxied.url, wrong, '198.51.100.7, 203.0.113.1'), await join(proxied.url, wrong, '203.0.113.1')]).toEqual([400, 400]);
    expect(await join(proxied.url, wrong, '203.0.113.1')).toBe(429);
    // Another client behind the same proxy is not locked out by the first.
    expect(await join(proxied.url, wrong, '203.0.113.2')).toBe(400);

    const direct = (await start(undefined, { codeFailuresPerMinute: 2 })).server;
    expect([await join(direct.url, wrong, '203.0.113.3'), await join(direct.url, wrong, '203.0.113.4')]).toEqual([400, 400]);
    expect(await join(direct.url, wrong, '203.0.113.5')).toBe(429);
  });

  it('answers an oversized message with ERR_MESSAGE_TOO_LARGE and keeps the connection', async () => {
    const { server, resumeKey } = await joinedSession();
    const portal = await connectPortal(server.url, resumeKey);
    portal.send({ type: 'chat:send', text: 'x'.repeat(LIMITS.wsMessageBytes) });
    await portal.next('error', (m) => m.code === 'ERR_MESSAGE_TOO_LARGE');
    await portal.request({ type: 'chat:send', text: 'still here' });
  });

  it('a portal may not send what only a console may', async () => {
    const { server, requestId, resumeKey } = await joinedSession();
    const portal = await connectPortal(server.url, resumeKey);
    await expect(portal.request({ type: 'queue:accept', requestId })).rejects.toMatchObject({ code: 'ERR_UNKNOWN_TYPE' });
    expect((await server.ctx.queue.getOrThrow(requestId)).status).toBe('waiting');
  });
});
