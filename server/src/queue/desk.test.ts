/**
 * The support desk in-process, driven over HTTP and WebSocket as the portal,
 * the consoles and the agent drive it: portal requests without a code,
 * routing, presence, and what survives a restart. Every server message is
 * parsed with the client's schema from shared/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { IssueTypesResponse, PortalHelpResponse, type TechnicianPresence } from '../../../shared/desk.js';
import { LoginResponse, ServerToAgent, ServerToConsole, type QueueItem } from '../../../shared/protocol.js';
import { startServer, type RunningServer } from '../server.js';

const WAIT_MS = 5000;
type Msg = ServerToConsole;

/** A console connection that records what arrives and waits for what a test expects. */
class Console {
  readonly received: Msg[] = [];
  readonly invalid: unknown[] = [];
  private readonly waiters = new Set<() => void>();
  private ref = 1;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      const parsed = ServerToConsole.safeParse(JSON.parse(String(d)));
      if (parsed.success) this.received.push(parsed.data);
      else this.invalid.push(String(d));
      for (const w of [...this.waiters]) w();
    });
  }

  waitFor<T>(what: string, pick: () => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = pick();
        if (v === undefined) return false;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(v);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; last queue: ${JSON.stringify(this.queue())}`));
      }, WAIT_MS);
      if (!check()) this.waiters.add(check);
    });
  }

  /** The latest queue snapshot's items. */
  queue(): QueueItem[] {
    const last = this.received.filter((m) => m.type === 'queue:snapshot').at(-1);
    return last?.type === 'queue:snapshot' ? last.items : [];
  }

  presence(): TechnicianPresence[] {
    const last = this.received.filter((m) => m.type === 'presence:snapshot').at(-1);
    return last?.type === 'presence:snapshot' ? last.technicians : [];
  }

  item(requestId: string, pred: (i: QueueItem) => boolean = () => true): Promise<QueueItem> {
    return this.waitFor(`queue item ${requestId}`, () => this.queue().find((i) => i.requestId === requestId && pred(i)));
  }

  statusOf(name: string, status: TechnicianPresence['status']): Promise<TechnicianPresence> {
    return this.waitFor(`${name} ${status}`, () => this.presence().find((p) => p.displayName === name && p.status === status));
  }

  async request(msg: object): Promise<void> {
    const ref = this.ref++;
    const mark = this.received.length;
    this.ws.send(JSON.stringify({ ...msg, ref }));
    const answer = await this.waitFor('an answer', () =>
      this.received.slice(mark).find((m) => (m.type === 'ack' || m.type === 'error') && m.ref === ref));
    if (answer.type === 'error') throw Object.assign(new Error(answer.message), { code: answer.code });
  }
}

const servers: RunningServer[] = [];
const sockets: WebSocket[] = [];
const consoles: Console[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  const invalid = consoles.splice(0).flatMap((c) => c.invalid);
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  expect(invalid).toEqual([]);
});

async function start(dataDir?: string, opts: { portalRequestsPerMinute?: number } = {}) {
  const dir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-desk-'));
  if (!dataDir) dirs.push(dir);
  const server = await startServer({ dataDir: dir, port: 0, ...opts });
  servers.push(server);
  return { server, dir };
}

/** Ann and Bob in team Printers (least busy), Cem outside it; issue type "Printer jam" goes to Printers. */
async function desk(opts: { portalRequestsPerMinute?: number } = {}) {
  const started = await start(undefined, opts);
  const { ctx } = started.server;
  for (const name of ['Ann', 'Bob', 'Cem']) {
    await ctx.auth.createTechnician({ username: name.toLowerCase(), displayName: name, password: 'long enough password', role: 'technician' });
  }
  await ctx.teams.save('Printers', 'least_busy');
  await ctx.teams.addMember('Printers', 'ann');
  await ctx.teams.addMember('Printers', 'bob');
  await ctx.desk.issueTypes.save('Printer jam', 'Printers');
  return started;
}

async function connect(url: string, username: string): Promise<Console> {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'long enough password' }),
  });
  const { token } = LoginResponse.parse(await res.json());
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
  sockets.push(ws);
  const c = new Console(ws);
  consoles.push(c);
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ type: 'hello', role: 'console', token }));
  await c.waitFor('welcome', () => c.received.find((m) => m.type === 'welcome'));
  return c;
}

async function ask(url: string, body: object): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${url}/api/portal/request`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json() };
}

async function askOk(url: string, body: object) {
  const r = await ask(url, body);
  if (r.status !== 200) throw new Error(JSON.stringify(r.json));
  return PortalHelpResponse.parse(r.json);
}

describe('portal requests without a code', () => {
  it('lists the issue types by name for the portal', async () => {
    const { server } = await desk();
    await server.ctx.desk.issueTypes.save('Network down', 'Printers', 'network');
    const res = await fetch(`${server.url}/api/portal/issue-types`);
    expect(IssueTypesResponse.parse(await res.json()).issueTypes).toEqual([{ name: 'Network down' }, { name: 'Printer jam' }]);
  });

  it('a request with an issue type waits in that type\'s team queue; without one, in the general queue', async () => {
    const { server } = await desk();
    const ann = await connect(server.url, 'ann');
    const cem = await connect(server.url, 'cem');
    const team = await askOk(server.url, { name: 'Ada', description: 'The printer eats paper', issueType: 'Printer jam' });
    expect(team.queueName).toBe('the Printers team');
    expect(team.agentCommand).toContain(`--code ${team.code}`);
    const item = await ann.item(team.requestId);
    expect(item).toMatchObject({ customerName: 'Ada', description: 'The printer eats paper', issueType: 'Printer jam', queue: { kind: 'team', team: { name: 'Printers' } } });
    const general = await askOk(server.url, { name: 'Bo', description: 'Something else', issueType: 'No such type' });
    expect(general.queueName).toBe('the support desk');
    expect(await cem.item(general.requestId)).toMatchObject({ queue: { kind: 'general' }, issueType: null });
    // Cem is not in Printers: the team request is not in his list.
    expect(cem.queue().map((i) => i.requestId)).not.toContain(team.requestId);
    const stored = await server.ctx.queue.getOrThrow(team.requestId);
    expect(stored).toMatchObject({ queue: 'team', technician_id: null, customer_name: 'Ada', status: 'waiting' });
  });

  it('the agent joins the request with the code the portal shows', async () => {
    const { server } = await desk();
    const ann = await connect(server.url, 'ann');
    const r = await askOk(server.url, { name: 'Ada', description: 'Printer', issueType: 'Printer jam' });
    const agent = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws`);
    sockets.push(agent);
    const got: unknown[] = [];
    agent.on('message', (d) => got.push(ServerToAgent.parse(JSON.parse(String(d)))));
    await new Promise((res) => agent.once('open', res));
    agent.send(JSON.stringify({ type: 'hello', role: 'agent', code: r.code, info: { hostname: 'pc-7', os: 'Linux', user: 'ada' } }));
    await ann.item(r.requestId, (i) => i.agentOnline && i.agent?.hostname === 'pc-7');
    expect(got[0]).toMatchObject({ type: 'welcome', requestId: r.requestId });
  });

  it('refuses malformed requests with ERR_BAD_MESSAGE and rate-limits by address', async () => {
    const { server } = await desk({ portalRequestsPerMinute: 2 });
    for (const bad of [{ name: '', description: 'x' }, { name: 'Ada' }, { name: 'Ada', description: 'x'.repeat(501) }, { name: 7, description: 'x' }]) {
      const r = await ask(server.url, bad);
      expect(r.status).toBe(400);
      expect(r.json).toMatchObject({ error: { code: 'ERR_BAD_MESSAGE' } });
    }
    await askOk(server.url, { name: 'Ada', description: 'one' });
    await askOk(server.url, { name: 'Ada', description: 'two' });
    const third = await ask(server.url, { name: 'Ada', description: 'three' });
    expect(third.status).toBe(429);
    expect(third.json).toMatchObject({ error: { code: 'ERR_RATE_LIMITED' } });
    expect(await server.ctx.db.selectFrom('requests').select('id').execute()).toHaveLength(2);
  });
});

describe('routing and presence', () => {
  it('routes a team request to the least busy available member; away members and non-members are passed over', async () => {
    const { server } = await desk();
    const ann = await connect(server.url, 'ann');
    const bob = await connect(server.url, 'bob');
    await connect(server.url, 'cem');
    await ann.request({ type: 'presence:set', status: 'away' });
    await bob.statusOf('Ann', 'away');
    const r = await askOk(server.url, { name: 'Ada', description: 'Jam', issueType: 'Printer jam' });
    const item = await bob.item(r.requestId, (i) => i.routedTo != null);
    expect(item.routedTo?.displayName).toBe('Bob');
    // Ann still sees it in the team queue, assigned to Bob.
    expect((await ann.item(r.requestId, (i) => i.routedTo != null)).routedTo?.displayName).toBe('Bob');
    const welcome = bob.received.find((m): m is Extract<Msg, { type: 'welcome' }> => m.type === 'welcome');
    expect((await server.ctx.queue.getOrThrow(r.requestId)).routed_to).toBe(welcome?.technician.id);
  });

  it('a technician with a session is busy and passed over; when nobody is available the request waits, and is routed once someone is', async () => {
    const { server } = await desk();
    const ann = await connect(server.url, 'ann');
    // Ann takes a general request: one session makes her busy (the default limit).
    const first = await askOk(server.url, { name: 'First', description: 'General' });
    await ann.item(first.requestId);
    await ann.request({ type: 'queue:accept', requestId: first.requestId });
    await ann.statusOf('Ann', 'busy');
    const r = await askOk(server.url, { name: 'Ada', description: 'Jam', issueType: 'Printer jam' });
    await ann.item(r.requestId);
    expect((await server.ctx.queue.getOrThrow(r.requestId)).routed_to).toBeNull();
    // Bob comes online: available, so the waiting request is his.
    const bob = await connect(server.url, 'bob');
    expect((await bob.item(r.requestId, (i) => i.routedTo != null)).routedTo?.displayName).toBe('Bob');
    await ann.statusOf('Bob', 'available');
  });

  it('a routed request moves on when its technician goes away, and the first technician to accept it gets it', async () => {
    const { server } = await desk();
    const ann = await connect(server.url, 'ann');
    const r = await askOk(server.url, { name: 'Ada', description: 'Jam', issueType: 'Printer jam' });
    await ann.item(r.requestId, (i) => i.routedTo?.displayName === 'Ann');
    const bob = await connect(server.url, 'bob');
    await ann.request({ type: 'presence:set', status: 'away' });
    await bob.item(r.requestId, (i) => i.routedTo?.displayName === 'Bob');
    // Ann may still take it from the team queue.
    await ann.request({ type: 'queue:accept', requestId: r.requestId });
    await bob.waitFor('the request to leave Bob\'s list', () => (bob.queue().some((i) => i.requestId === r.requestId) ? undefined : true));
    await expect(bob.request({ type: 'queue:accept', requestId: r.requestId })).rejects.toMatchObject({ code: 'ERR_ALREADY_TAKEN' });
    const cem = await connect(server.url, 'cem');
    const other = await askOk(server.url, { name: 'Eve', description: 'Jam', issueType: 'Printer jam' });
    await expect(cem.request({ type: 'queue:accept', requestId: other.requestId })).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
  });

  it('presence is live to everyone: online, busy by hand, offline when the console leaves', async () => {
    const { server } = await desk();
    const ann = await connect(server.url, 'ann');
    await ann.statusOf('Bob', 'offline');
    const bob = await connect(server.url, 'bob');
    await ann.statusOf('Bob', 'available');
    await bob.request({ type: 'presence:set', status: 'busy' });
    expect(await ann.statusOf('Bob', 'busy')).toMatchObject({ chosen: 'busy', activeSessions: 0 });
    bob.ws.close();
    await ann.statusOf('Bob', 'offline');
    // A bad status is refused by the router's schema, typed.
    await expect(ann.request({ type: 'presence:set', status: 'sleeping' })).rejects.toMatchObject({ code: 'ERR_BAD_MESSAGE' });
  });
});

describe('after a restart', () => {
  it('waiting team requests are still queued; their routing is rebuilt for whoever comes online', async () => {
    const { server, dir } = await desk();
    const ann = await connect(server.url, 'ann');
    const r = await askOk(server.url, { name: 'Ada', description: 'Jam', issueType: 'Printer jam' });
    await ann.item(r.requestId, (i) => i.routedTo?.displayName === 'Ann');
    for (const s of sockets.splice(0)) s.terminate();
    await servers.pop()!.close();

    const again = await start(dir);
    // Nobody is online yet: the request waits unassigned.
    expect(await again.server.ctx.queue.getOrThrow(r.requestId)).toMatchObject({ status: 'waiting', routed_to: null, queue: 'team' });
    const bob = await connect(again.server.url, 'bob');
    const item = await bob.item(r.requestId, (i) => i.routedTo?.displayName === 'Bob');
    expect(item).toMatchObject({ customerName: 'Ada', description: 'Jam', queue: { kind: 'team', team: { name: 'Printers' } } });
    dirs.push(dir);
  });
});
