/** The admin CLI as an administrator runs it (a separate process on the data directory), checked against the database it wrote. */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from './db/index.js';
import { AuthService } from './auth/service.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PASSWORD = 'correct horse battery';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-cli-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(path.join(ROOT, 'node_modules/.bin/tsx'), ['server/src/cli.ts', ...args, '--data', dir], { cwd: ROOT }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
    child.stdin?.end(stdin);
  });
}

/** Runs `fn` with the AuthService of the data directory, closed again before the CLI runs. */
async function withAuth<T>(fn: (auth: AuthService) => Promise<T>): Promise<T> {
  const db = await openDatabase(dir);
  try {
    return await fn(new AuthService(db));
  } finally {
    await db.destroy();
  }
}

const printedPassword = (stdout: string) => /one-time password: (\S+)/.exec(stdout)?.[1] ?? '';

describe('lifeline-admin', () => {
  it('add-technician prints a one-time password once; with --password-stdin the password is the administrator\'s and not one-time', async () => {
    const added = await cli(['add-technician', 'bob', '--name', 'Bob Builder']);
    expect(added.code).toBe(0);
    const password = printedPassword(added.stdout);
    expect(password.length).toBeGreaterThanOrEqual(12);
    expect((await cli(['add-technician', 'carl', '--password-stdin'], `${PASSWORD}\n`)).stdout).not.toContain('password');

    await withAuth(async (auth) => {
      expect(await auth.login('bob', password)).toMatchObject({ technician: { displayName: 'Bob Builder' }, mustChangePassword: true });
      expect((await auth.login('carl', PASSWORD)).mustChangePassword).toBe(false);
    });
  });

  it('reset-password prints a new one-time password and ends the account\'s sign-ins', async () => {
    const token = await withAuth(async (auth) => {
      await auth.createTechnician({ username: 'alice', displayName: 'Alice', password: PASSWORD, role: 'technician' });
      return (await auth.login('alice', PASSWORD)).token;
    });

    const reset = await cli(['reset-password', 'alice']);
    expect(reset.code).toBe(0);
    expect(reset.stdout).toContain('Reset the password of "alice"');
    const password = printedPassword(reset.stdout);

    await withAuth(async (auth) => {
      await expect(auth.authenticate(token)).rejects.toMatchObject({ code: 'ERR_NOT_AUTHENTICATED' });
      await expect(auth.login('alice', PASSWORD)).rejects.toMatchObject({ code: 'ERR_LOGIN_FAILED' });
      const again = await auth.login('alice', password);
      expect(again.mustChangePassword).toBe(true);
      await expect(auth.authenticate(again.token)).rejects.toMatchObject({ code: 'ERR_PASSWORD_CHANGE_REQUIRED' });
    });
  });

  it('reset-password of an unknown technician fails with a sentence', async () => {
    const r = await cli(['reset-password', 'mallory']);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe('No technician named "mallory".\n');
  });
});
