import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../crypto.js';
import { openDatabase, type Db } from '../db/index.js';
import { JumpService } from './service.js';

let dir: string;
let db: Db;
let jump: JumpService;
const INFO = { hostname: 'kiosk-7', user: 'dana', os: 'Debian GNU/Linux 12', elevated: true };

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-jump-'));
  db = await openDatabase(dir);
  jump = new JumpService(db);
  await jump.saveGroup('Kiosks', { technicians: ['alice'] });
});
afterEach(async () => {
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('JumpService tokens and credentials', () => {
  it('keeps only hashes of install tokens and credentials', async () => {
    const t = await jump.mintToken('Kiosks', 3_600_000, 'cli');
    const enrolled = await jump.enroll(t.token, 'active', INFO);
    const tokens = await db.selectFrom('jump_tokens').selectAll().execute();
    const clients = await db.selectFrom('jump_clients').selectAll().execute();
    expect(tokens[0]!.token_hash).toBe(sha256(t.token));
    expect(clients[0]!.credential_hash).toBe(sha256(enrolled.credential));
    const everything = JSON.stringify({ tokens, clients });
    expect(everything).not.toContain(t.token);
    expect(everything).not.toContain(enrolled.credential);
  });

  it('enrols one machine per token, into the token\'s group, named after the host', async () => {
    const t = await jump.mintToken('Kiosks', 3_600_000, 'cli');
    const enrolled = await jump.enroll(t.token, 'passive', INFO);
    expect(enrolled).toMatchObject({ name: 'kiosk-7', group: 'Kiosks' });
    const row = await jump.byCredential(enrolled.credential);
    expect(row).toMatchObject({ id: enrolled.clientId, mode: 'passive', hostname: 'kiosk-7', os_user: 'dana', elevated: 1, removed: 0 });
    await expect(jump.enroll(t.token, 'active', { ...INFO, hostname: 'other' })).rejects.toMatchObject({ code: 'ERR_NOT_AUTHENTICATED', message: expect.stringContaining('already been used') });
    expect(await db.selectFrom('jump_clients').select('id').execute()).toHaveLength(1);
  });

  it('refuses unknown, expired and revoked tokens', async () => {
    await expect(jump.enroll('not-a-token', 'active', INFO)).rejects.toMatchObject({ code: 'ERR_NOT_AUTHENTICATED', message: expect.stringContaining('not valid') });
    const now = Date.now();
    const old = await jump.mintToken('Kiosks', 1000, 'cli', now - 5000);
    await expect(jump.enroll(old.token, 'active', INFO, now)).rejects.toMatchObject({ message: expect.stringContaining('expired') });
    const revoked = await jump.mintToken('Kiosks', 3_600_000, 'cli');
    expect(await jump.revokeToken(revoked.id)).toBe(true);
    expect(await jump.revokeToken(revoked.id)).toBe(false);
    await expect(jump.enroll(revoked.token, 'active', INFO)).rejects.toMatchObject({ message: expect.stringContaining('revoked') });
    expect(await db.selectFrom('jump_clients').select('id').execute()).toHaveLength(0);
  });

  it('does not revoke a token that was already spent', async () => {
    const t = await jump.mintToken('Kiosks', 3_600_000, 'cli');
    await jump.enroll(t.token, 'active', INFO);
    expect(await jump.revokeToken(t.id)).toBe(false);
  });

  it('renames, moves and removes clients; a removed client drops out of lists but its credential still identifies it', async () => {
    await jump.saveGroup('Servers');
    const t = await jump.mintToken('Kiosks', 3_600_000, 'cli');
    const { clientId, credential } = await jump.enroll(t.token, 'active', INFO);
    expect((await jump.rename(clientId, '  Front desk\u0007 kiosk ')).name).toBe('Front desk kiosk');
    await expect(jump.rename(clientId, '\u0000 ')).rejects.toThrow(/visible character/);
    const { group } = await jump.move(clientId, 'Servers');
    expect((await jump.get(clientId))!.group_id).toBe(group.id);
    await expect(jump.move(clientId, 'Nowhere')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect(await jump.remove(clientId)).toBe(true);
    expect(await jump.remove(clientId)).toBe(false);
    expect(await jump.listClients()).toEqual([]);
    expect(await jump.clientsInGroups([group.id])).toEqual([]);
    expect((await jump.byCredential(credential))!.removed).toBe(1);
    await expect(jump.rename(clientId, 'x')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });

  it('keeps a group\'s policy and validates it', async () => {
    const g = await jump.saveGroup('Kiosks', { teams: ['Ops'], prompt: true, promptTimeoutSeconds: 15, promptDefault: 'allow' });
    expect(g.policy).toEqual({ technicians: [], teams: ['Ops'], prompt: true, promptTimeoutSeconds: 15, promptDefault: 'allow' });
    await expect(jump.saveGroup('Kiosks', { promptTimeoutSeconds: 0 })).rejects.toThrow(/timeout/);
    await expect(jump.saveGroup('bad/name')).rejects.toThrow(/name/);
    await expect(jump.mintToken('Nowhere', 1000, 'cli')).rejects.toMatchObject({ code: 'ERR_NOT_FOUND' });
  });
});
