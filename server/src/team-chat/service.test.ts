import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LoginResponse, ServerToConsole } from '../../../shared/protocol.js';
import { TeamChatHistoryResponse, conversationOf } from '../../../shared/team-chat.js';
import { AuthService } from '../auth/service.js';
import { openDatabase, type Db } from '../db/index.js';
import { startServer, type RunningServer } from '../server.js';
import { TeamService } from '../teams/service.js';
import { TeamChatService } from './service.js';

const PASSWORD = 'correct horse battery staple';
const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-team-chat-'));
  dirs.push(d);
  return d;
};

/** ann and bob in team Ops, cem alone. */
async function people(db: Db) {
  const auth = new AuthService(db);
  const [ann, bob, cem] = await Promise.all(['ann', 'bob', 'cem'].map((u) => auth.createTechnician({ username: u, displayName: u.toUpperCase(), password: PASSWORD, role: 'technician' })));
  const teams = new TeamService(db);
  const ops = await teams.save('Ops');
  await teams.addMember('Ops', 'ann');
  await teams.addMember('Ops', 'bob');
  return { ann: ann!, bob: bob!, cem: cem!, ops };
}

describe('TeamChatService', () => {
  let db: Db;
  beforeEach(async () => {
    db = await openDatabase(tmp());
  });
  afterEach(async () => {
    await db.destroy();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('keeps direct conversations between their two technicians, oldest first, stored once per clientId', async () => {
    const { ann, bob, cem } = await people(db);
    const chat = new TeamChatService(db);
    const first = await chat.send(ann.id, { kind: 'technician', id: bob.id }, 'hi bob', 'c1', 1000);
    expect(first.audience).toEqual([ann.id, bob.id]);
    expect((await chat.send(ann.id, { kind: 'technician', id: bob.id }, 'hi bob', 'c1', 1001)).message.id).toBe(first.message.id);
    await chat.send(bob.id, { kind: 'technician', id: ann.id }, 'hi ann', 'c1', 1002);
    await chat.send(cem.id, { kind: 'technician', id: ann.id }, 'psst', 'c9', 1003);
    const seenByBob = await chat.history(bob.id, { kind: 'technician', id: ann.id });
    expect(seenByBob.map((m) => [m.from.displayName, m.text])).toEqual([['ANN', 'hi bob'], ['BOB', 'hi ann']]);
    expect(conversationOf(seenByBob[1]!, ann.id)).toEqual({ kind: 'technician', id: bob.id });
    expect((await chat.history(ann.id, { kind: 'technician', id: cem.id })).map((m) => m.text)).toEqual(['psst']);
  });

  it('lets only members read and write a team\'s chat, and refuses unknown or self targets', async () => {
    const { ann, bob, cem, ops } = await people(db);
    const chat = new TeamChatService(db);
    const sent = await chat.send(bob.id, { kind: 'team', id: ops.id }, 'standup in 5', 'x');
    expect(sent.audience.sort()).toEqual([ann.id, bob.id].sort());
    expect((await chat.history(ann.id, { kind: 'team', id: ops.id })).map((m) => m.text)).toEqual(['standup in 5']);
    await expect(chat.history(cem.id, { kind: 'team', id: ops.id })).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    await expect(chat.send(cem.id, { kind: 'team', id: ops.id }, 'let me in', 'y')).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    await expect(chat.send(ann.id, { kind: 'technician', id: ann.id }, 'me', 'z')).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    await expect(chat.send(ann.id, { kind: 'technician', id: 999 }, 'who', 'w')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });
});

describe('technician chat over the console WebSocket', () => {
  const servers: RunningServer[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('delivers live to both sides, answers bad messages with typed errors, and keeps the history', async () => {
    const server = await startServer({ dataDir: tmp(), port: 0 });
    servers.push(server);
    const { ann, bob, ops } = await people(server.ctx.db);
    const login = async (username: string) => {
      const res = await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
      return LoginResponse.parse(await res.json()).token;
    };
    const connect = async (username: string) => {
      const token = await login(username);
      const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws`);
      const received: ServerToConsole[] = [];
      ws.on('message', (d) => received.push(ServerToConsole.parse(JSON.parse(String(d)))));
      await new Promise((r) => ws.once('open', r));
      ws.send(JSON.stringify({ type: 'hello', role: 'console', token }));
      const until = async <T extends ServerToConsole['type']>(type: T, pred: (m: Extract<ServerToConsole, { type: T }>) => boolean = () => true) => {
        for (let i = 0; i < 100; i++) {
          const m = received.find((x): x is Extract<ServerToConsole, { type: T }> => x.type === type && pred(x as Extract<ServerToConsole, { type: T }>));
          if (m) return m;
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error(`no ${type}`);
      };
      await until('welcome');
      return { ws, token, until };
    };
    const a = await connect('ann');
    const b = await connect('bob');
    a.ws.send(JSON.stringify({ type: 'team-chat:send', to: { kind: 'technician', id: bob.id }, text: 'lunch?', clientId: 'k1', ref: 7 }));
    await a.until('ack', (m) => m.ref === 7);
    expect((await b.until('team-chat:message')).message).toMatchObject({ text: 'lunch?', from: { id: ann.id }, to: { kind: 'technician', id: bob.id } });
    await a.until('team-chat:message');

    a.ws.send(JSON.stringify({ type: 'team-chat:send', to: { kind: 'team', id: ops.id }, text: '', clientId: 'k2', ref: 8 }));
    expect((await a.until('error', (m) => m.ref === 8)).code).toBe('ERR_BAD_MESSAGE');
    a.ws.send(JSON.stringify({ type: 'team-chat:send', to: { kind: 'team', id: 999 }, text: 'x', clientId: 'k3', ref: 9 }));
    expect((await a.until('error', (m) => m.ref === 9)).code).toBe('ERR_PERMISSION');

    const res = await fetch(`${server.url}/api/team-chat/history`, { method: 'POST', headers: { authorization: `Bearer ${b.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ with: { kind: 'technician', id: ann.id } }) });
    expect(TeamChatHistoryResponse.parse(await res.json()).messages.map((m) => m.text)).toEqual(['lunch?']);
    const bad = await fetch(`${server.url}/api/team-chat/history`, { method: 'POST', headers: { authorization: `Bearer ${b.token}`, 'content-type': 'application/json' }, body: '{"with":{"kind":"x"}}' });
    expect(bad.status).toBe(400);
    a.ws.close();
    b.ws.close();
  });
});
