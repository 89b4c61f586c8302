/**
 * The desktop console itself, through Playwright's Electron driver: sign in
 * and see the queue. It needs Electron's binary, which cannot be downloaded
 * on the machines this project is built on; there it reports itself skipped.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { _electron, expect, test } from '@playwright/test';
import { ROOT, startServer, type LifelineServer } from './harness.js';

function electronBinary(): string | null {
  try {
    const rel = fs.readFileSync(path.join(ROOT, 'node_modules/electron/path.txt'), 'utf8').trim();
    const bin = path.join(ROOT, 'node_modules/electron/dist', rel);
    return fs.existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}
const binary = electronBinary();

test.skip(!binary, 'Electron binary not installed here (it is downloaded from outside the npm registry); the web-console specs cover the same renderer and core');

let server: LifelineServer;
test.beforeAll(async () => {
  server = await startServer();
  spawnSync(process.execPath, ['scripts/build-electron.mjs'], { cwd: ROOT, stdio: 'inherit' });
});
test.afterAll(async () => server?.stop());

test('the desktop console signs in and shows the live queue', async () => {
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-electron-'));
  const app = await _electron.launch({
    executablePath: binary!,
    args: [ROOT, `--user-data-dir=${userData}`, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
    env: { ...process.env, LIFELINE_SERVER: server.url },
  });
  try {
    const page = await app.firstWindow();
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(server.adminPassword);
    await page.getByTestId('login-submit').click();
    await expect(page.getByTestId('code-create')).toBeVisible();
    const res = await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: server.adminPassword }) });
    const { token } = (await res.json()) as { token: string };
    const code = (await (await fetch(`${server.url}/api/codes`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).json()) as { code: string };
    await fetch(`${server.url}/api/portal/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: code.code, name: 'Desktop Check' }) });
    await expect(page.getByTestId('queue-item').filter({ hasText: 'Desktop Check' })).toBeVisible();
  } finally {
    await app.close();
  }
});
