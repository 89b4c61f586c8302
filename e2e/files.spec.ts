/**
 * File transfer on the real parts: the console's file browser over the
 * agent's files channel, with files larger than 100 MB both ways and their
 * SHA-256 compared on disk, a transfer that survives the agent going silent
 * mid-way, paths that leave the chosen folder refused, and a user who takes
 * file access back stopping a running transfer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { startAttendedSession, type AttendedSession } from './console.js';
import { runToEnd, sha256File, startServer, startWebConsole, startXterm, startXvfb, waitFor, writeRandomFile, type LifelineServer, type Proc, type XDisplay } from './harness.js';

const MB = 1024 * 1024;

let x: XDisplay;
let xterm: Proc;
let server: LifelineServer;
let web: { url: string; proc: Proc };
let session: AttendedSession | undefined;
/** The folder the agent may browse (--files-root), and a folder on the technician's side. */
let remote: string;
let local: string;

test.beforeAll(async () => {
  remote = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-remote-'));
  local = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-local-'));
  x = await startXvfb(['1280x800x24']);
  xterm = await startXterm(x.display);
  server = await startServer();
  web = await startWebConsole(server.url);
});
test.afterAll(async () => {
  await session?.close();
  await web?.proc.stop();
  await server?.stop();
  await xterm?.stop();
  await x?.stop();
  fs.rmSync(remote, { recursive: true, force: true });
  fs.rmSync(local, { recursive: true, force: true });
});
test.afterEach(async () => {
  await session?.close();
  session = undefined;
});

async function filesSession(browser: Parameters<typeof startAttendedSession>[0], customer: string, allowFiles = true): Promise<AttendedSession> {
  const s = await startAttendedSession(browser, { consoleUrl: web.url, server, display: x.display, customer, agentArgs: ['--files-root', remote] });
  if (allowFiles) {
    await s.user.getByTestId('consent-files').check();
    await expect(s.tech.getByTestId('tool-tab-files')).not.toHaveAttribute('aria-disabled', 'true');
    await s.tech.getByTestId('tool-tab-files').click();
    await expect(s.tech.getByTestId('files-panel')).toBeVisible();
  }
  return s;
}

function entry(tech: Page, name: string): Locator {
  return tech.getByTestId('files-entry').and(tech.locator(`[data-name="${name}"]`));
}

function transfer(tech: Page, name: string): Locator {
  return tech.getByTestId('transfer').and(tech.locator(`[data-name="${name}"]`));
}

async function progress(row: Locator): Promise<number> {
  return Number(await row.getByTestId('transfer-progress').getAttribute('aria-valuenow'));
}

test('files over 100 MB go up and down with their SHA-256 intact, and a folder comes down as a tar', async ({ browser }) => {
  test.setTimeout(240_000);
  const upHash = await writeRandomFile(path.join(local, 'upload.bin'), 110 * MB);
  const downHash = await writeRandomFile(path.join(remote, 'download.bin'), 105 * MB);
  fs.mkdirSync(path.join(remote, 'logs'));
  fs.writeFileSync(path.join(remote, 'logs', 'a.txt'), 'first log\n');
  fs.writeFileSync(path.join(remote, 'logs', 'b.txt'), 'second log\n');
  session = await filesSession(browser, 'Files User');
  const { tech } = session;

  await expect(entry(tech, 'download.bin')).toBeVisible();
  await tech.getByTestId('files-upload-input').setInputFiles(path.join(local, 'upload.bin'));
  const up = transfer(tech, 'upload.bin');
  await expect(up).toHaveAttribute('data-direction', 'upload');
  await expect(up.getByTestId('transfer-speed')).toContainText('/s');
  await expect(up).toHaveAttribute('data-state', 'done', { timeout: 180_000 });
  expect(await sha256File(path.join(remote, 'upload.bin'))).toBe(upHash);
  await expect(entry(tech, 'upload.bin')).toBeVisible();

  await entry(tech, 'download.bin').click();
  const [download] = await Promise.all([tech.waitForEvent('download', { timeout: 180_000 }), tech.getByTestId('files-download').click()]);
  expect(download.suggestedFilename()).toBe('download.bin');
  expect(await sha256File(await download.path())).toBe(downHash);
  await expect(transfer(tech, 'download.bin')).toHaveAttribute('data-state', 'done');

  await entry(tech, 'logs').click();
  const [tar] = await Promise.all([tech.waitForEvent('download'), tech.getByTestId('files-download').click()]);
  expect(tar.suggestedFilename()).toBe('logs.tar');
  const out = fs.mkdtempSync(path.join(local, 'tar-'));
  await runToEnd('tar', ['-xf', await tar.path(), '-C', out]);
  const folder = fs.existsSync(path.join(out, 'logs')) ? path.join(out, 'logs') : out;
  expect(fs.readFileSync(path.join(folder, 'a.txt'), 'utf8')).toBe('first log\n');
  expect(fs.readFileSync(path.join(folder, 'b.txt'), 'utf8')).toBe('second log\n');
});

test('an upload goes on from where it was when the support client stops answering mid-way and comes back', async ({ browser }) => {
  test.setTimeout(240_000);
  const hash = await writeRandomFile(path.join(local, 'resume.bin'), 150 * MB);
  session = await filesSession(browser, 'Resume User');
  const { tech, agent } = session;
  await tech.getByTestId('files-upload-input').setInputFiles(path.join(local, 'resume.bin'));
  const row = transfer(tech, 'resume.bin');
  await waitFor('a quarter of the upload', async () => (await progress(row)) >= 25, 120_000);

  // The agent freezes: from the console it is a cut connection. The console notices, keeps the transfer waiting, and builds a new connection once the agent answers again.
  process.kill(agent.child.pid!, 'SIGSTOP');
  try {
    await expect(row).toHaveAttribute('data-state', 'waiting', { timeout: 30_000 });
  } finally {
    process.kill(agent.child.pid!, 'SIGCONT');
  }
  const before = await progress(row);
  expect(before).toBeGreaterThanOrEqual(25);
  await expect(row).toHaveAttribute('data-state', /running|verifying|done/, { timeout: 60_000 });
  // It went on from the last acknowledged chunk, not from the start.
  expect(await progress(row)).toBeGreaterThanOrEqual(before - 10);
  await expect(row).toHaveAttribute('data-state', 'done', { timeout: 180_000 });
  expect(await sha256File(path.join(remote, 'resume.bin'))).toBe(hash);
  // The agent's own account: the second start went on from a partial file of a quarter or more.
  const starts = [...agent.output().matchAll(/upload \d+ of .*resume\.bin.* \((\d+) bytes\) started at (\d+)/g)].map((m) => Number(m[2]) / Number(m[1]));
  expect(starts).toHaveLength(2);
  expect(starts[0]).toBe(0);
  expect(starts[1]).toBeGreaterThanOrEqual(0.2);
  expect(fs.readdirSync(remote).filter((n) => n.includes('lifeline-part'))).toEqual([]);
});

test('paths that leave the chosen folder are refused in words: "..", absolute paths and a symlink out of it', async ({ browser }) => {
  fs.mkdirSync(path.join(remote, 'inside'), { recursive: true });
  fs.symlinkSync('/etc', path.join(remote, 'escape'));
  session = await filesSession(browser, 'Traversal User');
  const { tech } = session;
  const go = async (p: string) => {
    await tech.getByTestId('files-path-input').fill(p);
    await tech.getByTestId('files-path-input').press('Enter');
  };
  await go('../../etc');
  await expect(tech.getByTestId('files-error')).toContainText('..');
  await go('/etc');
  await expect(tech.getByTestId('files-error')).toContainText('absolute');
  await go('escape');
  await expect(tech.getByTestId('files-error')).toContainText(/outside|not allowed|refused/i);
  // Nothing of /etc was listed.
  await expect(entry(tech, 'passwd')).toHaveCount(0);
  await go('inside');
  await expect(tech.getByTestId('files-path')).toHaveText(/inside/);
});

test('a user who declines file access blocks the browser, and taking it back stops a running transfer', async ({ browser }) => {
  test.setTimeout(180_000);
  session = await filesSession(browser, 'Declining User', false);
  const { tech, user } = session;
  await expect(tech.getByTestId('tool-tab-files')).toHaveAttribute('aria-disabled', 'true');
  await expect(tech.getByTestId('tool-tab-files')).toHaveAttribute('title', /The user has not allowed you to transfer files/);

  await user.getByTestId('consent-files').check();
  await tech.getByTestId('tool-tab-files').click();
  await writeRandomFile(path.join(local, 'withdrawn.bin'), 150 * MB);
  await tech.getByTestId('files-upload-input').setInputFiles(path.join(local, 'withdrawn.bin'));
  const row = transfer(tech, 'withdrawn.bin');
  await waitFor('the upload under way', async () => (await progress(row)) >= 5, 60_000);
  await user.getByTestId('consent-files').uncheck();
  await expect(row).toHaveAttribute('data-state', 'failed', { timeout: 30_000 });
  await expect(row.getByTestId('transfer-error')).toContainText(/not allowed/);
  expect(fs.existsSync(path.join(remote, 'withdrawn.bin'))).toBe(false);
});
