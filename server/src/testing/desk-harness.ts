/**
 * For server tests over the real WebSocket protocol: a recording client per
 * peer (every message parsed with the client's schema from shared/), a desk
 * with Ann, and Bob and Cem in team Printers, and Ann's session with a user's
 * portal and agent. Importing it registers the clean-up after each test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterEach, expect } from 'vitest';
import { PortalHelpResponse } from '../../../shared/desk.js';
import { LoginResponse, ServerToAgent, ServerToConsole, ServerToPortal, type SessionState } from '../../../shared/protocol.js';
import { startServer, type RunningServer } from '../server.js';

export const WAIT_MS = 5000;

/** One WebSocket peer that records what arrives (parsed with `schema`) and waits for what a test expects. */
export class Client<M extends { type: string }> {
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

export type Console = Client<ServerToConsole>;

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
export async function desk(prefix: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lifeline-${prefix}-`));
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

export async function open<M extends { type: string }>(url: string, schema: ConstructorParameters<typeof Client<M>>[1], hello: object): Promise<Client<M>> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`);
  sockets.push(ws);
  const c = new Client<M>(ws, schema);
  clients.push(c as unknown as Client<{ type: string }>);
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify(hello));
  await c.waitFor('welcome', () => c.received.find((m) => m.type === 'welcome'));
  return c;
}

export async function connect(url: string, username: string): Promise<Console> {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'long enough password' }),
  });
  const { token } = LoginResponse.parse(await res.json());
  return open(url, ServerToConsole, { type: 'hello', role: 'console', token });
}

/** A user asks for help (general queue), starts the agent, says hello; Ann accepts it. */
export async function annsSession(url: string) {
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
