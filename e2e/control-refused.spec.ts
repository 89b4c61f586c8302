/**
 * Consent is enforced by the agent: with viewing allowed and control not,
 * input from the console never reaches the X display, whatever it sends.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { createCode, expectCanvasToMatchScreen, joinPortal, remoteToPage, signIn } from './console.js';
import { startAgent, startServer, startWebConsole, startXterm, startXvfb, waitFor, type LifelineServer, type Proc, type XDisplay } from './harness.js';
import { readScreen, sameRatio } from './x-screen.js';

let x: XDisplay;
let xterm: Proc;
let server: LifelineServer;
let web: { url: string; proc: Proc };
let agent: Proc | undefined;

test.beforeAll(async () => {
  x = await startXvfb();
  xterm = await startXterm(x.display);
  server = await startServer();
  web = await startWebConsole(server.url);
});

test.afterAll(async () => {
  await agent?.stop();
  await web?.proc.stop();
  await server?.stop();
  await xterm?.stop();
  await x?.stop();
});

test('with view allowed and control refused, injected input never reaches the X display; once allowed it does, and revoking stops it again', async ({ browser }) => {
  const tech = await (await browser.newContext()).newPage();
  const user = await (await browser.newContext()).newPage();
  await signIn(tech, web.url, 'admin', server.adminPassword);
  const code = await createCode(tech);
  await joinPortal(user, server.url, code, 'Viewer Only');
  agent = startAgent(server.url, code, x.display);
  const item = tech.getByTestId('queue-item').filter({ hasText: 'Viewer Only' });
  await item.getByTestId('queue-accept').click();
  await user.getByTestId('consent-view').check();
  await expect(tech.getByTestId('peer-status')).toHaveText('connected', { timeout: 30_000 });
  await expect(tech.getByTestId('consent-status')).toContainText('control: not allowed');

  const region = { x: 0, y: 0, w: 1920, h: 1080 };
  await expectCanvasToMatchScreen(tech, x.display, region, undefined, 30_000);
  const before = await readScreen(x.display, region.x, region.y, region.w, region.h);

  const typeCommand = async (file: string) => {
    const at = await remoteToPage(tech, 200, 200);
    await tech.mouse.click(at.x, at.y);
    await tech.keyboard.type(`echo refused > ${file}`);
    await tech.keyboard.press('Enter');
  };

  const refusedFile = path.join(os.tmpdir(), `lifeline-refused-${Date.now()}.txt`);
  await typeCommand(refusedFile);
  // The agent received the input and said no: the console shows why.
  await expect(tech.getByText('The user has not allowed remote control.')).toBeVisible();
  // A round trip through the peer connection later, still nothing happened on the display.
  await new Promise((r) => setTimeout(r, 1000));
  expect(fs.existsSync(refusedFile)).toBe(false);
  expect(sameRatio(before, await readScreen(x.display, region.x, region.y, region.w, region.h))).toBe(1);

  // Once the user allows control, the same input goes through.
  await user.getByTestId('consent-control').check();
  await expect(tech.getByTestId('consent-status')).toContainText('control: allowed');
  const allowedFile = path.join(os.tmpdir(), `lifeline-allowed-${Date.now()}.txt`);
  await typeCommand(allowedFile);
  await waitFor('typed command to run', () => fs.existsSync(allowedFile));
  fs.rmSync(allowedFile);

  // Revoking control stops it again.
  await user.getByTestId('consent-control').uncheck();
  await expect(tech.getByTestId('consent-status')).toContainText('control: not allowed');
  const revokedFile = path.join(os.tmpdir(), `lifeline-revoked-${Date.now()}.txt`);
  await typeCommand(revokedFile);
  await new Promise((r) => setTimeout(r, 1500));
  expect(fs.existsSync(revokedFile)).toBe(false);
});
