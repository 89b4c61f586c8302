/**
 * Chat while a request waits, end to end on the real parts: a fresh server,
 * the console renderer in Chromium through the web host, and the user's
 * portal in a second browser context. The user asks for help without a code
 * (the general queue, no technician of its own), writes while queued, and is
 * answered from the queue before anyone accepts; the conversation then goes
 * on in the session view, every message once.
 */
import { expect, test, type BrowserContext } from '@playwright/test';
import { openPage, signIn } from './console.js';
import { startServer, startWebConsole, type LifelineServer, type Proc } from './harness.js';

let server: LifelineServer;
let web: { url: string; proc: Proc };
const contexts: BrowserContext[] = [];

test.beforeAll(async () => {
  server = await startServer();
  web = await startWebConsole(server.url);
});

test.afterAll(async () => {
  for (const c of contexts) await c.close();
  await web?.proc.stop();
  await server?.stop();
});

test('a technician answers a queued user from the queue before accepting, and the conversation continues in the session, each message once', async ({ browser }) => {
  const tech = await openPage(browser, contexts);
  const user = await openPage(browser, contexts);
  await signIn(tech, web.url, 'admin', server.adminPassword);

  await user.goto(server.url);
  await user.getByTestId('portal-help-name').fill('Gina Queue');
  await user.getByTestId('portal-help-description').fill('Outlook will not start');
  await user.getByTestId('portal-help-submit').click();
  await expect(user.getByTestId('portal-status')).toContainText('waiting for the support desk');

  // The user writes while nobody has accepted; the request waits in the general queue.
  await user.getByTestId('portal-chat-input').fill('Is anyone there? It is urgent.');
  await user.getByTestId('portal-chat-send').click();

  const item = tech.locator('[data-testid="queue-section"][data-queue="general"]').getByTestId('queue-item').filter({ hasText: 'Gina Queue' });
  await expect(item.getByTestId('queue-chat-count')).toHaveText('1');
  await item.getByTestId('queue-chat').click();
  const detail = tech.getByTestId('queue-detail');
  await expect(detail.getByTestId('queue-detail-description')).toHaveText('Outlook will not start');
  await expect(detail.getByTestId('chat-message').filter({ hasText: 'Is anyone there? It is urgent.' })).toBeVisible();

  // He answers from the queue; the user reads it on the portal while still waiting.
  await detail.getByTestId('chat-input').fill('Yes, I am with you in a minute.');
  await detail.getByTestId('chat-send').click();
  await expect(user.getByTestId('portal-chat-message').filter({ hasText: 'Yes, I am with you in a minute.' })).toBeVisible();
  await expect(user.getByTestId('portal-status')).toContainText('waiting for the support desk');
  await expect(detail.getByTestId('chat-message').filter({ hasText: 'Yes, I am with you in a minute.' })).toHaveCount(1);

  // The user writes again while the panel is open: it arrives live.
  await user.getByTestId('portal-chat-input').fill('Thank you!');
  await user.getByTestId('portal-chat-send').click();
  await expect(detail.getByTestId('chat-message').filter({ hasText: 'Thank you!' })).toBeVisible();

  // After the accept, the session view holds the whole conversation, nothing lost or doubled.
  await item.getByTestId('queue-accept').click();
  const session = tech.getByTestId('session-view');
  await expect(session).toBeVisible();
  await expect(session.getByTestId('chat-message').filter({ hasText: 'has joined the session' })).toBeVisible();
  for (const text of ['Is anyone there? It is urgent.', 'Yes, I am with you in a minute.', 'Thank you!']) {
    await expect(session.getByTestId('chat-message').filter({ hasText: text })).toHaveCount(1);
    await expect(user.getByTestId('portal-chat-message').filter({ hasText: text })).toHaveCount(1);
  }
  await expect(session.getByTestId('chat-message')).toHaveText([
    /Is anyone there\? It is urgent\./, /Yes, I am with you in a minute\./, /Thank you!/, /has joined the session/,
  ]);

  // And it goes on there.
  await session.getByTestId('chat-input').fill('Let us start.');
  await session.getByTestId('chat-send').click();
  await expect(user.getByTestId('portal-chat-message').filter({ hasText: 'Let us start.' })).toHaveCount(1);
});
