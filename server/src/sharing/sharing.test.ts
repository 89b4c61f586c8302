/**
 * Shared sessions, in-process over the real WebSocket protocol: who may
 * invite, hand over, leave and end; what the request and its participants
 * look like after a handover; and that signals travel by peerId between the
 * agent and each participant's own console. Every server message is parsed
 * with the client's schema from shared/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { PortalHelpResponse } from '../../../shared/desk.js';
import { LoginResponse, ServerToAgent, ServerToConsole, ServerToPortal, type SessionState } from '../../../shared/protocol.js';
import { startServer, type RunningServer } from '../server.js';

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
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-sharing-'));
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

type Agent = Client<ServerToAgent>;

/** Ann holds the session, Bob is invited into it. */
async function shared(url: string) {
  const s = await annsSession(url);
  const bob = await connect(url, 'bob');
  await s.ann.request({ type: 'session:invite', requestId: s.requestId, technicianId: await idOf(url, bob) });
  return { ...s, bob };
}

async function idOf(_url: string, c: Console): Promise<number> {
  const w = c.of('welcome')[0]!;
  return w.technician.id;
}

const names = (s: SessionState | undefined) => s?.participants?.map((p) => `${p.displayName}${p.control ? '*' : ''}`);

/** The agent's copy of a signal the console sent (peerId and technician added by the server). */
async function signalAt(agent: Agent, data: object) {
  return agent.waitFor('signal at the agent', () => agent.of('signal').find((m) => JSON.stringify(m.data) === JSON.stringify(data)));
}

describe('shared sessions', () => {
  it('the holder invites an online colleague: he gets the state, the chat and the queue entry; everyone sees both participants', async () => {
    const { server, ids } = await desk();
    const { requestId, portal, agent, ann, bob } = await shared(server.url);

    await bob.waitFor('Bob in the session', () => (names(bob.state(requestId))?.length === 2 ? true : undefined));
    expect(names(bob.state(requestId))).toEqual(['Ann*', 'Bob']);
    expect(bob.state(requestId)).toMatchObject({ status: 'active', technician: { id: ids.Ann } });
    expect(bob.of('chat:history').find((h) => h.requestId === requestId)!.messages.map((m) => m.text)).toEqual(expect.arrayContaining(['Hello, it smokes', 'Let me look']));
    await bob.waitFor('Bob\'s queue', () => bob.of('queue:snapshot').at(-1)?.items.find((i) => i.requestId === requestId && i.status === 'active'));
    await portal.waitFor('portal lists both', () => (names(portal.state(requestId))?.length === 2 ? true : undefined));
    expect(names(portal.state(requestId))).toEqual(['Ann*', 'Bob']);
    await agent.waitFor('agent knows both', () => (names(agent.state(requestId))?.length === 2 ? true : undefined));
    expect(names(agent.state(requestId))).toEqual(['Ann*', 'Bob']);
    await portal.waitFor('invite line', () => portal.of('chat:message').find((m) => m.message.text === 'Ann invited Bob into the session.'));
    const audit = await server.ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'session.invited').execute();
    expect(audit.map((a) => [a.actor, JSON.parse(a.detail)])).toEqual([['ann', { requestId, technician: 'bob' }]]);
    // He chats like the holder; inviting him twice changes nothing.
    await bob.request({ type: 'chat:send', requestId, text: 'Bob watching' });
    await portal.waitFor('Bob\'s chat', () => portal.of('chat:message').find((m) => m.message.text === 'Bob watching'));
    await ann.request({ type: 'session:invite', requestId, technicianId: ids.Bob });
    expect(await server.ctx.queue.participantsOf(requestId)).toEqual([ids.Bob]);
    // A reconnecting console of his gets the session too.
    const bob2 = await connect(server.url, 'bob');
    await bob2.waitFor('state on hello', () => bob2.state(requestId));
  });

  it('routes signals by peerId: each console talks to its own peer on the agent, and nobody else gets its answers', async () => {
    const { server, ids } = await desk();
    const { requestId, agent, ann, bob } = await shared(server.url);

    await ann.request({ type: 'signal', requestId, data: { type: 'offer', sdp: 'ann' } });
    await bob.request({ type: 'signal', requestId, data: { type: 'offer', sdp: 'bob' } });
    const fromAnn = await signalAt(agent, { type: 'offer', sdp: 'ann' });
    const fromBob = await signalAt(agent, { type: 'offer', sdp: 'bob' });
    expect(fromAnn.technicianId).toBe(ids.Ann);
    expect(fromBob.technicianId).toBe(ids.Bob);
    expect(fromAnn.peerId).not.toBe(fromBob.peerId);

    await agent.request({ type: 'signal', peerId: fromBob.peerId, data: { type: 'answer', sdp: 'to bob' } });
    await agent.request({ type: 'signal', peerId: fromAnn.peerId, data: { type: 'answer', sdp: 'to ann' } });
    await bob.waitFor('Bob\'s answer', () => bob.of('signal').find((m) => m.data.sdp === 'to bob'));
    await ann.waitFor('Ann\'s answer', () => ann.of('signal').find((m) => m.data.sdp === 'to ann'));
    expect(bob.of('signal').map((m) => m.data.sdp)).toEqual(['to bob']);
    expect(ann.of('signal').map((m) => m.data.sdp)).toEqual(['to ann']);
    // Without a peerId (an older agent) the holder gets it; an unknown peerId reaches nobody.
    await agent.request({ type: 'signal', data: { type: 'candidate', n: 1 } });
    await ann.waitFor('holder fallback', () => ann.of('signal').find((m) => m.data.n === 1));
    await expect(agent.request({ type: 'signal', peerId: 'nobody', data: { n: 2 } })).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    // Once Bob left, his peerId reaches nobody either, and he may not signal.
    await bob.request({ type: 'session:leave', requestId });
    // The agent is told to drop his peer connection, and only his.
    await agent.waitFor('Bob\'s peer closed', () => agent.of('peer:closed').find((m) => m.peerId === fromBob.peerId));
    expect(agent.of('peer:closed').map((m) => m.peerId)).toEqual([fromBob.peerId]);
    await expect(agent.request({ type: 'signal', peerId: fromBob.peerId, data: { n: 3 } })).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    await expect(bob.request({ type: 'signal', requestId, data: { n: 4 } })).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    expect(bob.of('signal').map((m) => m.data.sdp ?? m.data.n)).toEqual(['to bob']);
  });

  it('handover swaps the holder: control, end, invite and transfer go with it; it is audited', async () => {
    const { server, ids } = await desk();
    const { requestId, agent, ann, bob, portal } = await shared(server.url);

    await ann.request({ type: 'session:handover', requestId, technicianId: ids.Bob });
    expect(await server.ctx.queue.getOrThrow(requestId)).toMatchObject({ status: 'active', accepted_by: ids.Bob });
    expect(await server.ctx.queue.participantsOf(requestId)).toEqual([ids.Ann]);
    await agent.waitFor('agent sees Bob holding', () => (names(agent.state(requestId))?.[0] === 'Bob*' ? true : undefined));
    expect(names(agent.state(requestId))).toEqual(['Bob*', 'Ann']);
    // The state's technician and grants are the holder's now.
    expect(agent.state(requestId)).toMatchObject({ technician: { id: ids.Bob, displayName: 'Bob' } });
    await portal.waitFor('handover line', () => portal.of('chat:message').find((m) => m.message.text === 'Ann handed control to Bob.'));
    const audit = await server.ctx.db.selectFrom('audit_log').selectAll().where('action', '=', 'session.handed_over').execute();
    expect(audit.map((a) => [a.actor, JSON.parse(a.detail)])).toEqual([['ann', { requestId, to: 'bob' }]]);

    // Ann, now a participant, may chat and signal but not end, transfer, invite or hand over.
    await ann.request({ type: 'chat:send', requestId, text: 'over to you' });
    await ann.request({ type: 'signal', requestId, data: { type: 'offer', sdp: 'ann again' } });
    for (const msg of [
      { type: 'session:end', requestId },
      { type: 'session:transfer', requestId, to: { team: 'Printers' }, note: '' },
      { type: 'session:invite', requestId, technicianId: ids.Cem },
      { type: 'session:handover', requestId, technicianId: ids.Ann },
    ]) await expect(ann.request(msg), msg.type).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    // Bob hands it back.
    await bob.request({ type: 'session:handover', requestId, technicianId: ids.Ann });
    expect(await server.ctx.queue.getOrThrow(requestId)).toMatchObject({ accepted_by: ids.Ann });
    expect(await server.ctx.queue.participantsOf(requestId)).toEqual([ids.Bob]);
  });

  it('refuses what only the holder may do, people who are not there, and bad messages; refusals change nothing', async () => {
    const { server, ids } = await desk();
    const { requestId, ann } = await annsSession(server.url);
    const bob = await connect(server.url, 'bob');
    await server.ctx.auth.createTechnician({ username: 'dan', displayName: 'Dan', password: 'long enough password', role: 'technician' });
    await server.ctx.auth.changePermissions('dan', ['view'], false);
    const dan = await connect(server.url, 'dan');
    const before = await server.ctx.queue.getOrThrow(requestId);
    const refusals: [Console, object, string][] = [
      [bob, { type: 'session:invite', technicianId: ids.Bob }, 'ERR_PERMISSION'],
      [bob, { type: 'session:handover', technicianId: ids.Bob }, 'ERR_PERMISSION'],
      [bob, { type: 'session:end' }, 'ERR_PERMISSION'],
      [bob, { type: 'chat:send', text: 'hi' }, 'ERR_PERMISSION'],
      [bob, { type: 'signal', data: { type: 'offer' } }, 'ERR_PERMISSION'],
      [bob, { type: 'session:leave' }, 'ERR_PERMISSION'],
      [ann, { type: 'session:invite', technicianId: ids.Cem }, 'ERR_NOT_CONNECTED'],
      [ann, { type: 'session:invite', technicianId: 9999 }, 'ERR_NOT_FOUND'],
      [ann, { type: 'session:invite', technicianId: ids.Ann }, 'ERR_BAD_MESSAGE'],
      [ann, { type: 'session:invite', technicianId: await idOf(server.url, dan) }, 'ERR_PERMISSION'],
      [ann, { type: 'session:invite' }, 'ERR_BAD_MESSAGE'],
      [ann, { type: 'session:invite', technicianId: 'bob' }, 'ERR_BAD_MESSAGE'],
      [ann, { type: 'session:handover', technicianId: ids.Bob }, 'ERR_NOT_FOUND'],
      [ann, { type: 'session:leave' }, 'ERR_BAD_MESSAGE'],
    ];
    for (const [who, body, code] of refusals) {
      await expect(who.request({ requestId, ...body }), JSON.stringify(body)).rejects.toMatchObject({ code });
    }
    await expect(ann.request({ type: 'session:invite', requestId: 'no-such-request', technicianId: ids.Bob })).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect(await server.ctx.queue.getOrThrow(requestId)).toEqual(before);
    expect(await server.ctx.queue.participantsOf(requestId)).toEqual([]);
  });

  it('an invited technician leaves; a transfer takes everyone out; the end reaches the participants', async () => {
    const { server, ids } = await desk();
    const { requestId, ann, bob, portal } = await shared(server.url);
    await bob.request({ type: 'session:leave', requestId });
    await bob.waitFor('Bob\'s last state', () => (names(bob.state(requestId))?.length === 1 ? true : undefined));
    expect(names(bob.state(requestId))).toEqual(['Ann*']);
    await bob.waitFor('queue without it', () => (bob.of('queue:snapshot').at(-1)?.items.some((i) => i.requestId === requestId) === false ? true : undefined));
    await portal.waitFor('left line', () => portal.of('chat:message').find((m) => m.message.text === 'Bob left the session.'));
    await expect(bob.request({ type: 'chat:send', requestId, text: 'still here?' })).rejects.toMatchObject({ code: 'ERR_PERMISSION' });

    // Invited again, then Ann transfers the session: both consoles leave it, and nobody takes part any more.
    await ann.request({ type: 'session:invite', requestId, technicianId: ids.Bob });
    await ann.request({ type: 'session:transfer', requestId, to: { team: 'Printers' }, note: 'printer' });
    await bob.waitFor('Bob told', () => bob.of('session:transferred').find((m) => m.requestId === requestId));
    expect(await server.ctx.queue.participantsOf(requestId)).toEqual([]);
    expect(bob.state(requestId)).toMatchObject({ status: 'waiting', participants: [] });

    // Accepted again and shared: ending it reaches the invited technician.
    await bob.request({ type: 'queue:accept', requestId });
    const cem = await connect(server.url, 'cem');
    await bob.request({ type: 'session:invite', requestId, technicianId: ids.Cem });
    await bob.request({ type: 'session:end', requestId });
    await cem.waitFor('Cem sees the end', () => (cem.state(requestId)?.status === 'ended' ? true : undefined));
  });
});
