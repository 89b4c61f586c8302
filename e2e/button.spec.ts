/**
 * Support buttons end to end: an administrator makes a button token for a
 * team with the admin CLI, `lifeline-agent button` installs the launcher into
 * a temporary folder, and the launcher's own Exec line, run on the Xvfb
 * display, queues a request that a team member sees in his console with the
 * user's name and the machine. An expired button is refused in a sentence.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { parseExec } from '../agent/src/button/desktop-file.js';
import { buttonMachine } from '../agent/src/button/machine.js';
import { signIn } from './console.js';
import { addTechnician, adminCli, run, startServer, startWebConsole, startXvfb, type LifelineServer, type Proc, type XDisplay } from './harness.js';


let x: XDisplay;
let server: LifelineServer;
let web: { url: string; proc: Proc };
let work: string;
const procs: Proc[] = [];
const contexts: BrowserContext[] = [];
let annPassword = '';

const admin = (...args: string[]) => adminCli(server.dataDir, ...args);

/** The agent as the user runs it, with its own home folder. */
function agent(args: string[]): Proc {
  const p = run(process.execPath, ['agent/bin/lifeline-agent.js', ...args], { DISPLAY: x.display, SHELL: '/bin/sh', HOME: path.join(work, 'home') });
  procs.push(p);
  return p;
}

/** Runs the launcher's Exec line, as the desktop would on a click. */
function click(launcher: string): Proc {
  const [cmd, ...args] = parseExec(fs.readFileSync(launcher, 'utf8'));
  const p = run(cmd!, args, { DISPLAY: x.display, SHELL: '/bin/sh', HOME: path.join(work, 'home') });
  procs.push(p);
  return p;
}

async function install(team: string, expires: string, dir: string): Promise<{ launcher: string; token: string }> {
  const out = await admin('button-token', '--team', team, '--expires', expires);
  const token = /token: (\S+)/.exec(out)![1]!;
  const p = agent(['button', '--server', server.url, '--team', team, '--token', token, '--dir', dir]);
  expect(await p.exited, p.output()).toBe(0);
  expect(p.stdout()).toContain(`Installed support button`);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.desktop'));
  expect(files).toHaveLength(1);
  return { launcher: path.join(dir, files[0]!), token };
}

async function consoleOf(browser: Browser): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  await signIn(page, web.url, 'ann', annPassword);
  return page;
}

test.beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-button-e2e-'));
  fs.mkdirSync(path.join(work, 'home'));
  x = await startXvfb();
  server = await startServer();
  web = await startWebConsole(server.url);
  annPassword = await addTechnician(server, 'ann', '--name', 'Ann Archer');
  await admin('add-team', 'Printers');
  await admin('add-member', 'Printers', 'ann');
});

test.afterAll(async () => {
  for (const c of contexts.splice(0)) await c.close();
  for (const p of procs) await p.stop();
  await web?.proc.stop();
  await server?.stop();
  await x?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('a click on the installed button queues a request in the team\'s queue with the user\'s name and machine', async ({ browser }) => {
  const dir = path.join(work, 'launchers');
  const { launcher, token } = await install('Printers', '30d', dir);
  const text = fs.readFileSync(launcher, 'utf8');
  expect(text).toContain('[Desktop Entry]');
  expect(text).toMatch(/^Exec=.* button-press --config /m);
  const config = parseExec(text).at(-1)!;
  expect(fs.statSync(config).mode & 0o777).toBe(0o600);
  // The machine keeps its own credential, not the administrator's token.
  expect(fs.readFileSync(config, 'utf8')).not.toContain(token);

  const ann = await consoleOf(browser);
  const press = click(launcher);
  const me = buttonMachine();
  const item = ann.locator('[data-testid="queue-section"][data-queue="team"]').getByTestId('queue-item').filter({ hasText: me.fullName });
  await expect(item).toBeVisible({ timeout: 20_000 });
  await expect(item.getByTestId('queue-description')).toContainText(`Support button on ${me.hostname}`);
  // The support client itself is running for that request: the console shows its machine.
  await expect(item).toContainText(`${me.hostname} · `, { timeout: 20_000 });
  expect(press.stdout()).toMatch(/waiting for the Printers team/);
  expect(await admin('list-buttons')).toMatch(/team "Printers", valid until .*, 1 button/);
});

test('an expired button is refused with a sentence and exits non-zero', async () => {
  const { launcher } = await install('Printers', '2s', path.join(work, 'expired'));
  await new Promise((r) => setTimeout(r, 2500));
  const press = click(launcher);
  expect(await press.exited).not.toBe(0);
  expect(press.output()).toMatch(/This support button expired on \d{4}-\d{2}-\d{2}\. Ask your helpdesk for a new one\./);
});
