/**
 * Escalation end to end on the real parts: technicians and a team made with
 * the admin CLI, a fresh server, consoles in Chromium through the web host,
 * the user's portal, and a real agent on Xvfb. A session is transferred to a
 * team queue with a note; a team member takes it without a new code, reads
 * the chat so far and the note, and sees and controls the same screen.
 */
import { expect, test, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { createCode, expectCanvasToMatchScreen, joinPortal, openPage, signIn } from './console.js';
import {
  addTechnician, adminCli, queryDb, startAgent, startServer, startWebConsole, startXterm, startXvfb,
  type LifelineServer, type Proc, type XDisplay,
} from './harness.js';


let x: XDisplay;
let xterm: Proc;
let server: LifelineServer;
let web: { url: string; proc: Proc };
const agents: Proc[] = [];
const passwords: Record<string, string> = {};
const contexts: BrowserContext[] = [];

const admin = (...args: string[]) => adminCli(server.dataDir, ...args);

const query = <T>(sql: string, ...params: unknown[]) => queryDb<T>(server.dataDir, sql, ...params);

const newPage = (browser: Browser) => openPage(browser, contexts);

const itemIn = (page: Page, kind: 'personal' | 'team' | 'general', customer: string): Locator =>
  page.locator(`[data-testid="queue-section"][data-queue="${kind}"]`).getByTestId('queue-item').filter({ hasText: customer });

/** The canvas shows what is really on the X display (the xterm region, pixel for pixel). */
const canvasMatchesScreen = (page: Page) => expectCanvasToMatchScreen(page, x.display, { x: 0, y: 0, w: 600, h: 380 }, undefined, 30_000);

test.beforeAll(async () => {
  x = await startXvfb();
  xterm = await startXterm(x.display);
  server = await startServer();
  web = await startWebConsole(server.url);
  for (const [user, name] of [['ann', 'Ann Archer'], ['bob', 'Bob Baker']]) {
    passwords[user!] = await addTechnician(server, user!, '--name', name!);
  }
  await admin('add-team', 'Printers', '--routing', 'least_busy');
  for (const user of ['ann', 'bob']) await admin('add-member', 'Printers', user);
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

test('a session transferred to a team queue keeps its chat and the note; a team member takes it without a new code and sees the screen', async ({ browser }) => {
  const ann = await newPage(browser);
  const bob = await newPage(browser);
  const user = await newPage(browser);
  await signIn(ann, web.url, 'ann', passwords.ann!);
  await signIn(bob, web.url, 'bob', passwords.bob!);

  // Ann's session: code, portal, agent, chat, consent, screen.
  const code = await createCode(ann);
  await joinPortal(user, server.url, code, 'Dana User');
  await expect(user.getByTestId('portal-technician')).toHaveText('Ann Archer');
  await user.getByTestId('portal-chat-input').fill('My printer prints only blank pages');
  await user.getByTestId('portal-chat-send').click();
  const agent = startAgent(server.url, code, x.display);
  agents.push(agent);
  await itemIn(ann, 'personal', 'Dana User').getByTestId('queue-accept').click();
  await expect(ann.getByTestId('session-view')).toBeVisible();
  await user.getByTestId('consent-control').check();
  await expect(ann.getByTestId('peer-status')).toHaveText('connected', { timeout: 30_000 });
  await canvasMatchesScreen(ann);
  await ann.getByTestId('chat-input').fill('Let me check the driver.');
  await ann.getByTestId('chat-send').click();
  await expect(user.getByTestId('portal-chat-message').filter({ hasText: 'Let me check the driver.' })).toBeVisible();

  // Ann transfers it to the Printers team with a note.
  await ann.getByTestId('session-transfer').click();
  await ann.getByTestId('transfer-target').selectOption('team:Printers');
  await ann.getByTestId('transfer-note').fill('Driver 4.2 is installed; the spooler looks fine.');
  await ann.getByTestId('transfer-submit').click();
  await expect(ann.getByTestId('session-view')).toBeHidden();
  await expect(ann.getByTestId('transferred-banner')).toContainText('You transferred the session with Dana User to the Printers team');

  // The user is told, and waits for the team; the agent stays connected (no new code).
  const line = 'Ann Archer transferred the session to the Printers team: Driver 4.2 is installed; the spooler looks fine.';
  await expect(user.getByTestId('portal-chat-message').filter({ hasText: line })).toBeVisible();
  await expect(user.getByTestId('portal-status')).toContainText('waiting');

  // Bob takes it from the team queue.
  const item = itemIn(bob, 'team', 'Dana User');
  await expect(item).toBeVisible();
  await item.getByTestId('queue-accept').click();
  await expect(bob.getByTestId('session-view')).toBeVisible();
  for (const text of ['My printer prints only blank pages', 'Let me check the driver.', line, 'Bob Baker has joined the session.']) {
    await expect(bob.getByTestId('chat-message').filter({ hasText: text })).toBeVisible();
  }

  // The portal shows the new technician; the consent the user gave still holds.
  await expect(user.getByTestId('portal-technician')).toHaveText('Bob Baker');
  await expect(user.getByTestId('portal-participants')).toContainText('Bob Baker (technician): connected');
  await expect(bob.getByTestId('consent-status')).toContainText('control: allowed');

  // The screen works for Bob, over a new peer connection to the same agent.
  await expect(bob.getByTestId('peer-status')).toHaveText('connected', { timeout: 30_000 });
  await canvasMatchesScreen(bob);
  expect(await Promise.race([agent.exited.then(() => 'exited'), new Promise((r) => setTimeout(() => r('running'), 500))])).toBe('running');

  // Stored and audited: the note and who moved the session where.
  const [request] = query<{ id: string; status: string; queue: string; accepted_by: number }>('SELECT id, status, queue, accepted_by FROM requests WHERE customer_name = ?', 'Dana User');
  expect(request).toMatchObject({ status: 'active', queue: 'team', accepted_by: query<{ id: number }>('SELECT id FROM technicians WHERE username = ?', 'bob')[0]!.id });
  expect(query('SELECT target, text FROM session_notes WHERE request_id = ?', request!.id)).toEqual([
    { target: 'the Printers team', text: 'Driver 4.2 is installed; the spooler looks fine.' },
  ]);
  expect(query(`SELECT actor FROM audit_log WHERE action = 'session.transferred' AND detail LIKE ?`, `%${request!.id}%`)).toEqual([{ actor: 'ann' }]);
});
