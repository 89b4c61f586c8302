/**
 * The README's run command on a machine without the Electron binary: it says
 * so in one line, serves a working web console, and the demo agent's request
 * waits in the administrator's queue.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { run, startXvfb, waitFor, type Proc, type XDisplay } from './harness.js';

let x: XDisplay;
let app: Proc;
let dataDir: string;

async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const next = await new Promise<boolean>((resolve) => {
      const s = net.createServer().once('error', () => resolve(false)).listen(port + 1, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (next && port < 65535) return port;
  }
}

test.beforeAll(async () => {
  x = await startXvfb(['1280x800x24']);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-start-'));
});
test.afterAll(async () => {
  await app?.stop();
  await x?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('npm start without the Electron binary says so in one line and serves a working web console with the demo request queued', async ({ page }) => {
  const port = await freePortPair();
  app = run('npm', ['start'], { LIFELINE_PORT: String(port), LIFELINE_DATA: dataDir, DISPLAY: x.display, LIFELINE_NO_BROWSER: '1' });
  const line = await waitFor('the console line', () => app.output().match(/^Electron is not installed on this machine, so the console runs in your browser: (http\S+)$/m), 120_000);
  const password = app.output().match(/password: (\S+)/)?.[1];
  expect(password).toBeTruthy();
  expect(app.output()).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack trace anywhere

  await page.goto(line[1]!);
  await page.getByTestId('login-username').fill('admin');
  await page.getByTestId('login-password').fill(password!);
  await page.getByTestId('login-submit').click();
  await expect(page.getByTestId('queue-item').filter({ hasText: 'client online' })).toBeVisible({ timeout: 30_000 });
});
