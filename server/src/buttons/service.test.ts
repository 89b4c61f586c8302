import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LifelineError } from '../../../shared/errors.js';
import { AuthService } from '../auth/service.js';
import { CodeService } from '../codes/service.js';
import { sha256 } from '../crypto.js';
import { openDatabase, type Db } from '../db/index.js';
import { QueueService } from '../queue/service.js';
import { TeamService } from '../teams/service.js';
import { BUTTON_REFUSED, ButtonService, PRESSES_PER_MINUTE } from './service.js';

let dir: string;
let db: Db;
let buttons: ButtonService;
let codes: CodeService;
const MACHINE = { hostname: 'desk-12', user: 'dana', fullName: 'Dana Example' };
const HOUR = 3_600_000;

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof LifelineError) return e.message;
    throw e;
  }
  throw new Error('expected a refusal');
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-buttons-'));
  db = await openDatabase(dir);
  codes = new CodeService(db, new QueueService(db));
  buttons = new ButtonService(db, codes);
  await new TeamService(db).save('Printers');
  await new AuthService(db).createTechnician({ username: 'ann', displayName: 'Ann Example', password: 'pw-ann-123456', role: 'technician' });
});
afterEach(async () => {
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('support button tokens and credentials', () => {
  it('keeps only hashes of tokens and credentials', async () => {
    const t = await buttons.mintToken({ kind: 'team', name: 'Printers' }, HOUR, 'cli');
    const b = await buttons.install(t.token, { kind: 'team', name: 'Printers' }, MACHINE);
    const everything = JSON.stringify({ t: await db.selectFrom('button_tokens').selectAll().execute(), b: await db.selectFrom('support_buttons').selectAll().execute() });
    expect(everything).toContain(sha256(t.token));
    expect(everything).toContain(sha256(b.credential));
    expect(everything).not.toContain(t.token);
    expect(everything).not.toContain(b.credential);
    expect(b.queueName).toBe('the Printers team');
  });

  it('refuses unknown teams and technicians when minting, and a token for another target when installing', async () => {
    expect(await refusal(buttons.mintToken({ kind: 'team', name: 'Nope' }, HOUR, 'cli'))).toContain('no team');
    expect(await refusal(buttons.mintToken({ kind: 'technician', name: 'nobody' }, HOUR, 'cli'))).toContain('no technician');
    const t = await buttons.mintToken({ kind: 'team', name: 'Printers' }, HOUR, 'cli');
    expect(await refusal(buttons.install(t.token, { kind: 'technician', name: 'ann' }, MACHINE))).toContain('for team "Printers"');
    expect(await refusal(buttons.install('wrong', { kind: 'team', name: 'Printers' }, MACHINE))).toContain('not valid');
  });

  it('installs many machines with one token, until it expires or is revoked', async () => {
    const now = Date.now();
    const t = await buttons.mintToken({ kind: 'team', name: 'Printers' }, HOUR, 'cli', now);
    await buttons.install(t.token, { kind: 'team', name: 'Printers' }, MACHINE, now);
    await buttons.install(t.token, { kind: 'team', name: 'Printers' }, { ...MACHINE, hostname: 'desk-13' }, now);
    expect(await refusal(buttons.install(t.token, { kind: 'team', name: 'Printers' }, MACHINE, now + HOUR))).toContain('expired');
    expect(await buttons.revokeToken(t.id)).toBe(true);
    expect(await buttons.revokeToken(t.id)).toBe(false);
    expect(await refusal(buttons.install(t.token, { kind: 'team', name: 'Printers' }, MACHINE, now))).toContain('revoked');
  });

  it('a press queues a team request named after the user with the machine, and a code the agent claims', async () => {
    const t = await buttons.mintToken({ kind: 'team', name: 'Printers' }, HOUR, 'cli');
    const b = await buttons.install(t.token, { kind: 'team', name: 'Printers' }, MACHINE);
    const r = await buttons.press(b.credential, MACHINE);
    expect(r.code).toMatch(/^\d{10}$/);
    const row = await db.selectFrom('requests').selectAll().where('id', '=', r.requestId).executeTakeFirstOrThrow();
    const team = await new TeamService(db).byName('Printers');
    expect(row).toMatchObject({ queue: 'team', team_id: team.id, technician_id: null, customer_name: 'Dana Example', status: 'waiting' });
    expect(row.description).toContain('desk-12');
    expect((await codes.claim(r.code, 'agent')).requestId).toBe(r.requestId);
    // The user may still open the portal with the same code to give consent.
    expect((await codes.claim(r.code, 'portal', 'Dana')).requestId).toBe(r.requestId);
  });

  it('a technician\'s button queues in his personal queue', async () => {
    const t = await buttons.mintToken({ kind: 'technician', name: 'ann' }, HOUR, 'cli');
    const b = await buttons.install(t.token, { kind: 'technician', name: 'ann' }, MACHINE);
    expect(b.queueName).toBe('Ann Example');
    const r = await buttons.press(b.credential, MACHINE);
    const row = await db.selectFrom('requests').selectAll().where('id', '=', r.requestId).executeTakeFirstOrThrow();
    const ann = await db.selectFrom('technicians').select('id').where('username', '=', 'ann').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ queue: 'personal', technician_id: ann.id, team_id: null, customer_name: 'Dana Example' });
  });

  it('an expired, revoked or unknown button says so in a sentence', async () => {
    const now = Date.now();
    const t = await buttons.mintToken({ kind: 'team', name: 'Printers' }, HOUR, 'cli', now);
    const a = await buttons.install(t.token, { kind: 'team', name: 'Printers' }, MACHINE, now);
    const b = await buttons.install(t.token, { kind: 'team', name: 'Printers' }, MACHINE, now);
    expect(await refusal(buttons.press(a.credential, MACHINE, now + HOUR + 1))).toBe(BUTTON_REFUSED.expired(now + HOUR));
    expect(await refusal(buttons.press('nonsense', MACHINE))).toBe(BUTTON_REFUSED.unknown);
    expect(await buttons.revokeButton(a.buttonId)).toBe(true);
    expect(await refusal(buttons.press(a.credential, MACHINE))).toBe(BUTTON_REFUSED.revoked);
    await buttons.press(b.credential, MACHINE);
    await buttons.revokeToken(t.id);
    expect(await refusal(buttons.press(b.credential, MACHINE))).toBe(BUTTON_REFUSED.revoked);
  });

  it('a removed team turns its buttons off, and presses are limited per button', async () => {
    const t = await buttons.mintToken({ kind: 'team', name: 'Printers' }, HOUR, 'cli');
    const b = await buttons.install(t.token, { kind: 'team', name: 'Printers' }, MACHINE);
    for (let i = 0; i < PRESSES_PER_MINUTE; i++) await buttons.press(b.credential, MACHINE);
    await expect(buttons.press(b.credential, MACHINE)).rejects.toMatchObject({ code: 'ERR_RATE_LIMITED' });
    await new TeamService(db).remove('Printers');
    const fresh = new ButtonService(db, codes);
    expect(await refusal(fresh.press(b.credential, MACHINE))).toBe(BUTTON_REFUSED.gone);
  });
});
