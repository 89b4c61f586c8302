import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthService } from '../auth/service.js';
import { CodeService } from '../codes/service.js';
import { openDatabase, type Db } from '../db/index.js';
import { QueueService, canAct, canChat, parseAgentInfo } from './service.js';

let dir: string;
let db: Db;
let queue: QueueService;
let codes: CodeService;
let alice: number;
let bob: number;

async function open(): Promise<void> {
  db = await openDatabase(dir);
  queue = new QueueService(db);
  codes = new CodeService(db, queue);
}

/** A request in `techId`'s queue, as a user's portal creates it. */
async function newRequest(techId: number, name = 'Ada'): Promise<string> {
  const { code } = await codes.create(techId);
  return (await codes.claim(code, 'portal', name)).requestId;
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-queue-'));
  await open();
  const auth = new AuthService(db);
  alice = (await auth.createTechnician({ username: 'alice', displayName: 'Alice', password: 'long enough password', role: 'technician' })).id;
  bob = (await auth.createTechnician({ username: 'bob', displayName: 'Bob', password: 'long enough password', role: 'technician' })).id;
});

afterEach(async () => {
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('QueueService.accept', () => {
  it('makes a waiting request active for the technician who accepts it', async () => {
    const id = await newRequest(alice);
    const row = await queue.accept(id, alice);
    expect(row).toMatchObject({ id, status: 'active', accepted_by: alice });
    expect(row.accepted_at).toEqual(expect.any(Number));
  });

  it('of two simultaneous accepts, exactly one wins and the other gets ERR_ALREADY_TAKEN', async () => {
    const id = await newRequest(alice);
    const results = await Promise.allSettled([queue.accept(id, alice), queue.accept(id, alice)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(rejected?.reason).toMatchObject({ code: 'ERR_ALREADY_TAKEN' });
  });

  it('refuses another technician\'s request with ERR_PERMISSION', async () => {
    const id = await newRequest(alice);
    await expect(queue.accept(id, bob)).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    expect((await queue.getOrThrow(id)).status).toBe('waiting');
  });

  it('refuses an ended request with ERR_SESSION_ENDED', async () => {
    const id = await newRequest(alice);
    await queue.end(id, 'ended by the user');
    await expect(queue.accept(id, alice)).rejects.toMatchObject({ code: 'ERR_SESSION_ENDED' });
  });

  it('refuses an unknown request with ERR_NOT_FOUND', async () => {
    await expect(queue.accept('no-such-request', alice)).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });
});

describe('QueueService.listFor', () => {
  it('shows a technician his waiting and active requests, oldest first, and never ended ones', async () => {
    const waiting = await newRequest(alice, 'Waiting');
    const active = await newRequest(alice, 'Active');
    const ended = await newRequest(alice, 'Ended');
    await queue.accept(active, alice);
    await queue.end(ended, 'ended by Alice');
    // Creation times opposite to insertion order, so the order can only come from created_at.
    await db.updateTable('requests').set({ created_at: 2000 }).where('id', '=', waiting).execute();
    await db.updateTable('requests').set({ created_at: 1000 }).where('id', '=', active).execute();
    const mine = await queue.listFor(alice);
    expect(mine.map((r) => [r.id, r.status])).toEqual([[active, 'active'], [waiting, 'waiting']]);
  });

  it('does not show one technician\'s requests to another', async () => {
    await newRequest(alice);
    const bobs = await newRequest(bob, 'Bob\'s customer');
    expect((await queue.listFor(bob)).map((r) => r.id)).toEqual([bobs]);
  });

  it('the queue survives closing and reopening the database', async () => {
    const waiting = await newRequest(alice, 'Ada');
    const active = await newRequest(alice, 'Grace');
    await queue.accept(active, alice);
    await queue.setConsent(active, { view: true, control: false });
    await db.destroy();
    await open();
    const rows = (await queue.listFor(alice)).sort((a, b) => a.customer_name.localeCompare(b.customer_name));
    expect(rows.map((r) => ({ id: r.id, status: r.status, name: r.customer_name, view: r.consent_view }))).toEqual([
      { id: waiting, status: 'waiting', name: 'Ada', view: 0 },
      { id: active, status: 'active', name: 'Grace', view: 1 },
    ]);
  });
});

describe('QueueService.end', () => {
  it('ends a request once, with its reason', async () => {
    const id = await newRequest(alice);
    expect(await queue.end(id, 'ended by Alice')).toBe(true);
    expect(await queue.end(id, 'ended by the user')).toBe(false);
    expect(await queue.getOrThrow(id)).toMatchObject({ status: 'ended', ended_reason: 'ended by Alice' });
  });
});

describe('agent info and permissions', () => {
  it('stores the agent\'s description and reads it back', async () => {
    const id = await newRequest(alice);
    const info = { hostname: 'pc-7', os: 'Debian 12', user: 'ada', screen: { width: 1920, height: 1080 } };
    await queue.setAgentInfo(id, info);
    expect(parseAgentInfo(await queue.getOrThrow(id))).toEqual(info);
  });

  it('reads unparseable agent info as none', async () => {
    const id = await newRequest(alice);
    await db.updateTable('requests').set({ agent_info: '{broken' }).where('id', '=', id).execute();
    expect(parseAgentInfo(await queue.getOrThrow(id))).toBeNull();
  });

  it('only the queue\'s owner may act on a waiting request, only the accepting technician on an active one', async () => {
    const id = await newRequest(alice);
    expect(canAct(await queue.getOrThrow(id), alice)).toBe(true);
    expect(canAct(await queue.getOrThrow(id), bob)).toBe(false);
    await queue.accept(id, alice);
    const row = await queue.getOrThrow(id);
    expect(canAct(row, alice)).toBe(true);
    expect(canAct(row, bob)).toBe(false);
  });

  it('who may chat in a waiting request is who may accept it; once accepted, only the session\'s technicians', async () => {
    const team = await db.insertInto('teams').values({ name: 'Printers', routing: 'least_busy', created_at: 1 }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('team_members').values({ team_id: team.id, technician_id: bob, skills: '[]' }).execute();
    const personal = await newRequest(alice);
    const teamRequest = await newRequest(alice, 'Bo');
    await db.updateTable('requests').set({ queue: 'team', team_id: team.id, technician_id: null }).where('id', '=', teamRequest).execute();
    const general = await newRequest(alice, 'Cy');
    await db.updateTable('requests').set({ queue: 'general', technician_id: null }).where('id', '=', general).execute();

    const chatters = async (id: string) => {
      const row = await queue.getOrThrow(id);
      const out: number[] = [];
      for (const t of [alice, bob]) if (canChat(row, await queue.viewer(t), [])) out.push(t);
      return out;
    };
    expect(await chatters(personal)).toEqual([alice]);
    expect(await chatters(teamRequest)).toEqual([bob]);
    expect(await chatters(general)).toEqual([alice, bob]);
    // The accept's own rule agrees: Alice may not take the team's request, Bob may.
    await expect(queue.accept(teamRequest, alice)).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    await queue.accept(teamRequest, bob);
    await queue.accept(general, bob);
    expect(await chatters(teamRequest)).toEqual([bob]);
    expect(await chatters(general)).toEqual([bob]);
  });
});
