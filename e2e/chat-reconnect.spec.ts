/**
 * Chat is never lost across a reconnect of either side, on the real parts: a
 * fresh server, the console renderer in Chromium through the web host, the
 * user's portal in a second browser context. Chat needs no agent: the
 * session is queued from the portal and accepted in the console.
 */
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { createCode, joinPortal, openPage, signIn } from './console.js';
import { startServer, startServerAgain, startWebConsole, type LifelineServer, type Proc } from './harness.js';

let server: LifelineServer;
let restarted: Proc | null = null;
let web: { url: string; proc: Proc };
/** Each test's browser contexts, closed after it. */
const contexts: BrowserContext[] = [];

test.beforeAll(async () => {
  server = await startServer();
  web = await startWebConsole(server.url);
});

test.afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close();
});

test.afterAll(async () => {
  await web?.proc.stop();
  await restarted?.stop();
  await server?.stop();
});

/** A code session the user joined on the portal and the technician accepted. */
async function session(browser: Browser, name: string): Promise<{ tech: Page; user: Page }> {
  const tech = await openPage(browser, contexts);
  await signIn(tech, web.url, 'admin', server.adminPassword);
  const code = await createCode(tech);
  const user = await openPage(browser, contexts);
  await joinPortal(user, server.url, code, name);
  await tech.getByTestId('queue-item').filter({ hasText: name }).getByTestId('queue-accept').click();
  await expect(tech.getByTestId('session-view')).toBeVisible();
  await expect(user.getByTestId('portal-participants')).toContainText('Administrator (technician): connected');
  return { tech, user };
}

/** The chat texts a page shows as stored (the portal's messages still sending are left out), oldest first. */
async function shownChat(page: Page): Promise<string[]> {
  const inConsole = page.locator('[data-testid="chat-message"] .chat-text');
  const portal = page.locator('[data-testid="portal-chat-message"]:not(.pending) [data-testid="portal-chat-text"]');
  return (await inConsole.or(portal).allTextContents()).map((t) => t.trim());
}

/** Both UIs show exactly `texts` among the messages written by this test, once each and in this order. */
async function expectChatInBoth(pages: Page[], texts: string[], timeout?: number): Promise<void> {
  for (const page of pages) {
    await expect.poll(async () => (await shownChat(page)).filter((t) => texts.includes(t)), { timeout }).toEqual(texts);
  }
}

/** The user ends the session, so the next test's console opens on the queue. */
async function endSession(user: Page): Promise<void> {
  await user.getByTestId('portal-end').click();
  await expect(user.getByTestId('portal-status')).toContainText('The session has ended');
}

async function userWrites(user: Page, text: string): Promise<void> {
  await user.getByTestId('portal-chat-input').fill(text);
  await user.getByTestId('portal-chat-send').click();
}

async function technicianWrites(tech: Page, text: string): Promise<void> {
  await tech.getByTestId('chat-input').fill(text);
  await tech.getByTestId('chat-send').click();
  await expect(tech.getByTestId('chat-input')).toHaveValue('');
}

test('messages written while the portal is offline, on both sides, show once in both UIs, in order, when it is back', async ({ browser }) => {
  const { tech, user } = await session(browser, 'Olga Offline');
  const portalContext = user.context();

  await portalContext.setOffline(true);
  await expect(user.getByTestId('portal-status')).toContainText('Connection lost');
  await userWrites(user, 'first while offline');
  await userWrites(user, 'second while offline');
  await technicianWrites(tech, 'the technician, meanwhile');
  // The user sees hers as still sending; the technician sees his own stored.
  await expect(user.getByTestId('portal-chat-sending')).toHaveCount(2);
  await expectChatInBoth([tech], ['the technician, meanwhile']);

  await portalContext.setOffline(false);
  await expect(user.getByTestId('portal-chat-sending')).toHaveCount(0);
  await expectChatInBoth([user, tech], ['the technician, meanwhile', 'first while offline', 'second while offline']);
  await endSession(user);
});

test('a message not yet stored when the user reloads the portal is sent after the reload, once', async ({ browser }) => {
  const { tech, user } = await session(browser, 'Rita Reload');
  const portalContext = user.context();

  await portalContext.setOffline(true);
  await expect(user.getByTestId('portal-status')).toContainText('Connection lost');
  await userWrites(user, 'written just before the reload');
  await expect(user.getByTestId('portal-chat-sending')).toHaveCount(1);
  // Reloading while offline fails (the browser's error page); the message lives in the tab's session storage.
  await user.reload().catch(() => undefined);
  await portalContext.setOffline(false);
  await user.goto(server.url);

  await expect(user.getByTestId('portal-chat-sending')).toHaveCount(0);
  await expectChatInBoth([user, tech], ['written just before the reload']);
  await endSession(user);
});

test('a message the technician writes while the server restarts reaches the user once', async ({ browser }) => {
  const { tech, user } = await session(browser, 'Sam Restart');
  await technicianWrites(tech, 'before the restart');
  await expectChatInBoth([user, tech], ['before the restart']);

  await server.proc.stop();
  await expect(tech.getByTestId('server-status')).toHaveText('Server offline, reconnecting…');
  await technicianWrites(tech, 'written during the outage');
  restarted = await startServerAgain(server);

  await expect(tech.getByTestId('server-status')).toHaveText('Server online');
  // The portal's backoff may wait up to 10 s before it tries again.
  await expectChatInBoth([user, tech], ['before the restart', 'written during the outage'], 30_000);
});
