/**
 * Technician chat end to end: two consoles in Chromium through the web host
 * against a real server. A direct message and a team message go both ways,
 * live, and are still there after a reload (history from the server).
 */
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { signIn } from './console.js';
import { addTechnician, adminCli, startServer, startWebConsole, type LifelineServer, type Proc } from './harness.js';


let server: LifelineServer;
let web: { url: string; proc: Proc };
const passwords: Record<string, string> = {};
const contexts: BrowserContext[] = [];

const admin = (...args: string[]) => adminCli(server.dataDir, ...args);

async function consoleOf(browser: Browser, user: string): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await context.newPage();
  await signIn(page, web.url, user, passwords[user]!);
  return page;
}

const peer = (page: Page, kind: 'team' | 'technician', label: string) =>
  page.locator(`[data-testid="team-chat-peer"][data-kind="${kind}"]`).filter({ hasText: label });

async function say(page: Page, text: string): Promise<void> {
  await page.getByTestId('team-chat-input').fill(text);
  await page.getByTestId('team-chat-input').press('Enter');
}

test.beforeAll(async () => {
  server = await startServer();
  web = await startWebConsole(server.url);
  for (const [user, name] of [['ann', 'Ann Archer'], ['bob', 'Bob Baker']] as const) {
    passwords[user] = await addTechnician(server, user, '--name', name);
  }
  await admin('add-team', 'Ops');
  await admin('add-member', 'Ops', 'ann');
  await admin('add-member', 'Ops', 'bob');
});

test.afterAll(async () => {
  for (const c of contexts.splice(0)) await c.close();
  await web?.proc.stop();
  await server?.stop();
});

test('two technicians chat directly and in their team, live, and the conversation is still there after a reload', async ({ browser }) => {
  const ann = await consoleOf(browser, 'ann');
  const bob = await consoleOf(browser, 'bob');

  await ann.getByTestId('team-chat-toggle').click();
  await peer(ann, 'technician', 'Bob Baker').click();
  await expect(ann.getByTestId('team-chat-title')).toHaveText('Bob Baker');
  await say(ann, 'Can you take the printer call?');
  await expect(ann.getByTestId('team-chat-message')).toContainText(['Can you take the printer call?']);

  // Bob's console was not showing the chat: the toggle counts it.
  await expect(bob.getByTestId('team-chat-unread')).toHaveText('1');
  await bob.getByTestId('team-chat-toggle').click();
  await peer(bob, 'technician', 'Ann Archer').click();
  await expect(bob.getByTestId('team-chat-message')).toHaveText([/Ann Archer.*Can you take the printer call\?/]);
  await say(bob, 'Sure.');
  await expect(ann.getByTestId('team-chat-message')).toHaveText([/Can you take the printer call\?/, /Bob Baker.*Sure\./]);

  await peer(bob, 'team', 'Ops').click();
  await say(bob, '<b>standup</b> in 5');
  await expect(peer(ann, 'team', 'Ops')).toContainText('1');

  // A reload: the browser console's page starts over (a new bridge, so a new sign-in); history comes from the server.
  await ann.reload();
  await signIn(ann, web.url, 'ann', passwords.ann!);
  await ann.getByTestId('team-chat-toggle').click();
  await peer(ann, 'technician', 'Bob Baker').click();
  await expect(ann.getByTestId('team-chat-message')).toHaveText([/Can you take the printer call\?/, /Sure\./]);
  await peer(ann, 'team', 'Ops').click();
  // Text, not markup.
  await expect(ann.getByTestId('team-chat-message')).toHaveText([/Bob Baker.*<b>standup<\/b> in 5/]);
});
