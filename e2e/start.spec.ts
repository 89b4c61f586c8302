/**
 * The README's run command where the desktop console cannot run: without the
 * Electron binary, or with one that fails to start. Either way it says so in
 * one line, serves a working web console, and the demo agent's request waits
 * in the administrator's queue.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { run, startXvfb, waitFor, type Proc, type XDisplay } from './harness.js';

let x: XDisplay;
const apps: Proc[] = [];
const dirs: string[] = [];

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

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-start-'));
  dirs.push(dir);
  return dir;
}

/** Runs `npm start` until its console line matches `consoleLine`; returns the web console's address and admin's password. */
async function npmStart(consoleLine: RegExp, env: NodeJS.ProcessEnv = {}): Promise<{ app: Proc; consoleUrl: string; password: string }> {
  const port = await freePortPair();
  const app = run('npm', ['start'], { LIFELINE_PORT: String(port), LIFELINE_DATA: tempDir(), DISPLAY: x.display, LIFELINE_NO_BROWSER: '1', ...env });
  apps.push(app);
  const line = await waitFor('the console line', () => app.output().match(consoleLine), 120_000);
  const password = app.output().match(/password: (\S+)/)?.[1];
  expect(password).toBeTruthy();
  return { app, consoleUrl: line[1]!, password: password! };
}

/** Signs in as admin with the printed password, chooses his own, and finds the demo agent's request in the queue. */
async function signInAndSeeDemoRequest(page: Page, consoleUrl: string, password: string): Promise<void> {
  await page.goto(consoleUrl);
  await page.getByTestId('login-username').fill('admin');
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  // The printed password is one-time: the first sign-in chooses the administrator's own.
  await expect(page.getByRole('heading', { name: 'Choose your password' })).toBeVisible();
  await page.getByTestId('password-new').fill('the newcomer chose this');
  await page.getByTestId('password-again').fill('the newcomer chose this');
  await page.getByTestId('password-submit').click();
  await expect(page.getByTestId('queue-item').filter({ hasText: 'client online' })).toBeVisible({ timeout: 30_000 });
}

const STACK_FRAME = /\n\s+at .+\(.+:\d+:\d+\)/;

test.beforeAll(async () => {
  x = await startXvfb(['1280x800x24']);
});
test.afterEach(async () => {
  for (const app of apps.splice(0)) await app.stop();
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
test.afterAll(async () => {
  await x?.stop();
});

test('npm start without the Electron binary says so in one line and serves a working web console with the demo request queued', async ({ page }) => {
  const { app, consoleUrl, password } = await npmStart(/^Electron is not installed on this machine, so the console runs in your browser: (http\S+)$/m);
  expect(app.output()).not.toMatch(STACK_FRAME); // no stack trace anywhere
  await signInAndSeeDemoRequest(page, consoleUrl, password);
});

test('npm start with an Electron that cannot start says why in one line and falls back to the web console, the server still running', async ({ page }) => {
  // Stands in for an Electron binary on a machine without its libraries: the loader's one line, then a failed exit.
  const electron = path.join(tempDir(), 'electron');
  fs.writeFileSync(electron, [
    '#!/bin/sh',
    'echo "electron: error while loading shared libraries: libgtk-3.so.0: cannot open shared object file: No such file or directory" >&2',
    'exit 127',
  ].join('\n'), { mode: 0o755 });
  const { app, consoleUrl, password } = await npmStart(
    /^The desktop console did not start \(electron: error while loading shared libraries: libgtk-3\.so\.0: cannot open shared object file: No such file or directory\), so the console runs in your browser: (http\S+)$/m,
    { LIFELINE_ELECTRON: electron },
  );
  expect(app.output()).not.toMatch(STACK_FRAME);
  expect(app.output().match(/libgtk-3/g)).toHaveLength(1); // Electron's own error output is not repeated
  await signInAndSeeDemoRequest(page, consoleUrl, password);
});
