/**
 * Who sees and may take which request: the pure rules (visibility.ts) and
 * the SQL that applies them (QueueService.listFor and accept), held to the
 * same cases.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthService } from '../auth/service.js';
import { CodeService } from '../codes/service.js';
import { openDatabase, type Db } from '../db/index.js';
import { sha256 } from '../crypto.js';
import { TeamService } from '../teams/service.js';
import { QueueService, type RequestRow } from './service.js';
import { canSee, inQueuesOf, queueKindOf } from './visibility.js';

const row = (over: Partial<RequestRow>): Pick<RequestRow, 'queue' | 'team_id' | 'technician_id' | 'status' | 'accepted_by'> => ({
  queue: 'personal', team_id: null, technician_id: null, status: 'waiting', accepted_by: null, ...over,
});

describe('visibility rules', () => {
  const ann = { id: 1, teamIds: [10] };
  const bob = { id: 2, teamIds: [] };

  it('a personal request is seen by its owner only', () => {
    const r = row({ technician_id: 1 });
    expect(canSee(r, ann)).toBe(true);
    expect(canSee(r, bob)).toBe(false);
  });

  it('a team request is seen by the team\'s members only', () => {
    const r = row({ queue: 'team', team_id: 10 });
    expect(canSee(r, ann)).toBe(true);
    expect(canSee(r, bob)).toBe(false);
  });

  it('a general request is seen by everyone, and so is a team request whose team was removed', () => {
    expect(canSee(row({ queue: 'general' }), bob)).toBe(true);
    expect(queueKindOf(row({ queue: 'team', team_id: null }))).toBe('general');
    expect(canSee(row({ queue: 'team', team_id: null }), bob)).toBe(true);
  });

  it('once accepted, only the accepting technician sees it; ended requests nobody', () => {
    const r = row({ queue: 'general', status: 'active', accepted_by: 2 });
    expect(canSee(r, bob)).toBe(true);
    expect(canSee(r, ann)).toBe(false);
    // Still in Ann's queues as a place, which is what decides ERR_PERMISSION vs ERR_ALREADY_TAKEN.
    expect(inQueuesOf(r, ann)).toBe(true);
    expect(canSee({ ...r, status: 'ended' }, bob)).toBe(false);
  });
});

describe('QueueService with team and general queues', () => {
  let dir: string;
  let db: Db;
  let queue: QueueService;
  let codes: CodeService;
  const ids: Record<'ann' | 'bob' | 'cem', number> = { ann: 0, bob: 0, cem: 0 };
  let helpdesk: number;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-visibility-'));
    db = await openDatabase(dir);
    queue = new QueueService(db);
    codes = new CodeService(db, queue);
    const auth = new AuthService(db);
    for (const u of ['ann', 'bob', 'cem'] as const) {
      ids[u] = (await auth.createTechnician({ username: u, displayName: u, password: 'long enough password', role: 'technician' })).id;
    }
    const teams = new TeamService(db);
    helpdesk = (await teams.save('Helpdesk')).id;
    await teams.addMember('Helpdesk', 'ann');
    await teams.addMember('Helpdesk', 'bob');
  });
  afterEach(async () => {
    await db.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function deskRequest(name: string, q: 'team' | 'general', teamId: number | null = null): Promise<string> {
    return db.transaction().execute(async (trx) => {
      const id = await queue.createDeskRequest(trx, {
        customerName: name, description: 'help', queue: q, teamId, issueType: null, requiredSkill: null, portalKeyHash: sha256(name),
      });
      await codes.createForRequest(trx, id);
      return id;
    });
  }

  async function personal(techId: number, name: string): Promise<string> {
    const { code } = await codes.create(techId);
    return (await codes.claim(code, 'portal', name)).requestId;
  }

  it('lists a technician\'s personal queue, his teams\' queues and the general queue, and nobody else\'s', async () => {
    const annsOwn = await personal(ids.ann, 'Ann\'s customer');
    await personal(ids.cem, 'Cem\'s customer');
    const team = await deskRequest('Team customer', 'team', helpdesk);
    const general = await deskRequest('General customer', 'general');
    const names = async (t: number) => (await queue.listFor(t)).map((r) => r.id).sort();
    expect(await names(ids.ann)).toEqual([annsOwn, team, general].sort());
    expect(await names(ids.bob)).toEqual([team, general].sort());
    expect((await names(ids.cem)).includes(team)).toBe(false);
    expect((await names(ids.cem)).includes(general)).toBe(true);
  });

  it('a team member may accept a team request; a technician outside the team gets ERR_PERMISSION', async () => {
    const id = await deskRequest('Ada', 'team', helpdesk);
    await expect(queue.accept(id, ids.cem)).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    expect((await queue.getOrThrow(id)).status).toBe('waiting');
    expect(await queue.accept(id, ids.bob)).toMatchObject({ status: 'active', accepted_by: ids.bob });
    // Gone from the other member's list; in the accepting one's as his session.
    expect((await queue.listFor(ids.ann)).map((r) => r.id)).not.toContain(id);
    expect((await queue.listFor(ids.bob)).map((r) => r.id)).toContain(id);
  });

  it('of two team members accepting at the same moment, exactly one gets it and the other ERR_ALREADY_TAKEN', async () => {
    const id = await deskRequest('Ada', 'team', helpdesk);
    const results = await Promise.allSettled([queue.accept(id, ids.ann), queue.accept(id, ids.bob)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'rejected')?.reason).toMatchObject({ code: 'ERR_ALREADY_TAKEN' });
    const winner = results.findIndex((r) => r.status === 'fulfilled') === 0 ? ids.ann : ids.bob;
    expect((await queue.getOrThrow(id)).accepted_by).toBe(winner);
  });

  it('anyone may accept a general request; a personal one stays its owner\'s', async () => {
    const general = await deskRequest('Ada', 'general');
    expect(await queue.accept(general, ids.cem)).toMatchObject({ accepted_by: ids.cem });
    const annsOwn = await personal(ids.ann, 'Grace');
    await expect(queue.accept(annsOwn, ids.bob)).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
  });

  it('a team request falls back to the general queue when its team is removed', async () => {
    const id = await deskRequest('Ada', 'team', helpdesk);
    await new TeamService(db).remove('Helpdesk');
    const r = await queue.getOrThrow(id);
    expect(r.team_id).toBeNull();
    expect((await queue.listFor(ids.cem)).map((x) => x.id)).toContain(id);
    expect(await queue.accept(id, ids.cem)).toMatchObject({ accepted_by: ids.cem });
  });

  it('the agent joins a portal request with the code made for it; the portal cannot join it a second time', async () => {
    let code = '';
    const id = await db.transaction().execute(async (trx) => {
      const id = await queue.createDeskRequest(trx, {
        customerName: 'Ada', description: 'help', queue: 'general', teamId: null, issueType: null, requiredSkill: null, portalKeyHash: sha256('k'),
      });
      code = (await codes.createForRequest(trx, id)).code;
      return id;
    });
    expect((await codes.claim(code, 'agent')).requestId).toBe(id);
    await expect(codes.claim(code, 'portal', 'Eve')).rejects.toMatchObject({ code: 'ERR_CODE_USED' });
    expect(await codes.resume('k', 'portal')).toBe(id);
  });
});
