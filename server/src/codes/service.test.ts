import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { formatSessionCode } from '../../../shared/session-code.js';
import { AuthService } from '../auth/service.js';
import { sha256 } from '../crypto.js';
import { openDatabase, type Db } from '../db/index.js';
import { QueueService } from '../queue/service.js';
import { CodeService } from './service.js';

let dir: string;
let db: Db;
let queue: QueueService;
let codes: CodeService;
let techId: number;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-codes-'));
  db = await openDatabase(dir);
  queue = new QueueService(db);
  codes = new CodeService(db, queue);
  techId = (await new AuthService(db).createTechnician({ username: 'alice', displayName: 'Alice', password: 'long enough password', role: 'technician' })).id;
});

afterEach(async () => {
  vi.useRealTimers();
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('CodeService', () => {
  it('creates a ten-digit code stored only as its hash', async () => {
    const { code, expiresAt } = await codes.create(techId);
    expect(code).toMatch(/^\d{10}$/);
    expect(expiresAt).toBeGreaterThan(Date.now());
    const rows = await db.selectFrom('session_codes').select(['code_hash', 'technician_id', 'request_id']).execute();
    expect(rows).toEqual([{ code_hash: sha256(code), technician_id: techId, request_id: null }]);
  });

  it('portal then agent land on the same request in the code creator\'s queue', async () => {
    const { code } = await codes.create(techId);
    const portal = await codes.claim(code, 'portal', 'Ada');
    const agent = await codes.claim(code, 'agent');
    expect(agent.requestId).toBe(portal.requestId);
    expect(portal.technicianId).toBe(techId);
    expect(portal.resumeKey).not.toBe(agent.resumeKey);
    const row = await queue.getOrThrow(portal.requestId);
    expect(row).toMatchObject({ technician_id: techId, status: 'waiting', customer_name: 'Ada' });
  });

  it('agent then portal land on the same request, and the portal names the customer', async () => {
    const { code } = await codes.create(techId);
    const agent = await codes.claim(code, 'agent');
    expect((await queue.getOrThrow(agent.requestId)).customer_name).toBe('Customer');
    const portal = await codes.claim(code, 'portal', 'Grace');
    expect(portal.requestId).toBe(agent.requestId);
    expect((await queue.getOrThrow(agent.requestId)).customer_name).toBe('Grace');
  });

  it('accepts the code as the user types it, with spaces or dashes', async () => {
    const { code } = await codes.create(techId);
    const a = await codes.claim(formatSessionCode(code), 'portal');
    const b = await codes.claim(formatSessionCode(code).replaceAll(' ', '-'), 'agent');
    expect(b.requestId).toBe(a.requestId);
  });

  it('refuses a second claim for the same role with ERR_CODE_USED', async () => {
    const { code } = await codes.create(techId);
    await codes.claim(code, 'portal');
    await expect(codes.claim(code, 'portal')).rejects.toMatchObject({ code: 'ERR_CODE_USED' });
    await codes.claim(code, 'agent');
    await expect(codes.claim(code, 'agent')).rejects.toMatchObject({ code: 'ERR_CODE_USED' });
  });

  it('of two simultaneous claims for one role, exactly one succeeds', async () => {
    const { code } = await codes.create(techId);
    const results = await Promise.allSettled([codes.claim(code, 'portal'), codes.claim(code, 'portal')]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(rejected?.reason).toMatchObject({ code: 'ERR_CODE_USED' });
    expect(await db.selectFrom('requests').select('id').execute()).toHaveLength(1);
  });

  it('refuses an unclaimed code after it expired with ERR_CODE_EXPIRED', async () => {
    const shortLived = new CodeService(db, queue, 1000);
    const { code } = await shortLived.create(techId);
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 1001);
    await expect(shortLived.claim(code, 'portal')).rejects.toMatchObject({ code: 'ERR_CODE_EXPIRED' });
    await expect(shortLived.claim(code, 'agent')).rejects.toMatchObject({ code: 'ERR_CODE_EXPIRED' });
    expect(await db.selectFrom('requests').select('id').execute()).toEqual([]);
  });

  it('refuses an unknown or malformed code with ERR_CODE_INVALID', async () => {
    const { code } = await codes.create(techId);
    const other = code === '0000000000' ? '0000000001' : '0000000000';
    await expect(codes.claim(other, 'portal')).rejects.toMatchObject({ code: 'ERR_CODE_INVALID' });
    await expect(codes.claim('12345', 'portal')).rejects.toMatchObject({ code: 'ERR_CODE_INVALID' });
    await expect(codes.claim('abcdefghij', 'agent')).rejects.toMatchObject({ code: 'ERR_CODE_INVALID' });
  });

  it('refuses the code for a role that has not joined once the request ended', async () => {
    const { code } = await codes.create(techId);
    const { requestId } = await codes.claim(code, 'portal');
    await queue.end(requestId, 'ended by the user');
    await expect(codes.claim(code, 'agent')).rejects.toMatchObject({ code: 'ERR_CODE_USED' });
    await expect(codes.claim(code, 'portal')).rejects.toMatchObject({ code: 'ERR_CODE_USED' });
  });
});

describe('CodeService.resume', () => {
  it('a resume key finds its request for its own role only', async () => {
    const { code } = await codes.create(techId);
    const portal = await codes.claim(code, 'portal');
    const agent = await codes.claim(code, 'agent');
    expect(await codes.resume(portal.resumeKey, 'portal')).toBe(portal.requestId);
    expect(await codes.resume(agent.resumeKey, 'agent')).toBe(agent.requestId);
    await expect(codes.resume(portal.resumeKey, 'agent')).rejects.toMatchObject({ code: 'ERR_NOT_AUTHENTICATED' });
    await expect(codes.resume(agent.resumeKey, 'portal')).rejects.toMatchObject({ code: 'ERR_NOT_AUTHENTICATED' });
  });

  it('refuses an unknown resume key, and a session code used as one', async () => {
    const { code } = await codes.create(techId);
    await codes.claim(code, 'portal');
    await expect(codes.resume('not-a-key', 'portal')).rejects.toMatchObject({ code: 'ERR_NOT_AUTHENTICATED' });
    await expect(codes.resume(code, 'portal')).rejects.toMatchObject({ code: 'ERR_NOT_AUTHENTICATED' });
  });

  it('refuses a resume key after the session ended with ERR_SESSION_ENDED', async () => {
    const { code } = await codes.create(techId);
    const portal = await codes.claim(code, 'portal');
    const agent = await codes.claim(code, 'agent');
    await queue.end(portal.requestId, 'ended by Alice');
    await expect(codes.resume(portal.resumeKey, 'portal')).rejects.toMatchObject({ code: 'ERR_SESSION_ENDED' });
    await expect(codes.resume(agent.resumeKey, 'agent')).rejects.toMatchObject({ code: 'ERR_SESSION_ENDED' });
  });

  it('stores resume keys only as their hash', async () => {
    const { code } = await codes.create(techId);
    const portal = await codes.claim(code, 'portal');
    const row = await queue.getOrThrow(portal.requestId);
    expect(row.portal_key_hash).toBe(sha256(portal.resumeKey));
  });
});
