/**
 * Transferring a session, in-process over the real WebSocket protocol: who
 * may transfer, which targets exist, what the request looks like afterwards,
 * and that the note and the chat history reach the next technician while the
 * agent and the portal stay connected. Every server message is parsed with
 * the client's schema from shared/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { PortalHelpResponse } from '../../../shared/desk.js';
import { LoginResponse, ServerToAgent, ServerToConsole, ServerToPortal, type SessionState } from '../../../shared/protocol.js';
import { startServer, type RunningServer } from '../server.js';
import { notesOf } from './transfer.js';

const WAIT_MS = 5000;

/** One WebSocket peer that records what arrives (parsed with `schema`) and waits for what a test expects. */
class Client<M extends { type: string }> {
  readonly received: M[] = [];
  readonly invalid: string[] = [];
  private readonly waiters = new Set<() => void>();
  private ref = 1;
  constructor(readonly ws: WebSocket, schema: { safeParse(v: unknown): { success: true; data: M } | { success: false } }) {
    ws.on('message', (d) => {
      const parsed = schema.safeParse(JSON.parse(String(d)));
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
        reject(new Error(`timed out waiting for ${what}`));
      }, WAIT_MS);
      if (!check()) this.waiters.add(check);
    });
  }

  of<T extends M['type']>(type: T): Extract<M, { type: T }>[] {
    return this.received.filter((m): m is Extract<M, { type: T }> => m.type === type);
  }

  /** The latest session state the client holds for a request. */
  state(requestId: string): SessionState | undefined {
    const states = this.received.flatMap((m) => ('state' in m && m.type === 'session:state' ? [m.state as SessionState] : []));
    return states.filter((s) => s.requestId === requestId).at(-1);
  }

  async request(msg: object): Promise<void> {
    const ref = this.ref++;
    const mark = this.received.length;
    this.ws.send(JSON.stringify({ ...msg, ref }));
    const answer = await this.waitFor('an answer', () =>
      this.received.slice(mark).find((m) => (m.type === 'ack' || m.type === 'error') && (m as { ref?: number }).ref === ref));
    if (answer.type === 'error') {
      const e = answer as unknown as { message: string; code: string };
      throw Object.assign(new Error(e.message), { code: e.code });
    }
  }
}

type Console = Client<ServerToConsole>;

const servers: RunningServer[] = [];
const sockets: WebSocket[] = [];
const clients: Client<{ type: string }>[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  const invalid = clients.splice(0).flatMap((c) => c.invalid);
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  expect(invalid).toEqual([]);
});

/** Ann (not in a team), Bob and Cem in team Printers. */
async function desk() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-escalation-'));
  dirs.push(dir);
  const server = await startServer({ dataDir: dir, port: 0 });
  servers.push(server);
  const ids: Record<string, number> = {};
  for (const name of ['Ann', 'Bob', 'Cem']) {
    ids[name] = (await server.ctx.auth.createTechnician({ username: name.toLowerCase(), displayName: name, password: 'long enough password', role: 'technician' })).id;
  }
  await server.ctx.teams.save('Printers', 'least_busy');
  await server.ctx.teams.addMember('Printers', 'bob');
  await server.ctx.teams.addMember('Printers', 'cem');
  return { server, ids };
}

async function open<M extends { type: string }>(url: string, schema: ConstructorParameters<typeof Client<M>>[1], hello: object): Promise<Client<M>> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
  sockets.push(ws);
  const c = new Client<M>(ws, schema);
  clients.push(c as unknown as Client<{ type: string }>);
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify(hello));
  await c.waitFor('welcome', () => c.received.find((m) => m.type === 'welcome'));
  return c;
}

async function connect(url: string, username: string): Promise<Console> {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'long enough password' }),
  });
  const { token } = LoginResponse.parse(await res.json());
  return open(url, ServerToConsole, { type: 'hello', role: 'console', token });
}

/** A user asks for help (general queue), starts the agent, says hello; Ann accepts it. */
async function annsSession(url: string) {
  const res = await fetch(`${url}/api/portal/request`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Ada', description: 'The printer is on fire' }),
  });
  const help = PortalHelpResponse.parse(await res.json());
  const portal = await open(url, ServerToPortal, { type: 'hello', role: 'portal', resumeKey: help.resumeKey });
  const agent = await open(url, ServerToAgent, { type: 'hello', role: 'agent', code: help.code, info: { hostname: 'pc-7', os: 'Linux', user: 'ada' } });
  const ann = await connect(url, 'ann');
  await ann.request({ type: 'queue:accept', requestId: help.requestId });
  await portal.request({ type: 'chat:send', text: 'Hello, it smokes' });
  await ann.request({ type: 'chat:send', requestId: help.requestId, text: 'Let me look' });
  return { requestId: help.requestId, portal, agent, ann };
}

describe('session:transfer', () => {
  it('moves the session to a team queue with the note; a member accepts it and reads the chat so far; agent and portal stay', async () => {
    const { server, ids } = await desk();
    const { requestId, portal, agent, ann } = await annsSession(server.url);
    const bob = await connect(server.url, 'bob');

    await ann.request({ type: 'session:transfer', requestId, to: { team: 'Printers' }, note: 'Needs the printer driver reinstalled' });

    // Ann's console is told the session left her.
    expect(ann.of('session:transferred')).toEqual([
      { type: 'session:transferred', requestId, to: 'the Printers team', note: 'Needs the printer driver reinstalled' },
    ]);
    // The request waits in the team queue, held by nobody; the note is stored and audited.
    expect(await server.ctx.queue.getOrThrow(requestId)).toMatchObject({
      status: 'waiting', queue: 'team', team_id: expect.any(Number), technician_id: null, accepted_by: null, accepted_at: null,
    });
    expect(await notesOf(server.ctx.db, requestId)).toMatchObject([{ authorId: ids.Ann, target: 'the Printers team', text: 'Needs the printer driver reinstalled' }]);
    const audit = await server.ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'session.transferred').execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.actor).toBe('ann');
    expect(JSON.parse(audit[0]!.detail)).toMatchObject({ requestId, to: 'team:Printers', note: 'Needs the printer driver reinstalled' });

    // Bob sees it in his team queue (routing applies: he is the available member) and accepts it.
    await bob.waitFor('the request in Bob\'s queue', () =>
      bob.of('queue:snapshot').at(-1)?.items.find((i) => i.requestId === requestId && i.status === 'waiting' && i.routedTo?.id === ids.Bob));
    // Ann's queue no longer lists it.
    expect(ann.of('queue:snapshot').at(-1)?.items.map((i) => i.requestId)).not.toContain(requestId);
    // The portal and the agent learn that it waits again, with nobody's grants.
    await portal.waitFor('waiting state', () => (portal.state(requestId)?.status === 'waiting' ? true : undefined));
    expect(portal.state(requestId)).toMatchObject({ technician: null, agentOnline: true, portalOnline: true });
    expect(agent.state(requestId)).toMatchObject({ status: 'waiting', grants: [] });

    await bob.request({ type: 'queue:accept', requestId });
    const history = bob.of('chat:history').find((h) => h.requestId === requestId)!;
    expect(history.messages.map((m) => `${m.from}: ${m.text}`)).toEqual(expect.arrayContaining([
      'user: Hello, it smokes',
      'technician: Let me look',
      'system: Ann transferred the session to the Printers team: Needs the printer driver reinstalled',
    ]));
    await bob.waitFor('Bob joined line', () => bob.of('chat:message').find((m) => m.message.text === 'Bob has joined the session.'));
    // The portal shows the new technician; nobody needed a new code; the agent's connection is the same one.
    await portal.waitFor('Bob on the portal', () => (portal.state(requestId)?.technician?.displayName === 'Bob' ? true : undefined));
    expect(portal.state(requestId)).toMatchObject({ status: 'active', agentOnline: true, consoleOnline: true });
    expect(portal.of('chat:message').map((m) => m.message.text)).toContain('Ann transferred the session to the Printers team: Needs the printer driver reinstalled');
    expect(agent.ws.readyState).toBe(WebSocket.OPEN);
    // Bob may drive the peer connection now; Ann may not even chat any more.
    await expect(ann.request({ type: 'chat:send', requestId, text: 'still here?' })).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    await bob.request({ type: 'chat:send', requestId, text: 'Hi, Bob here' });
  });

  it('a technician target puts it in his personal queue: only he may accept it', async () => {
    const { server, ids } = await desk();
    const { requestId, ann } = await annsSession(server.url);
    const bob = await connect(server.url, 'bob');
    const cem = await connect(server.url, 'cem');
    await ann.request({ type: 'session:transfer', requestId, to: { technician: 'cem' }, note: '' });
    expect(ann.of('session:transferred').at(-1)).toMatchObject({ to: 'Cem', note: '' });
    expect(await server.ctx.queue.getOrThrow(requestId)).toMatchObject({ status: 'waiting', queue: 'personal', technician_id: ids.Cem, team_id: null, accepted_by: null });
    await cem.waitFor('transfer line', () => cem.of('chat:message').find((m) => m.message.text === 'Ann transferred the session to Cem.'));
    await expect(bob.request({ type: 'queue:accept', requestId })).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    await cem.request({ type: 'queue:accept', requestId });
    expect(await server.ctx.queue.getOrThrow(requestId)).toMatchObject({ status: 'active', accepted_by: ids.Cem });
    // And on by id, as the console's presence list names people.
    await cem.request({ type: 'session:transfer', requestId, to: { technicianId: ids.Ann }, note: 'back to you' });
    expect(await server.ctx.queue.getOrThrow(requestId)).toMatchObject({ status: 'waiting', technician_id: ids.Ann });
    expect((await notesOf(server.ctx.db, requestId)).map((n) => n.text)).toEqual(['', 'back to you']);
  });

  it('only the technician holding the session may transfer it, only to targets that exist; refusals change nothing', async () => {
    const { server } = await desk();
    const { requestId, ann } = await annsSession(server.url);
    const bob = await connect(server.url, 'bob');
    const before = await server.ctx.queue.getOrThrow(requestId);
    const refusals: [Console, object, string][] = [
      [bob, { to: { team: 'Printers' }, note: '' }, 'ERR_PERMISSION'],
      [ann, { to: { team: 'Nobody' }, note: '' }, 'ERR_NOT_FOUND'],
      [ann, { to: { technician: 'zed' }, note: '' }, 'ERR_NOT_FOUND'],
      [ann, { to: { technicianId: 9999 }, note: '' }, 'ERR_NOT_FOUND'],
      [ann, { to: { technician: 'ann' }, note: '' }, 'ERR_BAD_MESSAGE'],
      [ann, { to: {}, note: '' }, 'ERR_BAD_MESSAGE'],
      [ann, { to: { team: 'Printers', technician: 'bob' }, note: '' }, 'ERR_BAD_MESSAGE'],
      [ann, { to: { team: 'Printers' }, note: 'x'.repeat(1001) }, 'ERR_BAD_MESSAGE'],
      [ann, { to: { team: 'Printers' } }, 'ERR_BAD_MESSAGE'],
    ];
    for (const [who, body, code] of refusals) {
      await expect(who.request({ type: 'session:transfer', requestId, ...body }), JSON.stringify(body)).rejects.toMatchObject({ code });
    }
    await expect(ann.request({ type: 'session:transfer', requestId: 'no-such-request', to: { team: 'Printers' }, note: '' })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect(await server.ctx.queue.getOrThrow(requestId)).toEqual(before);
    expect(await notesOf(server.ctx.db, requestId)).toEqual([]);
    expect(ann.of('session:transferred')).toEqual([]);

    // A waiting request (after a transfer) cannot be transferred again before someone accepts it; an ended one never.
    await ann.request({ type: 'session:transfer', requestId, to: { team: 'Printers' }, note: '' });
    await expect(ann.request({ type: 'session:transfer', requestId, to: { team: 'Printers' }, note: '' })).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    await bob.request({ type: 'queue:accept', requestId });
    await bob.request({ type: 'session:end', requestId });
    await expect(bob.request({ type: 'session:transfer', requestId, to: { technician: 'ann' }, note: '' })).rejects.toMatchObject({ code: 'ERR_SESSION_ENDED' });
  });
});
