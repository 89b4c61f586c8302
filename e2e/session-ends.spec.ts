/**
 * The user ends a running code session from the portal: the console shows it
 * ended, the agent on the user's machine exits cleanly, and the request is
 * gone from the queue for good.
 */
import { expect, test } from '@playwright/test';
import { expectCanvasToMatchScreen, startAttendedSession, type AttendedSession } from './console.js';
import { queryDb, startServer, startWebConsole, startXterm, startXvfb, type LifelineServer, type Proc, type XDisplay } from './harness.js';

let x: XDisplay;
let xterm: Proc;
let server: LifelineServer;
let web: { url: string; proc: Proc };
let session: AttendedSession | undefined;

test.beforeAll(async () => {
  x = await startXvfb();
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
});

test('the user ends the session on the portal: the console shows it ended, the agent exits with 0, and the request leaves the queue', async ({ browser }) => {
  session = await startAttendedSession(browser, { consoleUrl: web.url, server, display: x.display, customer: 'Ends It Herself' });
  const { tech, user, agent } = session;
  // The session is really running: the technician sees the user's screen.
  await expectCanvasToMatchScreen(tech, x.display, { x: 0, y: 0, w: 600, h: 380 }, undefined, 30_000);

  user.on('dialog', (d) => void d.accept());
  await user.getByTestId('portal-end').click();

  await expect(user.getByTestId('portal-status')).toContainText('The session has ended');
  await expect(tech.getByRole('status').filter({ hasText: 'The session has ended: ended by the user' })).toBeVisible();
  await expect(tech.getByTestId('session-end')).toBeHidden();
  expect(await agent.exited).toBe(0);

  const [request] = queryDb<{ status: string; ended_reason: string }>(server.dataDir, 'SELECT status, ended_reason FROM requests WHERE customer_name = ?', 'Ends It Herself');
  expect(request).toEqual({ status: 'ended', ended_reason: 'ended by the user' });
  await tech.getByRole('button', { name: 'Back to queue' }).click();
  await expect(tech.getByTestId('code-create')).toBeVisible();
  await expect(tech.getByTestId('queue-item').filter({ hasText: 'Ends It Herself' })).toHaveCount(0);
});
