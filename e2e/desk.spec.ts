/**
 * The support desk end to end on the real parts: technicians, a team and an
 * issue type made with the admin CLI; a fresh server; consoles in Chromium
 * through the web host; the user's portal; a real agent on Xvfb where a
 * session is needed. Routing, the accept race and a restart are checked in
 * what people see and in what the database holds.
 */
import path from 'node:path';
import { expect, test, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { createCode, joinPortal, openPage, signIn } from './console.js';
import {
  ROOT, addTechnician, adminCli, queryDb, run, startAgent, startServer, startWebConsole, startXterm, startXvfb, waitFor,
  type LifelineServer, type Proc, type XDisplay,
} from './harness.js';

// Busy only from two sessions, so a technician with one session is still
// available, just busier: least-busy routing has something to decide.
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const SERVER_ARGS = ['--busy-after-sessions', '2'];

let x: XDisplay;
let xterm: Proc;
let server: LifelineServer;
let restarted: Proc | null = null;
let web: { url: string; proc: Proc };
const agents: Proc[] = [];
const passwords: Record<string, string> = {};
/** Each test's browser contexts, closed after it: no test leans on another's consoles. */
const contexts: BrowserContext[] = [];

const admin = (...args: string[]) => adminCli(server.dataDir, ...args);

const query = <T>(sql: string, ...params: unknown[]) => queryDb<T>(server.dataDir, sql, ...params);

const technicianId = (username: string) => query<{ id: number }>('SELECT id FROM technicians WHERE username = ?', username)[0]!.id;

const newPage = (browser: Browser) => openPage(browser, contexts);

async function consoleOf(browser: Browser, user: 'ann' | 'bob' | 'cem'): Promise<Page> {
  const page = await newPage(browser);
  await signIn(page, web.url, user, passwords[user]!);
  return page;
}

/** The user asks for help on the portal, without a code. */
async function askForHelp(browser: Browser, name: string, description: string, issueType: string | null): Promise<Page> {
  const user = await newPage(browser);
  await user.goto(server.url);
  await user.getByTestId('portal-help-name').fill(name);
  await user.getByTestId('portal-help-description').fill(description);
  if (issueType) await user.getByTestId('portal-help-issue').selectOption(issueType);
  await user.getByTestId('portal-help-submit').click();
  return user;
}

const section = (page: Page, kind: 'personal' | 'team' | 'general'): Locator => page.locator(`[data-testid="queue-section"][data-queue="${kind}"]`);
const itemIn = (page: Page, kind: 'personal' | 'team' | 'general', customer: string): Locator =>
  section(page, kind).getByTestId('queue-item').filter({ hasText: customer });

test.beforeAll(async () => {
  x = await startXvfb();
  xterm = await startXterm(x.display);
  server = await startServer(SERVER_ARGS);
  web = await startWebConsole(server.url);
  for (const [user, name] of [['ann', 'Ann Archer'], ['bob', 'Bob Baker'], ['cem', 'Cem Cole']]) {
    passwords[user!] = await addTechnician(server, user!, '--name', name!);
  }
  await admin('add-team', 'Printers', '--routing', 'least_busy');
  for (const user of ['ann', 'bob', 'cem']) await admin('add-member', 'Printers', user);
  expect(await admin('add-issue-type', 'Printer jam', '--team', 'Printers')).toContain('goes to team "Printers"');
  expect(await admin('list-issue-types')).toContain('Printer jam -> team Printers');
});

test.afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
});

test.afterAll(async () => {
  for (const a of agents) await a.stop();
  await web?.proc.stop();
  await restarted?.stop();
  await server?.stop();
  await xterm?.stop();
  await x?.stop();
});

test('a portal request with an issue type is routed to the least busy available technician of its team and shows "for you" in his console', async ({ browser }) => {
  const [ann, bob, cem] = [await consoleOf(browser, 'ann'), await consoleOf(browser, 'bob'), await consoleOf(browser, 'cem')];

  // Ann runs a session with a real agent: one active session.
  const code = await createCode(ann);
  const annsUser = await newPage(browser);
  await joinPortal(annsUser, server.url, code, 'Ann Customer');
  agents.push(startAgent(server.url, code, x.display));
  await itemIn(ann, 'personal', 'Ann Customer').getByTestId('queue-accept').click();
  await expect(ann.getByTestId('session-view')).toBeVisible();
  await expect(ann.getByTestId('agent-status')).toHaveText('online');

  // Cem steps away, from his console.
  await cem.getByTestId('presence-select').selectOption('away');
  await expect(cem.getByTestId('presence-status')).toHaveText('Away');

  // Presence is live to colleagues.
  await expect(bob.getByTestId('colleague').filter({ hasText: 'Ann Archer' })).toContainText('Available · 1 session');
  await expect(bob.getByTestId('colleague').filter({ hasText: 'Cem Cole' })).toContainText('Away');
  await expect(bob.getByTestId('presence-status')).toHaveText('Available');

  const user = await askForHelp(browser, 'Dana Desk', 'The printer jams on every page', 'Printer jam');
  await expect(user.getByTestId('portal-status')).toContainText('waiting for the Printers team');
  await expect(user.getByTestId('portal-agent-command')).toContainText(/--code \d{10}/);
  await expect(user.getByTestId('portal-session-code')).toHaveText(/^\d{3} \d{3} \d{4}$/);

  // Bob has no session and is available: the request is his.
  const bobs = itemIn(bob, 'team', 'Dana Desk');
  await expect(bobs.getByTestId('queue-for-you')).toHaveText('For you');
  await expect(bobs.getByTestId('queue-description')).toHaveText('Printer jam: The printer jams on every page');
  await expect(bob.getByTestId('desk-alert')).toContainText('New request for you: Dana Desk');
  // Cem still sees it in the team queue, assigned to Bob, not to him.
  const cems = itemIn(cem, 'team', 'Dana Desk');
  await expect(cems.getByTestId('queue-routed-to')).toContainText('assigned to Bob Baker');
  await expect(cems.getByTestId('queue-for-you')).toHaveCount(0);

  expect(query(
    `SELECT r.status, r.queue, t.name AS team, r.issue_type, r.technician_id, r.routed_to
       FROM requests r LEFT JOIN teams t ON t.id = r.team_id WHERE r.customer_name = ?`, 'Dana Desk',
  )).toEqual([{ status: 'waiting', queue: 'team', team: 'Printers', issue_type: 'Printer jam', technician_id: null, routed_to: technicianId('bob') }]);
});

test('two technicians accept the same request at the same moment: exactly one gets the session, the other is told in words', async ({ browser }) => {
  const [bob, cem] = [await consoleOf(browser, 'bob'), await consoleOf(browser, 'cem')];
  const user = await askForHelp(browser, 'Eve Race', 'Cannot sign in to the intranet', null);
  await expect(user.getByTestId('portal-status')).toContainText('waiting for the support desk');

  const accepts = [bob, cem].map((p) => itemIn(p, 'general', 'Eve Race').getByTestId('queue-accept'));
  for (const a of accepts) await expect(a).toBeEnabled();
  // Both buttons are found first, then clicked at one shared instant (the
  // pages share the machine's clock): neither click can trail behind the
  // other's round trip through the server, which would take its button away.
  const at = Date.now() + 500;
  await Promise.all(accepts.map((a) => a.evaluate((button, when) => new Promise<void>((resolve) => {
    setTimeout(() => {
      (button as HTMLButtonElement).click();
      resolve();
    }, Math.max(0, when - Date.now()));
  }), at)));

  const inSession = async () => {
    for (const [name, p] of [['bob', bob], ['cem', cem]] as const) if (await p.getByTestId('session-view').isVisible()) return name;
    return null;
  };
  await expect.poll(inSession).not.toBeNull();
  const winnerName = (await inSession())!;
  const [w, loser] = winnerName === 'bob' ? [bob, cem] : [cem, bob];
  await expect(loser.getByTestId('notice')).toContainText('Another technician has already taken this request.');
  await expect(itemIn(loser, 'general', 'Eve Race')).toHaveCount(0);
  await expect(loser.getByTestId('session-view')).toHaveCount(0);

  const rows = query<{ status: string; accepted_by: number; id: string }>('SELECT id, status, accepted_by FROM requests WHERE customer_name = ?', 'Eve Race');
  expect(rows.map(({ status, accepted_by }) => ({ status, accepted_by }))).toEqual([{ status: 'active', accepted_by: technicianId(winnerName) }]);
  expect(query(`SELECT actor FROM audit_log WHERE action = 'session.accepted' AND detail LIKE ?`, `%${rows[0]!.id}%`)).toEqual([{ actor: winnerName }]);

  // From here the portal behaves as after entering a code: the agent joins with the code it shows, chat, consent, end.
  const command = (await user.getByTestId('portal-agent-command').textContent())!;
  agents.push(startAgent(server.url, command.match(/--code (\d{10})/)![1]!, x.display));
  await expect(w.getByTestId('agent-status')).toHaveText('online');
  await expect(user.getByTestId('portal-participants')).toContainText('(technician): connected');
  await user.getByTestId('portal-chat-input').fill('Hello, it still fails');
  await user.getByTestId('portal-chat-send').click();
  await expect(w.getByTestId('chat-message').filter({ hasText: 'Hello, it still fails' })).toBeVisible();
  await user.getByTestId('consent-view').check();
  await expect(w.getByTestId('consent-status')).toContainText('view: allowed');
  await user.getByTestId('portal-end').click();
  await expect(user.getByTestId('portal-status')).toContainText('The session has ended');
  await expect(w.getByTestId('session-view')).toContainText('The session has ended: ended by the user');
  await w.getByRole('button', { name: 'Back to queue' }).click();
  await expect(section(w, 'general')).toBeVisible();
});

test('a waiting request is still in its queue after the server restarts on the same data', async ({ browser }) => {
  const cem = await consoleOf(browser, 'cem');
  const user = await askForHelp(browser, 'Finn Restart', 'Printer offline after the update', 'Printer jam');
  await expect(itemIn(cem, 'team', 'Finn Restart')).toBeVisible();

  const port = new URL(server.url).port;
  await server.proc.stop();
  expect(query('SELECT status, queue FROM requests WHERE customer_name = ?', 'Finn Restart')).toEqual([{ status: 'waiting', queue: 'team' }]);
  await expect(cem.getByTestId('server-status')).toHaveText('Server offline, reconnecting…');

  restarted = run(TSX, ['server/src/main.ts', '--port', port, '--data', server.dataDir, ...SERVER_ARGS]);
  await waitFor('the restarted server', () => restarted!.output().includes('support server on'));

  // A console signed in only now gets the queue from the restarted server.
  const fresh = await consoleOf(browser, 'cem');
  await expect(itemIn(fresh, 'team', 'Finn Restart')).toBeVisible();
  await expect(itemIn(fresh, 'team', 'Finn Restart')).toContainText('Printer jam: Printer offline after the update');
  // The consoles that were open reconnect and show it; so does the user's portal.
  await expect(cem.getByTestId('server-status')).toHaveText('Server online');
  await expect(itemIn(cem, 'team', 'Finn Restart')).toBeVisible();
  await expect(user.getByTestId('portal-status')).toContainText('waiting for the Printers team');
  expect(query('SELECT status, queue FROM requests WHERE customer_name = ?', 'Finn Restart')).toEqual([{ status: 'waiting', queue: 'team' }]);
});
