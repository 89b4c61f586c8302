/**
 * Jump clients (unattended access) on the real parts: a server whose data
 * directory survives a restart, the console in Chromium through the web
 * host, and a jump client installed with a token and running on Xvfb as its
 * own process. What is checked is what people see (the console, the X
 * display's dialog, the canvas), the database and the files on disk.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect, test, type Page } from '@playwright/test';
import WebSocket from 'ws';
import { expectCanvasToMatchScreen, signIn } from './console.js';
import { ROOT, apiPost, run, runToEnd, startWebConsole, startXterm, startXvfb, waitFor, type Proc, type XDisplay } from './harness.js';

const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const PASSWORD = 'correct horse battery staple';
const HOST = os.hostname();

let x: XDisplay;
let xterm: Proc;
let dataDir: string;
let work: string;
let server: { url: string; port: number; proc: Proc };
let web: { url: string; proc: Proc };
let jumpClient: Proc | undefined;
const configPath = () => path.join(work, 'etc', 'jump.json');

/** Starts the support server on `dataDir`; on `port` when given, so clients find it again after a restart. */
async function launchServer(port = 0): Promise<{ url: string; port: number; proc: Proc }> {
  const proc = run(TSX, ['server/src/main.ts', '--port', String(port), '--data', dataDir]);
  const url = await waitFor('the server URL', () => {
    if (proc.child.exitCode !== null) throw new Error(`the server exited:\n${proc.output()}`);
    return /support server on (http\S+)/.exec(proc.output())?.[1];
  });
  return { url, port: Number(new URL(url).port), proc };
}

const admin = (...args: string[]) => runToEnd(TSX, ['server/src/cli.ts', ...args, '--data', dataDir], {}, 30_000);

async function addTechnician(username: string, ...flags: string[]): Promise<void> {
  const p = run(TSX, ['server/src/cli.ts', 'add-technician', username, ...flags, '--password-stdin', '--data', dataDir], {}, `${PASSWORD}\n`);
  expect(await p.exited).toBe(0);
}

/** The agent binary as a user would run it; shells inside sessions get sh and a clean home (see startAgent). */
function agent(args: string[]): Proc {
  return run(process.execPath, ['agent/bin/lifeline-agent.js', ...args], { DISPLAY: x.display, SHELL: '/bin/sh', HOME: path.join(work, 'home') });
}

function db(): Database.Database {
  return new Database(path.join(dataDir, 'lifeline.sqlite'), { readonly: true });
}

/** Signs in and opens the jump list. */
async function openJumpList(page: Page, username: string): Promise<void> {
  page.on('dialog', (d) => void d.accept());
  await signIn(page, web.url, username, PASSWORD);
  await page.getByTestId('nav-jump').click();
}

const row = (page: Page) => page.getByTestId('jump-client').filter({ hasText: HOST });

/** Clicks a button of the consent dialog (xmessage) on the X display, found by its window title. */
async function clickPromptButton(display: string, label: 'Allow' | 'Deny'): Promise<void> {
  const id = await waitFor('the consent dialog on the X display', async () => {
    const out = await runToEnd('xdotool', ['search', '--name', '^Lifeline remote support$'], { DISPLAY: display }).catch(() => '');
    return out.trim().split('\n')[0] || null;
  });
  const tree = await runToEnd('xwininfo', ['-id', id, '-tree'], { DISPLAY: display });
  // Children lines: "0x2000036 (has no name): ()  43x17+4+29  +523+515" (size, relative, absolute position).
  const boxes = [...tree.matchAll(/\s(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(-?\d+)\+(-?\d+)/g)].map((m) => ({ w: +m[1]!, h: +m[2]!, x: +m[3]!, y: +m[4]! }));
  // The buttons are the bottom row of the dialog, Allow first.
  const bottom = Math.max(...boxes.map((b) => b.y));
  const buttons = boxes.filter((b) => b.y === bottom).sort((a, b) => a.x - b.x);
  const button = buttons[label === 'Allow' ? 0 : 1]!;
  await runToEnd('xdotool', ['mousemove', String(button.x + Math.floor(button.w / 2)), String(button.y + Math.floor(button.h / 2)), 'click', '1'], { DISPLAY: display });
}

async function endSession(page: Page): Promise<void> {
  await page.getByTestId('session-end').click();
  await page.getByRole('button', { name: 'Back to queue' }).click();
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  x = await startXvfb(['1280x800x24']);
  xterm = await startXterm(x.display, '80x24+0+0');
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-e2e-jump-data-'));
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-e2e-jump-'));
  fs.mkdirSync(path.join(work, 'home'));
  server = await launchServer();
  web = await startWebConsole(server.url);
  await addTechnician('alice');
  await addTechnician('bob');
  await admin('add-team', 'Ops');
  await admin('add-member', 'Ops', 'alice');
  await admin('add-jump-group', 'Lab', '--teams', 'Ops', '--no-prompt');
});

test.afterAll(async () => {
  await jumpClient?.stop();
  await web?.proc.stop();
  await server?.proc.stop();
  await xterm?.stop();
  await x?.stop();
  for (const d of [dataDir, work]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

test('a jump client installed with a token keeps only a credential, owner-readable, and shows online in the console', async ({ browser }) => {
  const out = await admin('jump-token', '--group', 'Lab', '--expires', '1h');
  const token = /^token: (\S+)$/m.exec(out)![1]!;
  const install = agent(['install', '--server', server.url, '--token', token, '--no-service', '--config', configPath()]);
  expect(await install.exited, install.output()).toBe(0);
  expect(install.stdout()).toContain('in jump group "Lab"');

  const stat = fs.statSync(configPath());
  expect(stat.mode & 0o777).toBe(0o600);
  const config = JSON.parse(fs.readFileSync(configPath(), 'utf8')) as { credential: string; mode: string; unit: unknown };
  expect(config).toMatchObject({ mode: 'active', unit: null });
  expect(fs.readFileSync(configPath(), 'utf8')).not.toContain(token);
  const d = db();
  try {
    const rows = d.prepare('select hostname, credential_hash, removed from jump_clients').all() as { hostname: string; credential_hash: string; removed: number }[];
    expect(rows).toEqual([expect.objectContaining({ hostname: HOST, removed: 0 })]);
    expect(rows[0]!.credential_hash).not.toBe(config.credential);
    // The token is spent: a second machine cannot use it.
    expect(d.prepare('select used_at from jump_tokens').get()).toEqual({ used_at: expect.any(Number) });
  } finally {
    d.close();
  }
  const again = agent(['install', '--server', server.url, '--token', token, '--no-service', '--config', path.join(work, 'second.json')]);
  expect(await again.exited).toBe(1);
  expect(again.output()).toContain('already been used');

  jumpClient = agent(['jump', '--config', configPath(), '--heartbeat', '2']);
  const alice = await browser.newPage();
  await openJumpList(alice, 'alice');
  await expect(row(alice).getByTestId('jump-client-status')).toHaveText('online');
  await expect(alice.getByTestId('jump-group').filter({ hasText: 'Lab' })).toContainText(HOST);
  // The list follows the client live.
  await alice.getByTestId('jump-filter-status').selectOption('offline');
  await expect(row(alice)).toHaveCount(0);
  await alice.getByTestId('jump-filter-status').selectOption('all');
  await alice.close();
});

test('a technician without access to the group does not see the client, and the server refuses his jump:start', async ({ browser }) => {
  const bob = await browser.newPage();
  await openJumpList(bob, 'bob');
  await expect(bob.getByTestId('jump-empty')).toBeVisible();
  await expect(bob.getByTestId('jump-client')).toHaveCount(0);
  await bob.close();

  // A client that skips the console's UI and asks the server directly.
  const { token } = await apiPost(`${server.url}/api/login`, { username: 'bob', password: PASSWORD }) as { token: string };
  const clientId = (() => {
    const d = db();
    try {
      return (d.prepare('select id from jump_clients').get() as { id: number }).id;
    } finally {
      d.close();
    }
  })();
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/ws`);
  const received: { type: string; code?: string; ref?: number; clients?: unknown[] }[] = [];
  ws.on('message', (m) => received.push(JSON.parse(String(m))));
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ type: 'hello', role: 'console', token }));
  ws.send(JSON.stringify({ type: 'jump:subscribe', ref: 1 }));
  ws.send(JSON.stringify({ type: 'jump:start', clientId, ref: 2 }));
  await waitFor('the server to answer', () => received.find((m) => m.ref === 2));
  expect(received.find((m) => m.type === 'jump:snapshot')).toMatchObject({ clients: [] });
  expect(received.find((m) => m.ref === 2)).toMatchObject({ type: 'error', code: 'ERR_PERMISSION' });
  ws.close();
  const d = db();
  try {
    expect(d.prepare('select count(*) as n from requests').get()).toEqual({ n: 0 });
  } finally {
    d.close();
  }
});

test('under a no-prompt policy one click opens a session that shows the remote screen, with nobody at the machine', async ({ browser }) => {
  const alice = await browser.newPage();
  await openJumpList(alice, 'alice');
  await row(alice).getByTestId('jump-start').click();
  await expect(alice.getByTestId('session-view')).toBeVisible();
  await expect(alice.getByTestId('consent-status')).toContainText('view: allowed · control: allowed');
  await expect(alice.getByTestId('peer-status')).toHaveText('connected', { timeout: 30_000 });
  await expectCanvasToMatchScreen(alice, x.display, { x: 0, y: 0, w: 400, h: 300 });
  await endSession(alice);
  // The jump client outlives its sessions.
  await expect(row(alice).getByTestId('jump-client-status')).toHaveText('online');
  expect(jumpClient!.child.exitCode).toBeNull();
  await alice.close();
});

test('under a prompt policy the user allows on the X display and the session starts; without an answer the default deny ends it, and both answers are audited', async ({ browser }) => {
  await admin('add-jump-group', 'Lab', '--prompt', '--prompt-timeout', '60', '--prompt-default', 'deny');
  const alice = await browser.newPage();
  await openJumpList(alice, 'alice');
  await row(alice).getByTestId('jump-start').click();
  await expect(alice.getByTestId('session-view')).toBeVisible();
  await expect(alice.getByTestId('consent-status')).toContainText('view: not allowed');
  await clickPromptButton(x.display, 'Allow');
  await expect(alice.getByTestId('consent-status')).toContainText('view: allowed · control: allowed');
  await expect(alice.getByTestId('peer-status')).toHaveText('connected', { timeout: 30_000 });
  await expectCanvasToMatchScreen(alice, x.display, { x: 0, y: 0, w: 400, h: 300 });
  await endSession(alice);

  await admin('add-jump-group', 'Lab', '--prompt-timeout', '2');
  await row(alice).getByTestId('jump-start').click();
  await expect(alice.getByText(/The session has ended: refused: nobody answered at the remote computer in time/)).toBeVisible();
  await expect(alice.getByTestId('peer-status')).toHaveText('not connected');

  const d = db();
  try {
    const answers = (d.prepare("select actor, detail from audit_log where action = 'jump.prompt.answered' order by id").all() as { actor: string; detail: string }[])
      .map((a) => ({ actor: a.actor, ...(JSON.parse(a.detail) as object) }));
    expect(answers).toEqual([
      expect.objectContaining({ actor: `user@${HOST}`, answer: 'allow', timedOut: false }),
      expect.objectContaining({ actor: `user@${HOST}`, answer: 'deny', timedOut: true }),
    ]);
  } finally {
    d.close();
  }
  await admin('add-jump-group', 'Lab', '--no-prompt');
  await alice.close();
});

test('the jump client reconnects after the server restarts with the same data', async ({ browser }) => {
  const alice = await browser.newPage();
  await openJumpList(alice, 'alice');
  await expect(row(alice).getByTestId('jump-client-status')).toHaveText('online');
  const lastSeen = () => {
    const d = db();
    try {
      return (d.prepare('select last_seen_at from jump_clients').get() as { last_seen_at: number }).last_seen_at;
    } finally {
      d.close();
    }
  };

  await server.proc.stop();
  await expect(alice.getByTestId('server-status')).toContainText('offline');
  // The old server wrote last seen as it closed; the client's reconnect writes it again after this.
  const restartedAt = Date.now();
  server = await launchServer(server.port);
  await expect(alice.getByTestId('server-status')).toContainText('online', { timeout: 60_000 });
  await waitFor('the jump client back on the restarted server', () => lastSeen() >= restartedAt, 90_000);
  await expect(row(alice).getByTestId('jump-client-status')).toHaveText('online', { timeout: 30_000 });
  // And it still works: a session on the restarted server.
  await row(alice).getByTestId('jump-start').click();
  await expect(alice.getByTestId('peer-status')).toHaveText('connected', { timeout: 30_000 });
  await endSession(alice);
  await alice.close();
});

test('a removed jump client is told to uninstall: its config is gone, it stops, and its credential no longer connects', async ({ browser }) => {
  const spare = path.join(work, 'spare.json');
  fs.copyFileSync(configPath(), spare);
  const alice = await browser.newPage();
  await openJumpList(alice, 'alice');
  await expect(row(alice)).toHaveCount(1);

  const id = (() => {
    const d = db();
    try {
      return (d.prepare('select id from jump_clients').get() as { id: number }).id;
    } finally {
      d.close();
    }
  })();
  await admin('remove-jump-client', String(id));
  expect(await jumpClient!.exited).toBe(78);
  expect(jumpClient!.output()).toContain('removed by an administrator');
  expect(fs.existsSync(configPath())).toBe(false);
  await expect(row(alice)).toHaveCount(0);
  await expect(alice.getByTestId('jump-empty')).toBeVisible();

  // The same credential again (a copy of the config): refused at once, told to uninstall, and it does.
  const ghost = agent(['jump', '--config', spare, '--heartbeat', '2']);
  expect(await ghost.exited).toBe(78);
  expect(ghost.output()).toContain('removed by an administrator');
  expect(fs.existsSync(spare)).toBe(false);
  await alice.close();
});

test('a passive jump client holds no connection, yet a session starts at once: the server wakes it where it last checked in', async ({ browser }) => {
  await admin('add-jump-group', 'Kiosks', '--teams', 'Ops', '--no-prompt');
  const out = await admin('jump-token', '--group', 'Kiosks', '--expires', '1h');
  const token = /^token: (\S+)$/m.exec(out)![1]!;
  const passiveConfig = path.join(work, 'passive.json');
  const install = agent(['install', '--server', server.url, '--token', token, '--passive', '--no-service', '--config', passiveConfig]);
  expect(await install.exited, install.output()).toBe(0);
  expect(install.stdout()).toContain('passive mode');
  // The default interval: a day. Only a wake can start a session within this test.
  jumpClient = agent(['jump', '--config', passiveConfig]);
  const port = await waitFor('the first check-in with a wake port', () => {
    const d = db();
    try {
      return (d.prepare("select wake_port from jump_clients where mode = 'passive'").get() as { wake_port: number | null } | undefined)?.wake_port;
    } finally {
      d.close();
    }
  });
  expect(jumpClient.output()).toContain(`listening for wakes on UDP port ${port}`);

  const alice = await browser.newPage();
  await openJumpList(alice, 'alice');
  const kiosk = alice.getByTestId('jump-group').filter({ hasText: 'Kiosks' }).getByTestId('jump-client');
  await expect(kiosk.getByTestId('jump-client-status')).toHaveText('passive');
  await kiosk.getByTestId('jump-start').click();
  await expect(alice.getByTestId('chat-message').filter({ hasText: 'it was sent a wake' })).toBeVisible();
  await expect(alice.getByTestId('peer-status')).toHaveText('connected', { timeout: 30_000 });
  await expectCanvasToMatchScreen(alice, x.display, { x: 0, y: 0, w: 400, h: 300 });
  expect(jumpClient.output()).toContain('woken by the server: checking in now');
  await endSession(alice);
  // The client goes back to sleep; it is still running, with no connection to the server.
  expect(jumpClient.child.exitCode).toBeNull();
  await alice.close();
});

test('an administrator renames, moves and removes a jump client from the console; the removed passive client is woken to uninstall', async ({ browser }) => {
  await addTechnician('carol', '--admin');
  const carol = await browser.newPage();
  await openJumpList(carol, 'carol');
  const alice = await browser.newPage();
  await openJumpList(alice, 'alice');
  const kiosk = (page: Page) => page.getByTestId('jump-client').filter({ hasText: HOST });
  // Carol is in no group's policy: she manages the client but cannot start a session on it.
  await expect(kiosk(carol).getByTestId('jump-start')).toBeDisabled();
  await expect(alice.getByTestId('jump-manage')).toHaveCount(0);

  await kiosk(carol).getByTestId('jump-manage').click();
  await kiosk(carol).getByTestId('jump-rename-input').fill('Front desk kiosk');
  await kiosk(carol).getByTestId('jump-rename').click();
  // Everyone watching sees it live.
  await expect(kiosk(alice)).toContainText('Front desk kiosk');

  await kiosk(carol).getByTestId('jump-manage').click();
  await kiosk(carol).getByTestId('jump-move-group').selectOption({ label: 'Lab' });
  await kiosk(carol).getByTestId('jump-move').click();
  await expect(alice.getByTestId('jump-group').filter({ hasText: 'Lab' }).getByTestId('jump-client')).toContainText('Front desk kiosk');

  // The confirmation is accepted by openJumpList's dialog handler.
  await kiosk(carol).getByTestId('jump-manage').click();
  await kiosk(carol).getByTestId('jump-remove').click();
  await expect(kiosk(alice)).toHaveCount(0);
  // Passive, and a day from its next check-in: the wake makes it hear of its removal now.
  expect(await jumpClient!.exited).toBe(78);
  expect(jumpClient!.output()).toContain('removed by an administrator');
  expect(fs.existsSync(path.join(work, 'passive.json'))).toBe(false);
  await carol.close();
  await alice.close();
});
