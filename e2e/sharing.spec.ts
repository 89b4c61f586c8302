/**
 * A shared session end to end on the real parts: two technicians made with
 * the admin CLI, their consoles in Chromium through the web host, the user's
 * portal, and a real agent on Xvfb with an xterm. The holder invites a
 * colleague; both canvases show the X display; control is handed over, the
 * colleague's typing lands in the xterm while the first technician's input
 * is refused; the portal lists both; the first technician leaves.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { createCode, expectCanvasToMatchScreen, joinPortal, openPage, remoteToPage, signIn } from './console.js';
import {
  addTechnician, queryDb, startAgent, startServer, startWebConsole, startXterm, startXvfb, waitFor,
  type LifelineServer, type Proc, type XDisplay,
} from './harness.js';


let x: XDisplay;
let xterm: Proc;
let server: LifelineServer;
let web: { url: string; proc: Proc };
const agents: Proc[] = [];
const passwords: Record<string, string> = {};
const contexts: BrowserContext[] = [];

const query = <T>(sql: string, ...params: unknown[]) => queryDb<T>(server.dataDir, sql, ...params);

const newPage = (browser: Browser) => openPage(browser, contexts);

/** The canvas shows what is really on the X display (the xterm region, pixel for pixel). */
const canvasMatchesScreen = (page: Page) => expectCanvasToMatchScreen(page, x.display, { x: 0, y: 0, w: 600, h: 380 }, undefined, 30_000);

/** Clicks into the xterm on the remote canvas and types a command that writes `marker` to a file. */
async function typeCommand(page: Page, marker: string): Promise<string> {
  const file = path.join(os.tmpdir(), `${marker}.txt`);
  const at = await remoteToPage(page, 200, 200);
  await page.mouse.click(at.x, at.y);
  await page.keyboard.type(`echo ${marker} > ${file}`);
  await page.keyboard.press('Enter');
  return file;
}

test.beforeAll(async () => {
  x = await startXvfb();
  xterm = await startXterm(x.display);
  server = await startServer();
  web = await startWebConsole(server.url);
  for (const [user, name] of [['ann', 'Ann Archer'], ['bob', 'Bob Baker']]) {
    passwords[user!] = await addTechnician(server, user!, '--name', name!);
  }
});

test.afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
});

test.afterAll(async () => {
  for (const a of agents) await a.stop();
  await web?.proc.stop();
  await server?.stop();
  await xterm?.stop();
  await x?.stop();
});

test('two technicians share a session: both see the screen, control is handed over, only the holder\'s input lands, the portal lists both', async ({ browser }) => {
  const ann = await newPage(browser);
  const bob = await newPage(browser);
  const user = await newPage(browser);
  await signIn(ann, web.url, 'ann', passwords.ann!);
  await signIn(bob, web.url, 'bob', passwords.bob!);

  // Ann's session: code, portal, agent, consent, screen.
  const code = await createCode(ann);
  await joinPortal(user, server.url, code, 'Dana User');
  const agent = startAgent(server.url, code, x.display);
  agents.push(agent);
  await ann.getByTestId('queue-item').filter({ hasText: 'Dana User' }).getByTestId('queue-accept').click();
  await expect(ann.getByTestId('session-view')).toBeVisible();
  await user.getByTestId('consent-control').check();
  await expect(ann.getByTestId('consent-status')).toContainText('control: allowed');
  await expect(ann.getByTestId('peer-status')).toHaveText('connected', { timeout: 30_000 });
  await canvasMatchesScreen(ann);

  // Ann invites Bob, who is online: his console opens the session, view only.
  await ann.getByTestId('session-invite').click();
  await ann.getByTestId('invite-target').selectOption({ label: 'Bob Baker (available)' });
  await ann.getByTestId('invite-submit').click();
  await expect(bob.getByTestId('session-view')).toBeVisible();
  await expect(bob.getByTestId('control-holder')).toHaveText('Ann Archer has control');
  await expect(ann.getByTestId('control-holder')).toHaveText('You have control');
  await expect(bob.getByTestId('peer-status')).toHaveText('connected', { timeout: 30_000 });
  await canvasMatchesScreen(bob);
  await canvasMatchesScreen(ann);
  await expect(bob.getByTestId('session-end')).toHaveCount(0);
  // Tools stay with the holder: the colleague's console says why.
  await expect(bob.getByTestId('tool-tab-shell')).toHaveAttribute('aria-disabled', 'true');
  await expect(bob.getByTestId('tool-tab-shell')).toHaveAttribute('title', /Ann Archer has control/);
  await expect(user.getByTestId('portal-participants')).toContainText('Ann Archer (technician, has control): connected');
  await expect(user.getByTestId('portal-participants')).toContainText('Bob Baker (technician, watching): connected');
  await expect(user.getByTestId('portal-chat-message').filter({ hasText: 'Ann Archer invited Bob Baker into the session.' })).toBeVisible();

  // Ann hands control to Bob.
  await ann.getByTestId('session-handover').click();
  await ann.getByTestId('handover-target').selectOption({ label: 'Bob Baker' });
  await ann.getByTestId('handover-submit').click();
  await expect(bob.getByTestId('control-holder')).toHaveText('You have control');
  await expect(ann.getByTestId('control-holder')).toHaveText('Bob Baker has control');
  await expect(user.getByTestId('portal-participants')).toContainText('Bob Baker (technician, has control): connected');
  await expect(user.getByTestId('portal-participants')).toContainText('Ann Archer (technician, watching): connected');

  // Bob's typing lands in the xterm; both canvases show it.
  const bobMarker = `lifeline-bob-${Date.now()}`;
  const bobFile = await typeCommand(bob, bobMarker);
  await waitFor('Bob\'s command to write its file', () => fs.existsSync(bobFile) && fs.readFileSync(bobFile, 'utf8').trim() === bobMarker);
  fs.rmSync(bobFile);
  await canvasMatchesScreen(bob);
  await canvasMatchesScreen(ann);

  // Ann's input is refused by the agent, and she is told why; nothing she typed reaches the xterm.
  const annMarker = `lifeline-ann-${Date.now()}`;
  const annFile = await typeCommand(ann, annMarker);
  await expect(ann.getByRole('alert').filter({ hasText: 'Another technician has control of this session.' })).toBeVisible();
  await new Promise((r) => setTimeout(r, 1500));
  expect(fs.existsSync(annFile)).toBe(false);
  // A command Bob finishes now holds no trace of Ann's keys.
  const checkMarker = `lifeline-check-${Date.now()}`;
  const checkFile = await typeCommand(bob, checkMarker);
  await waitFor('Bob\'s second command', () => fs.existsSync(checkFile) && fs.readFileSync(checkFile, 'utf8').trim() === checkMarker);
  fs.rmSync(checkFile);
  expect(fs.existsSync(annFile)).toBe(false);

  // Stored and audited.
  const [request] = query<{ id: string; accepted_by: number }>('SELECT id, accepted_by FROM requests WHERE customer_name = ?', 'Dana User');
  const idOf = (u: string) => query<{ id: number }>('SELECT id FROM technicians WHERE username = ?', u)[0]!.id;
  expect(request!.accepted_by).toBe(idOf('bob'));
  expect(query('SELECT technician_id FROM session_participants WHERE request_id = ?', request!.id)).toEqual([{ technician_id: idOf('ann') }]);
  expect(query(`SELECT actor, action FROM audit_log WHERE action IN ('session.invited', 'session.handed_over') ORDER BY id`)).toEqual([
    { actor: 'ann', action: 'session.invited' },
    { actor: 'ann', action: 'session.handed_over' },
  ]);

  // Ann leaves: her console closes the session, the portal lists Bob alone, Bob keeps the screen.
  await ann.getByTestId('session-leave').click();
  await expect(ann.getByTestId('session-view')).toBeHidden();
  await expect(user.getByTestId('portal-participants')).toContainText('Bob Baker (technician): connected');
  await expect(user.getByTestId('portal-participants')).not.toContainText('Ann Archer');
  await expect(bob.getByTestId('peer-status')).toHaveText('connected');
  await canvasMatchesScreen(bob);
});
