import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthService } from '../auth/service.js';
import { CodeService } from '../codes/service.js';
import { openDatabase, type Db } from '../db/index.js';
import { QueueService } from '../queue/service.js';
import { MAX_RUN_OUTPUT_CHARS, ScriptService } from './service.js';

let dir: string;
let db: Db;
let scripts: ScriptService;
let auth: AuthService;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-scripts-'));
  db = await openDatabase(dir);
  scripts = new ScriptService(db);
  auth = new AuthService(db);
});
afterEach(async () => {
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('canned scripts', () => {
  it('are saved by name, replaced when saved again, listed in order, and removed', async () => {
    await scripts.save({ name: 'flush dns', description: 'Flush the resolver cache', shell: 'bash', body: 'resolvectl flush-caches' }, 'admin');
    const replaced = await scripts.save({ name: 'flush dns', description: 'v2', shell: 'sh', body: 'echo flushed' }, 'admin');
    await scripts.save({ name: 'disk usage', description: '', shell: 'bash', body: 'df -h' }, 'admin');
    expect(replaced).toMatchObject({ name: 'flush dns', description: 'v2', shell: 'sh', body: 'echo flushed' });
    expect((await scripts.list()).map((s) => s.name)).toEqual(['disk usage', 'flush dns']);
    expect(await scripts.remove('disk usage')).toBe(true);
    expect(await scripts.remove('disk usage')).toBe(false);
  });

  it('refuse empty bodies, unknown shells and odd names with a sentence', async () => {
    await expect(scripts.save({ name: 'x', description: '', shell: 'bash', body: '  ' }, 'a')).rejects.toThrow(/empty/);
    await expect(scripts.save({ name: 'x', description: '', shell: 'zsh' as never, body: 'ls' }, 'a')).rejects.toThrow(/shell must be/);
    await expect(scripts.save({ name: '../../etc', description: '', shell: 'bash', body: 'ls' }, 'a')).rejects.toThrow(/name/);
  });

  it('keep each run\'s output in the session log, capped so a runaway script cannot fill the database', async () => {
    const tech = await auth.createTechnician({ username: 'tess', displayName: 'Tess', password: 'a-long-password', role: 'technician' });
    const queue = new QueueService(db);
    const codes = new CodeService(db, queue);
    const { requestId } = await codes.claim((await codes.create(tech.id)).code, 'portal', 'User');
    const script = await scripts.save({ name: 'hello', description: '', shell: 'bash', body: 'echo hi' }, 'admin');
    const run = await scripts.startRun(requestId, script, tech.id);
    await scripts.appendOutput(run, 'hi\n');
    await scripts.appendOutput(run, 'x'.repeat(MAX_RUN_OUTPUT_CHARS));
    await scripts.finishRun(run, 0);
    await scripts.finishRun(run, 7); // a late second exit does not overwrite the first
    const [row] = await scripts.runsFor(requestId);
    expect(row).toMatchObject({ script_name: 'hello', exit_code: 0, technician_id: tech.id });
    expect(row!.output.startsWith('hi\n')).toBe(true);
    expect(row!.output.length).toBe(MAX_RUN_OUTPUT_CHARS);
  });
});

describe('technician permissions', () => {
  it('default by role, with elevated shells opt-in for technicians, and change by grant and revoke', async () => {
    const admin = await auth.createTechnician({ username: 'root-admin', displayName: 'A', password: 'a-long-password', role: 'admin' });
    const tech = await auth.createTechnician({ username: 'tom', displayName: 'T', password: 'a-long-password', role: 'technician' });
    expect(await auth.permissionsOf(admin.id)).toContain('shell_elevated');
    expect(await auth.permissionsOf(tech.id)).not.toContain('shell_elevated');
    expect(await auth.changePermissions('tom', ['shell_elevated'], true)).toContain('shell_elevated');
    expect(await auth.changePermissions('tom', ['shell', 'files'], false)).toEqual(['view', 'control', 'sysinfo', 'shell_elevated', 'scripts']);
    expect(await auth.permissionsOf(tech.id)).toEqual(['view', 'control', 'sysinfo', 'shell_elevated', 'scripts']);
    await expect(auth.changePermissions('nobody', ['view'], true)).rejects.toThrow(/No technician/);
  });
});
