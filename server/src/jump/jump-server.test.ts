/**
 * Jump clients against the server in-process, over HTTP and WebSocket the
 * way the installer, the jump client, the console and the agent talk to it.
 * Every server message is parsed with the receiving client's schema.
 */
import { createHash, createHmac } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import type { z } from 'zod';
import { afterEach, describe, expect, it } from 'vitest';
import { JumpApiError, JumpCheckInResponse, JumpEnrollResponse, parseWake } from '../../../shared/jump.js';
import { LoginResponse, ServerToAgent, ServerToConsole, ServerToJump } from '../../../shared/protocol.js';
import { AuthService } from '../auth/service.js';
import { startServer, type RunningServer } from '../server.js';
import { TeamService } from '../teams/service.js';

const WAIT_MS = 5000;
type Typed = { type: string };

class Client<T extends Typed> {
  readonly received: T[] = [];
  readonly invalid: unknown[] = [];
  private readonly waiters = new Set<() => void>();
  private nextRef = 1;
  readonly closed: Promise<number>;

  constructor(readonly ws: WebSocket, schema: z.ZodType<T>) {
    ws.on('message', (data) => {
      const parsed = schema.safeParse(JSON.parse(String(data)));
      if (parsed.success) this.received.push(parsed.data);
      else this.invalid.push(String(data));
      for (const w of [...this.waiters]) w();
    });
    this.closed = new Promise((r) => ws.on('close', (code) => r(code)));
  }

  static async connect<T extends Typed>(url: string, schema: z.ZodType<T>, hello: object): Promise<Client<T>> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
    const c = new Client(ws, schema);
    open.add(c);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify(hello));
    await c.next((m) => m.type === 'welcome' || m.type === 'error');
    return c;
  }

  next(pred: (m: T) => boolean, after = 0): Promise<T> {
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
        reject(new Error(`not received; got:\n${this.received.map((m) => JSON.stringify(m)).join('\n')}`));
      }, WAIT_MS);
      if (!check()) this.waiters.add(check);
    });
  }

  of<K extends T['type']>(type: K, pred: (m: Extract<T, { type: K }>) => boolean = () => true, after = 0): Promise<Extract<T, { type: K }>> {
    return this.next((m) => m.type === type && pred(m as Extract<T, { type: K }>), after) as Promise<Extract<T, { type: K }>>;
  }

  mark(): number {
    return this.received.length;
  }

  async request(msg: object): Promise<void> {
    const ref = this.nextRef++;
    this.ws.send(JSON.stringify({ ...msg, ref }));
    const answer = (await this.next((m) => (m.type === 'ack' || m.type === 'error') && (m as { ref?: number }).ref === ref)) as Typed & { code?: string };
    if (answer.type === 'error') throw Object.assign(new Error(`refused: ${answer.code}`), { code: answer.code });
  }
}

const open = new Set<Client<Typed>>();
const servers: RunningServer[] = [];
const dirs: string[] = [];

afterEach(async () => {
  const invalid = [...open].flatMap((c) => c.invalid);
  for (const c of open) c.ws.terminate();
  open.clear();
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  expect(invalid).toEqual([]);
});

async function post(url: string, body: unknown, token?: string): Promise<{ status: number; json: unknown; retryAfter: string | null }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json(), retryAfter: res.headers.get('retry-after') };
}

const INFO = { hostname: 'kiosk-7', user: 'dana', os: 'Debian GNU/Linux 12', elevated: true };
const PASSWORD = 'correct horse battery staple';

/** A server with alice (in team Ops) and bob, groups Open (no prompt, team Ops) and Asked (prompt, alice). */
async function setup(jump: { connectsPerSecond?: number; connectBurst?: number; sweepMs?: number } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-jump-server-'));
  dirs.push(dir);
  const server = await startServer({ dataDir: dir, port: 0, jump: { sweepMs: 100, ...jump } });
  servers.push(server);
  const { ctx } = server;
  const auth = new AuthService(ctx.db);
  for (const u of ['alice', 'bob']) await auth.createTechnician({ username: u, displayName: u.toUpperCase(), password: PASSWORD, role: 'technician' });
  await auth.createTechnician({ username: 'root', displayName: 'ROOT', password: PASSWORD, role: 'admin' });
  const teams = new TeamService(ctx.db);
  await teams.save('Ops');
  await teams.addMember('Ops', 'alice');
  await ctx.jump.saveGroup('Open', { teams: ['Ops'] });
  await ctx.jump.saveGroup('Asked', { technicians: ['alice'], prompt: true, promptTimeoutSeconds: 20, promptDefault: 'deny' });
  const login = async (username: string) => LoginResponse.parse((await post(`${server.url}/api/login`, { username, password: PASSWORD })).json).token;
  const enroll = async (group: string, mode: 'active' | 'passive' = 'active') => {
    const { token } = await ctx.jump.mintToken(group, 60_000, 'test');
    const r = await post(`${server.url}/api/jump/enroll`, { token, mode, info: INFO });
    expect(r.status).toBe(200);
    return JumpEnrollResponse.parse(r.json);
  };
  const jumpHello = (credential: string) => ({ type: 'hello', role: 'jump', credential, info: INFO, heartbeatSeconds: 30 });
  const connectJump = (credential: string) => Client.connect(server.url, ServerToJump, jumpHello(credential));
  const connectConsole = async (username: string) => Client.connect(server.url, ServerToConsole, { type: 'hello', role: 'console', token: await login(username) });
  return { server, ctx, enroll, connectJump, connectConsole, jumpHello };
}

describe('jump clients on the server', () => {
  it('an enrolled active client shows online to a technician with access, and not at all to one without', async () => {
    const { enroll, connectJump, connectConsole } = await setup();
    const { clientId, credential } = await enroll('Open');
    const alice = await connectConsole('alice');
    await alice.request({ type: 'jump:subscribe' });
    const first = await alice.of('jump:snapshot');
    expect(first.groups.map((g) => g.name)).toEqual(['Asked', 'Open']);
    expect(first.clients).toEqual([expect.objectContaining({ id: clientId, name: 'kiosk-7', online: false, elevated: true })]);

    const mark = alice.mark();
    const jump = await connectJump(credential);
    expect(jump.received[0]).toEqual({ type: 'welcome', clientId, name: 'kiosk-7' });
    await alice.of('jump:client', (m) => m.client.id === clientId && m.client.online, mark);

    const bob = await connectConsole('bob');
    await bob.request({ type: 'jump:subscribe' });
    expect(await bob.of('jump:snapshot')).toEqual({ type: 'jump:snapshot', groups: [], clients: [] });

    const gone = alice.mark();
    jump.ws.close();
    await alice.of('jump:client', (m) => m.client.id === clientId && !m.client.online && m.client.lastSeenAt !== null, gone);
    expect(bob.received.filter((m) => m.type === 'jump:client')).toEqual([]);
  });

  it('a technician without access is refused jump:start with ERR_PERMISSION, whatever the client id', async () => {
    const { ctx, enroll, connectJump, connectConsole } = await setup();
    const { clientId, credential } = await enroll('Open');
    await connectJump(credential);
    const bob = await connectConsole('bob');
    await expect(bob.request({ type: 'jump:start', clientId })).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    await expect(bob.request({ type: 'jump:start', clientId: 999 })).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    expect(await ctx.db.selectFrom('requests').select('id').execute()).toEqual([]);
    const audit = await ctx.db.selectFrom('audit_log').select(['actor', 'action']).where('action', '=', 'jump.session.refused').execute();
    expect(audit).toEqual([{ actor: 'bob', action: 'jump.session.refused' }, { actor: 'bob', action: 'jump.session.refused' }]);
  });

  it('without a prompt, a session starts accepted with the policy\'s consent, and the agent joins with the join key', async () => {
    const { server, enroll, connectJump, connectConsole } = await setup();
    const { clientId, credential } = await enroll('Open');
    const jump = await connectJump(credential);
    const alice = await connectConsole('alice');
    await alice.request({ type: 'jump:start', clientId });
    const offer = await jump.of('jump:session');
    expect(offer.session.prompt).toBeNull();
    const state = await alice.of('session:state', (m) => m.state.requestId === offer.session.requestId);
    expect(state.state).toMatchObject({ status: 'active', customerName: 'kiosk-7', technician: { displayName: 'ALICE' } });
    // Alice holds no shell_elevated grant: no administrator shell even on a root client.
    expect(state.state.consent).toEqual({ view: true, control: true, files: true, sysinfo: true, shell: true, shell_elevated: false });

    const agent = await Client.connect(server.url, ServerToAgent, { type: 'hello', role: 'agent', resumeKey: offer.session.joinKey, info: { hostname: 'kiosk-7', os: 'Debian', user: 'dana' } });
    expect(agent.received[0]).toMatchObject({ type: 'welcome', requestId: offer.session.requestId });
    await agent.of('session:state', (m) => m.state.status === 'active' && m.state.consent.view && m.state.agentOnline);
  });

  it('an offline active client cannot be started', async () => {
    const { enroll, connectConsole } = await setup();
    const { clientId } = await enroll('Open');
    const alice = await connectConsole('alice');
    await expect(alice.request({ type: 'jump:start', clientId })).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
  });

  it('with a prompt, nothing is allowed until the user answers; the answer is audited; deny ends the session with the reason', async () => {
    const { server, ctx, enroll, connectJump, connectConsole } = await setup();
    const { clientId, credential } = await enroll('Asked');
    const jump = await connectJump(credential);
    const alice = await connectConsole('alice');

    await alice.request({ type: 'jump:start', clientId });
    const allowed = await jump.of('jump:session');
    expect(allowed.session.prompt).toEqual({ timeoutSeconds: 20, defaultAnswer: 'deny', technician: 'ALICE' });
    const { requestId } = allowed.session;
    const waiting = await alice.of('session:state', (m) => m.state.requestId === requestId);
    expect(waiting.state.consent.view).toBe(false);
    const report = (body: object, token = credential) => post(`${server.url}/api/jump/report`, body, token);
    expect((await report({ kind: 'prompt', requestId, answer: 'allow', timedOut: false })).status).toBe(200);
    await alice.of('session:state', (m) => m.state.requestId === requestId && m.state.consent.view && m.state.consent.shell === true);
    // One answer per session.
    expect((await report({ kind: 'prompt', requestId, answer: 'deny', timedOut: false })).status).toBe(400);

    const mark = jump.mark();
    await alice.request({ type: 'jump:start', clientId });
    const denied = (await jump.of('jump:session', () => true, mark)).session.requestId;
    // A stranger's credential cannot answer for this client.
    expect((await report({ kind: 'prompt', requestId: denied, answer: 'allow', timedOut: false }, 'forged')).status).toBe(401);
    expect((await report({ kind: 'prompt', requestId: denied, answer: 'deny', timedOut: true })).status).toBe(200);
    const ended = await alice.of('session:state', (m) => m.state.requestId === denied && m.state.status === 'ended');
    expect(ended.state.endedReason).toMatch(/nobody answered .* in time/);

    const answers = await ctx.db.selectFrom('audit_log').select(['actor', 'detail']).where('action', '=', 'jump.prompt.answered').orderBy('id').execute();
    expect(answers.map((a) => ({ actor: a.actor, ...JSON.parse(a.detail) }))).toEqual([
      { actor: 'user@kiosk-7', requestId, clientId, answer: 'allow', timedOut: false },
      { actor: 'user@kiosk-7', requestId: denied, clientId, answer: 'deny', timedOut: true },
    ]);
  });

  it('caps the rate of jump connections and says when to come back', async () => {
    const { enroll, jumpHello, server } = await setup({ connectsPerSecond: 1, connectBurst: 1 });
    const { credential } = await enroll('Open');
    const first = await Client.connect(server.url, ServerToJump, jumpHello(credential));
    expect(first.received[0]!.type).toBe('welcome');
    const second = await Client.connect(server.url, ServerToJump, jumpHello(credential));
    expect(second.received[0]).toMatchObject({ type: 'error', code: 'ERR_RATE_LIMITED', retryAfterMs: expect.any(Number) });
    const r = await post(`${server.url}/api/jump/check-in`, { info: INFO }, credential);
    expect(r.status).toBe(429);
    expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(JumpApiError.parse(r.json).error).toMatchObject({ code: 'ERR_RATE_LIMITED', retryAfterMs: expect.any(Number) });
  });

  it('a removed client is told to uninstall, dropped, and its credential no longer works', async () => {
    const { ctx, server, enroll, connectJump, connectConsole } = await setup();
    const { clientId, credential } = await enroll('Open');
    const jump = await connectJump(credential);
    const alice = await connectConsole('alice');
    await alice.request({ type: 'jump:subscribe' });
    await alice.of('jump:snapshot');

    await ctx.jump.remove(clientId);
    await jump.of('jump:uninstall');
    await jump.of('error', (m) => m.code === 'ERR_NOT_AUTHENTICATED');
    expect(await jump.closed).toBe(4003);
    await alice.of('jump:removed', (m) => m.clientId === clientId);

    const again = await connectJump(credential);
    expect(again.received.map((m) => m.type)).toEqual(['jump:uninstall', 'error']);
    expect(again.received[1]).toMatchObject({ code: 'ERR_NOT_AUTHENTICATED' });
    const r = await post(`${server.url}/api/jump/check-in`, { info: INFO }, credential);
    expect(r.status).toBe(401);
    expect(JumpApiError.parse(r.json)).toMatchObject({ uninstall: true, error: { code: 'ERR_NOT_AUTHENTICATED' } });
  });

  it('a passive client learns of a waiting session at check-in, with a join key the agent can use', async () => {
    const { server, enroll, connectConsole } = await setup();
    const { clientId, credential } = await enroll('Open', 'passive');
    const checkIn = async () => JumpCheckInResponse.parse((await post(`${server.url}/api/jump/check-in`, { info: INFO }, credential)).json);
    expect(await checkIn()).toEqual({ sessions: [] });
    const alice = await connectConsole('alice');
    await alice.request({ type: 'jump:start', clientId });
    const { sessions } = await checkIn();
    expect(sessions).toHaveLength(1);
    // Delivered once.
    expect(await checkIn()).toEqual({ sessions: [] });
    const agent = await Client.connect(server.url, ServerToAgent, { type: 'hello', role: 'agent', resumeKey: sessions[0]!.joinKey, info: { hostname: 'kiosk-7', os: 'Debian', user: 'dana' } });
    expect(agent.received[0]).toMatchObject({ type: 'welcome', requestId: sessions[0]!.requestId });
  });

  it('a passive client that gives a wake port at check-in is woken there when a session starts, and the technician is told', async () => {
    const { server, ctx, enroll, connectConsole } = await setup();
    const { clientId, credential } = await enroll('Open', 'passive');
    const udp = dgram.createSocket('udp4');
    const got: Buffer[] = [];
    udp.on('message', (m) => got.push(m));
    await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
    try {
      await post(`${server.url}/api/jump/check-in`, { info: INFO, wakePort: udp.address().port }, credential);
      expect(await ctx.jump.get(clientId)).toMatchObject({ wake_address: expect.stringMatching(/127\.0\.0\.1$/), wake_port: udp.address().port });
      const alice = await connectConsole('alice');
      await alice.request({ type: 'jump:start', clientId });
      const { request_id: requestId } = await ctx.db.selectFrom('jump_sessions').select('request_id').where('client_id', '=', clientId).executeTakeFirstOrThrow();
      await expect.poll(() => got.length).toBeGreaterThan(0);
      const wake = parseWake(got[0]!)!;
      expect(wake.body.clientId).toBe(clientId);
      const mac = createHmac('sha256', createHash('sha256').update(credential).digest()).update(wake.signed).digest();
      expect(Buffer.from(wake.mac).equals(mac)).toBe(true);
      const chat = await ctx.chat.history(requestId);
      expect(chat.map((m) => m.text).join('\n')).toContain('it was sent a wake');
      // Without a port at check-in, there is nowhere to send one.
      await post(`${server.url}/api/jump/check-in`, { info: INFO }, credential);
      expect(await ctx.jump.get(clientId)).toMatchObject({ wake_address: null, wake_port: null });
    } finally {
      udp.close();
    }
  });

  it('an administrator sees every group and renames, moves and removes clients; a technician may not, and watchers follow live', async () => {
    const { enroll, connectJump, connectConsole } = await setup();
    const { clientId, credential } = await enroll('Open');
    const jump = await connectJump(credential);
    const alice = await connectConsole('alice');
    await alice.request({ type: 'jump:subscribe' });
    const root = await connectConsole('root');
    await root.request({ type: 'jump:subscribe' });
    const snapshot = await root.of('jump:snapshot');
    // Not in any policy: he manages both groups and starts sessions in neither.
    expect(snapshot.groups.map((g) => [g.name, g.mayStart]).sort()).toEqual([['Asked', false], ['Open', false]]);
    await expect(root.request({ type: 'jump:start', clientId })).rejects.toMatchObject({ code: 'ERR_PERMISSION' });

    await expect(alice.request({ type: 'jump:manage', clientId, change: { action: 'remove' } })).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    await expect(root.request({ type: 'jump:manage', clientId, change: { action: 'rename', name: '   ' } })).rejects.toMatchObject({ code: 'ERR_BAD_MESSAGE' });

    let mark = alice.mark();
    await root.request({ type: 'jump:manage', clientId, change: { action: 'rename', name: 'Front desk' } });
    expect((await alice.of('jump:client', () => true, mark)).client).toMatchObject({ id: clientId, name: 'Front desk', online: true });

    mark = alice.mark();
    const asked = snapshot.groups.find((g) => g.name === 'Asked')!;
    await root.request({ type: 'jump:manage', clientId, change: { action: 'move', groupId: asked.id } });
    expect((await alice.of('jump:client', () => true, mark)).client).toMatchObject({ groupId: asked.id, name: 'Front desk' });
    await expect(root.request({ type: 'jump:manage', clientId, change: { action: 'move', groupId: 999 } })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });

    await root.request({ type: 'jump:manage', clientId, change: { action: 'remove' } });
    await jump.of('jump:uninstall');
    expect(await jump.closed).toBe(4003);
    await root.of('jump:removed', (m) => m.clientId === clientId);
    await expect(root.request({ type: 'jump:manage', clientId, change: { action: 'remove' } })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('refuses bad enrolment and hello input with typed errors', async () => {
    const { server, connectJump } = await setup();
    const bad = await post(`${server.url}/api/jump/enroll`, { token: 'x', mode: 'sideways', info: INFO });
    expect(bad.status).toBe(400);
    expect(JumpApiError.parse(bad.json).error.code).toBe('ERR_BAD_MESSAGE');
    const unknown = await post(`${server.url}/api/jump/enroll`, { token: 'x', mode: 'active', info: INFO });
    expect(unknown.status).toBe(401);
    const stranger = await connectJump('no-such-credential');
    expect(stranger.received).toEqual([expect.objectContaining({ type: 'error', code: 'ERR_NOT_AUTHENTICATED' })]);
  });
});
