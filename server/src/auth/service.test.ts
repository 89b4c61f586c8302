import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../db/index.js';
import { sha256 } from '../crypto.js';
import { AuthService, TOKEN_TTL_MS } from './service.js';

const PASSWORD = 'correct horse battery';

let dir: string;
let db: Db;
let auth: AuthService;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-auth-'));
  db = await openDatabase(dir);
  auth = new AuthService(db);
});

afterEach(async () => {
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

const addAlice = () => auth.createTechnician({ username: 'alice', displayName: 'Alice A.', password: PASSWORD, role: 'technician' });

describe('AuthService', () => {
  it('stores an argon2id hash, never the password', async () => {
    const tech = await addAlice();
    expect(tech).toEqual({ id: expect.any(Number), username: 'alice', displayName: 'Alice A.', role: 'technician' });
    const row = await db.selectFrom('technicians').select('password_hash').where('id', '=', tech.id).executeTakeFirstOrThrow();
    expect(row.password_hash.startsWith('$argon2id$')).toBe(true);
    expect(row.password_hash).not.toContain(PASSWORD);
  });

  it('a login with the right password gives a token that authenticate accepts', async () => {
    const tech = await addAlice();
    const before = Date.now();
    const r = await auth.login('alice', PASSWORD);
    expect(r.technician).toEqual(tech);
    expect(r.expiresAt).toBeGreaterThanOrEqual(before + TOKEN_TTL_MS);
    expect(await auth.authenticate(r.token)).toEqual(tech);
  });

  it('stores tokens only as their hash', async () => {
    await addAlice();
    const { token } = await auth.login('alice', PASSWORD);
    const rows = await db.selectFrom('auth_tokens').select('token_hash').execute();
    expect(rows).toEqual([{ token_hash: sha256(token) }]);
  });

  it('each login gets its own token', async () => {
    await addAlice();
    const a = await auth.login('alice', PASSWORD);
    const b = await auth.login('alice', PASSWORD);
    expect(a.token).not.toBe(b.token);
    await auth.logout(a.token);
    await expect(auth.authenticate(b.token)).resolves.toMatchObject({ username: 'alice' });
  });

  it('refuses a wrong password and an unknown user alike with ERR_LOGIN_FAILED', async () => {
    await addAlice();
    await expect(auth.login('alice', 'correct horse battery!')).rejects.toMatchObject({ code: 'ERR_LOGIN_FAILED' });
    await expect(auth.login('mallory', PASSWORD)).rejects.toMatchObject({ code: 'ERR_LOGIN_FAILED' });
    expect(await db.selectFrom('auth_tokens').selectAll().execute()).toEqual([]);
  });

  it('logout revokes the token', async () => {
    await addAlice();
    const { token } = await auth.login('alice', PASSWORD);
    await auth.logout(token);
    await expect(auth.authenticate(token)).rejects.toMatchObject({ code: 'ERR_NOT_AUTHENTICATED' });
  });

  it('refuses an expired token', async () => {
    await addAlice();
    const { token } = await auth.login('alice', PASSWORD);
    await db.updateTable('auth_tokens').set({ expires_at: Date.now() - 1000 }).where('token_hash', '=', sha256(token)).execute();
    await expect(auth.authenticate(token)).rejects.toMatchObject({ code: 'ERR_NOT_AUTHENTICATED' });
  });

  it('refuses an unknown token', async () => {
    await expect(auth.authenticate('made-up')).rejects.toMatchObject({ code: 'ERR_NOT_AUTHENTICATED' });
  });

  it('refuses a duplicate user name', async () => {
    await addAlice();
    await expect(auth.createTechnician({ username: 'alice', displayName: 'Other', password: 'another long one', role: 'admin' }))
      .rejects.toThrow(/already exists/);
    expect(await auth.countTechnicians()).toBe(1);
  });

  it('refuses a password shorter than twelve characters', async () => {
    await expect(auth.createTechnician({ username: 'bob', displayName: 'Bob', password: '12345678901', role: 'technician' }))
      .rejects.toThrow(/at least 12/);
    expect(await auth.countTechnicians()).toBe(0);
  });

  it('refuses a user name with spaces or other symbols', async () => {
    for (const username of ['a', 'bob smith', 'bob<script>', '']) {
      await expect(auth.createTechnician({ username, displayName: 'x', password: PASSWORD, role: 'technician' }), username).rejects.toThrow(/user name/);
    }
  });

  it('getTechnician finds a technician by id and returns null for an unknown id', async () => {
    const tech = await addAlice();
    expect(await auth.getTechnician(tech.id)).toEqual(tech);
    expect(await auth.getTechnician(tech.id + 100)).toBeNull();
  });

  it('an account with a one-time password signs in, but its token authenticates nothing until the password is changed', async () => {
    await auth.createTechnician({ username: 'bob', displayName: 'Bob', password: PASSWORD, role: 'technician', mustChangePassword: true });
    const r = await auth.login('bob', PASSWORD);
    expect(r.mustChangePassword).toBe(true);
    await expect(auth.authenticate(r.token)).rejects.toMatchObject({ code: 'ERR_PASSWORD_CHANGE_REQUIRED' });
    await auth.changePassword(r.token, PASSWORD, 'bobs own password');
    await expect(auth.authenticate(r.token)).resolves.toMatchObject({ username: 'bob' });
    expect((await auth.login('bob', 'bobs own password')).mustChangePassword).toBe(false);
  });

  it('any technician may change his own password later; the old one stops working', async () => {
    await addAlice();
    const { token, mustChangePassword } = await auth.login('alice', PASSWORD);
    expect(mustChangePassword).toBe(false);
    await expect(auth.changePassword(token, 'wrong password!', 'alices new password')).rejects.toMatchObject({ code: 'ERR_LOGIN_FAILED' });
    await auth.changePassword(token, PASSWORD, 'alices new password');
    await expect(auth.login('alice', PASSWORD)).rejects.toMatchObject({ code: 'ERR_LOGIN_FAILED' });
    await expect(auth.login('alice', 'alices new password')).resolves.toMatchObject({ mustChangePassword: false });
  });

  it('a reset gives a new one-time password and ends every sign-in of the account', async () => {
    await addAlice();
    const { token } = await auth.login('alice', PASSWORD);
    const password = await auth.resetPassword('alice');
    expect(password.length).toBeGreaterThanOrEqual(12);
    await expect(auth.authenticate(token)).rejects.toMatchObject({ code: 'ERR_NOT_AUTHENTICATED' });
    await expect(auth.login('alice', PASSWORD)).rejects.toMatchObject({ code: 'ERR_LOGIN_FAILED' });
    const again = await auth.login('alice', password);
    expect(again.mustChangePassword).toBe(true);
    await expect(auth.authenticate(again.token)).rejects.toMatchObject({ code: 'ERR_PASSWORD_CHANGE_REQUIRED' });
    await expect(auth.resetPassword('mallory')).rejects.toThrow(/No technician named "mallory"/);
  });
});
