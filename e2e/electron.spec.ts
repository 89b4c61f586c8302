/**
 * The desktop console itself, through Playwright's Electron driver: sign in
 * and see the queue, on its own X display (Xvfb), so it runs on headless
 * machines too. It needs Electron's binary, which cannot be downloaded on the
 * machines this project is built on; there it reports itself skipped, with
 * the reason (the suite's last lines print it).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { _electron, expect, test } from '@playwright/test';
import { CodeResponse, LoginResponse } from '../shared/protocol.js';
import { ROOT, startServer, startXvfb, type LifelineServer, type XDisplay } from './harness.js';

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
let x: XDisplay;
test.beforeAll(async () => {
  x = await startXvfb(['1280x800x24']);
  server = await startServer();
  spawnSync(process.execPath, ['scripts/build-electron.mjs'], { cwd: ROOT, stdio: 'inherit' });
});
test.afterAll(async () => {
  await server?.stop();
  await x?.stop();
});

test('the desktop console signs in and shows the live queue', async () => {
  const userData = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-electron-'));
  const app = await _electron.launch({
    executablePath: binary!,
    args: [ROOT, `--user-data-dir=${userData}`, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
    env: { ...process.env, DISPLAY: x.display, LIFELINE_SERVER: server.url },
  });
  try {
    const page = await app.firstWindow();
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(server.adminPassword);
    await page.getByTestId('login-submit').click();
    await expect(page.getByTestId('code-create')).toBeVisible();
    const res = await fetch(`${server.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: server.adminPassword }) });
    const { token } = LoginResponse.parse(await res.json());
    const code = CodeResponse.parse(await (await fetch(`${server.url}/api/codes`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).json());
    await fetch(`${server.url}/api/portal/join`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: code.code, name: 'Desktop Check' }) });
    await expect(page.getByTestId('queue-item').filter({ hasText: 'Desktop Check' })).toBeVisible();
  } finally {
    await app.close();
    fs.rmSync(userData, { recursive: true, force: true });
  }
});
