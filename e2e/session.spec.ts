/**
 * The attended session, end to end on the real parts: a fresh server and
 * database, Xvfb with an xterm, the console renderer in Chromium through the
 * web host, the user's portal in a second browser context, and the agent.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { canvasPixels, createCode, joinPortal, remoteToPage, signIn } from './console.js';
import { startAgent, startServer, startWebConsole, startXterm, startXvfb, waitFor, type LifelineServer, type Proc, type XDisplay } from './harness.js';
import { readScreen, sameRatio } from './x-screen.js';

let x: XDisplay;
let xterm: Proc;
let server: LifelineServer;
let web: { url: string; proc: Proc };
const agents: Proc[] = [];

test.beforeAll(async () => {
  x = await startXvfb();
  xterm = await startXterm(x.display);
  server = await startServer();
  web = await startWebConsole(server.url);
});

test.afterAll(async () => {
  for (const a of agents) await a.stop();
  await web?.proc.stop();
  await server?.stop();
  await xterm?.stop();
  await x?.stop();
});

test('a technician helps a user from a session code to a controlled screen, with chat, and ending the session stops the agent', async ({ browser }) => {
  const tech = await (await browser.newContext()).newPage();
  const user = await (await browser.newContext()).newPage();

  await signIn(tech, web.url, 'admin', server.adminPassword);
  const code = await createCode(tech);

  // The user enters the code on the portal and sees whose code it is.
  await joinPortal(user, server.url, code, 'Dana User');
  await expect(user.getByTestId('portal-technician')).toHaveText('Administrator');
  await expect(user.getByTestId('portal-agent-command')).toContainText(`--code ${code}`);

  // Chat works from the first second, before anyone accepted.
  await user.getByTestId('portal-chat-input').fill('Hello, my printer is on fire');
  await user.getByTestId('portal-chat-send').click();

  const agent = startAgent(server.url, code, x.display);
  agents.push(agent);

  const item = tech.getByTestId('queue-item').filter({ hasText: 'Dana User' });
  await expect(item).toBeVisible();
  await expect(tech.getByTestId('agent-status').or(item)).toBeVisible();
  await item.getByTestId('queue-accept').click();
  await expect(tech.getByTestId('session-view')).toBeVisible();
  await expect(tech.getByTestId('chat-message').filter({ hasText: 'my printer is on fire' })).toBeVisible();

  // The user sees who is connected and allows viewing, then control, separately.
  await expect(user.getByTestId('portal-participants')).toContainText('Administrator (technician): connected');
  await user.getByTestId('consent-view').check();
  await expect(tech.getByTestId('consent-status')).toContainText('view: allowed');
  await expect(tech.getByTestId('consent-status')).toContainText('control: not allowed');
  await user.getByTestId('consent-control').check();
  await expect(tech.getByTestId('consent-status')).toContainText('control: allowed');
  await expect(tech.getByTestId('peer-status')).toHaveText('connected', { timeout: 30_000 });

  // The canvas shows what is really on the X display (the xterm region, pixel for pixel).
  const region = { x: 0, y: 0, w: 600, h: 380 };
  await waitFor('canvas to match the X display', async () => {
    const [screen, canvas] = await Promise.all([
      readScreen(x.display, region.x, region.y, region.w, region.h),
      canvasPixels(tech, region.x, region.y, region.w, region.h),
    ]);
    return sameRatio(screen, canvas) > 0.999;
  }, 30_000);

  // The technician clicks into the xterm and types a command; the file appears on the user's machine.
  const marker = `lifeline-${Date.now()}`;
  const file = path.join(os.tmpdir(), `${marker}.txt`);
  const at = await remoteToPage(tech, 200, 200);
  await tech.mouse.click(at.x, at.y);
  await tech.keyboard.type(`echo ${marker} > ${file}`);
  await tech.keyboard.press('Enter');
  await waitFor('the typed command to write its file', () => fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim() === marker);
  fs.rmSync(file);

  // The technician's typing shows on the canvas too (the prompt line changed on both sides identically).
  await waitFor('canvas to show the typed command', async () => {
    const [screen, canvas] = await Promise.all([readScreen(x.display, 0, 0, 600, 380), canvasPixels(tech, 0, 0, 600, 380)]);
    return sameRatio(screen, canvas) > 0.999;
  });

  // Chat both ways, shown in both UIs.
  await tech.getByTestId('chat-input').fill('Let me have a look.');
  await tech.getByTestId('chat-send').click();
  await expect(user.getByTestId('portal-chat-message').filter({ hasText: 'Let me have a look.' })).toBeVisible();
  await user.getByTestId('portal-chat-input').fill('Thank you!');
  await user.getByTestId('portal-chat-send').click();
  await expect(tech.getByTestId('chat-message').filter({ hasText: 'Thank you!' })).toBeVisible();

  // Ending the session stops the agent and tells the user.
  tech.on('dialog', (d) => void d.accept());
  await tech.getByTestId('session-end').click();
  await expect(await Promise.race([agent.exited, new Promise((r) => setTimeout(() => r('still running'), 15_000))])).toBe(0);
  await expect(user.getByTestId('portal-status')).toContainText('The session has ended');
});
