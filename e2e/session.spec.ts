/**
 * The attended session, end to end on the real parts: a fresh server and
 * database, Xvfb with an xterm, the console renderer in Chromium through the
 * web host, the user's portal in a second browser context, and the agent.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import sharp from 'sharp';
import { createCode, expectCanvasToMatchScreen, joinPortal, remoteToPage, signIn } from './console.js';
import { startAgent, startServer, startWebConsole, startXterm, startXvfb, waitFor, type LifelineServer, type Proc, type XDisplay } from './harness.js';
import { readScreen, sameRatio } from './x-screen.js';

const SCREEN = { x: 0, y: 0, w: 1920, h: 1080 };
/** The shell xterm at the top-left corner (100x30 cells of 6x13 pixels, and its borders). */
const XTERM = { x: 0, y: 0, w: 606, h: 396 };

/**
 * Solid colours in the screen's four corners, to find the picture's corners on
 * the fitted canvas: the shell xterm's white at the top-left, and an xterm with
 * nothing in it (a sleeping command, only its cursor at its own top-left) in
 * each of the others. Each point is 30 pixels in from its corner.
 */
const PROBES = [
  { at: { x: 30, y: 30 }, rgb: [255, 255, 255] },
  { at: { x: 1890, y: 30 }, rgb: [255, 0, 0], title: 'probe-red', geometry: '20x6-0+0' },
  { at: { x: 30, y: 1050 }, rgb: [0, 255, 0], title: 'probe-green', geometry: '20x6+0-0' },
  { at: { x: 1890, y: 1050 }, rgb: [0, 0, 255], title: 'probe-blue', geometry: '20x6-0-0' },
];

let x: XDisplay;
const xterms: Proc[] = [];
let server: LifelineServer;
let web: { url: string; proc: Proc };
const agents: Proc[] = [];

test.beforeAll(async () => {
  x = await startXvfb();
  xterms.push(await startXterm(x.display));
  for (const p of PROBES) {
    if (!p.title) continue;
    const colour = `#${p.rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
    xterms.push(await startXterm(x.display, p.geometry, { title: p.title, colors: { bg: colour, fg: colour }, command: ['sleep', '600'] }));
  }
  server = await startServer();
  web = await startWebConsole(server.url);
});

test.afterAll(async () => {
  for (const a of agents) await a.stop();
  await web?.proc.stop();
  await server?.stop();
  for (const t of xterms) await t.stop();
  await x?.stop();
});

/** Where the fitted canvas shows the remote picture, in page coordinates (object-fit: contain). */
async function shownPicture(page: Page) {
  return page.getByTestId('remote-canvas').evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const r = c.getBoundingClientRect();
    const scale = Math.min(r.width / c.width, r.height / c.height);
    const width = c.width * scale;
    const height = c.height * scale;
    return {
      left: r.left + (r.width - width) / 2, top: r.top + (r.height - height) / 2, width, height, scale,
      intrinsic: { w: c.width, h: c.height }, box: { width: r.width, height: r.height }, objectFit: getComputedStyle(c).objectFit,
    };
  });
}

test('a technician helps a user from a session code to a controlled screen shown whole and exact in the fitted view, with chat whose keys never reach the screen, and ending the session stops the agent', async ({ browser }) => {
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

  // The canvas holds what is really on the X display: the whole screen, pixel for pixel.
  await expectCanvasToMatchScreen(tech, x.display, SCREEN, undefined, 30_000);

  // The default view fits the whole 1920x1080 picture into the window: letterboxed, 16:9 kept, nothing cut off.
  await expect(tech.getByTestId('scale-mode')).toHaveValue('fit');
  const shown = await shownPicture(tech);
  expect(shown.intrinsic).toEqual({ w: 1920, h: 1080 });
  expect(shown.scale).toBeLessThan(1);
  // Scaled alike both ways (16:9 kept), filling the pane's width or its height, bars on the other sides.
  expect(shown.objectFit).toBe('contain');
  expect(Math.min(Math.abs(shown.width - shown.box.width), Math.abs(shown.height - shown.box.height))).toBeLessThan(1);
  const viewport = tech.viewportSize()!;
  expect(shown.left).toBeGreaterThanOrEqual(0);
  expect(shown.top).toBeGreaterThanOrEqual(0);
  expect(shown.left + shown.width).toBeLessThanOrEqual(viewport.width);
  expect(shown.top + shown.height).toBeLessThanOrEqual(viewport.height);
  // What the page shows at each corner probe, scaled down, is that corner's colour.
  const page = await sharp(await tech.screenshot()).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  for (const probe of PROBES) {
    const px = Math.round(shown.left + (probe.at.x + 0.5) * shown.scale);
    const py = Math.round(shown.top + (probe.at.y + 0.5) * shown.scale);
    for (const [dx, dy] of [[0, 0], [-3, -3], [3, 3], [-3, 3], [3, -3]]) {
      const i = ((py + dy!) * page.info.width + px + dx!) * 3;
      const rgb = [...page.data.subarray(i, i + 3)];
      expect(rgb.every((c, k) => Math.abs(c - probe.rgb[k]!) <= 8), `page pixel at ${px + dx!},${py + dy!} for remote ${JSON.stringify(probe.at)}: ${rgb.join(',')}`).toBe(true);
    }
  }

  // The technician clicks into the xterm and types a command; the file appears on the user's machine.
  const typeCommand = async (marker: string, file: string) => {
    const at = await remoteToPage(tech, 200, 200);
    await tech.mouse.click(at.x, at.y);
    await tech.keyboard.type(`echo ${marker} > ${file}`);
    await tech.keyboard.press('Enter');
  };
  const marker = `lifeline-${Date.now()}`;
  const file = path.join(os.tmpdir(), `${marker}.txt`);
  await typeCommand(marker, file);
  await waitFor('the typed command to write its file', () => fs.existsSync(file) && fs.readFileSync(file, 'utf8').trim() === marker);
  fs.rmSync(file);

  // The technician's typing shows on the canvas too: the whole screen still equals the X display.
  await expectCanvasToMatchScreen(tech, x.display, SCREEN);

  // Keys go to the remote screen only while the canvas has focus: what the technician types into the
  // chat stays in the chat, with control allowed.
  const xtermBefore = await readScreen(x.display, XTERM.x, XTERM.y, XTERM.w, XTERM.h);
  const chatMarker = `chat-only-${Date.now()}`;
  const chatFile = path.join(os.tmpdir(), `${chatMarker}.txt`);
  await tech.getByTestId('chat-input').click();
  await tech.keyboard.type(`echo ${chatMarker} > ${chatFile}`);
  await tech.keyboard.press('Enter');
  await expect(user.getByTestId('portal-chat-message').filter({ hasText: chatMarker })).toBeVisible();
  expect(sameRatio(xtermBefore, await readScreen(x.display, XTERM.x, XTERM.y, XTERM.w, XTERM.h))).toBe(1);
  // Back on the canvas, typing reaches the xterm again, on a clean command line: no key from the chat
  // went before it (the agent applies input in order), or the file would hold more than its marker.
  const back = `lifeline-back-${Date.now()}`;
  const backFile = path.join(os.tmpdir(), `${back}.txt`);
  await typeCommand(back, backFile);
  await waitFor('the command typed after the chat to write its file', () => fs.existsSync(backFile) && fs.readFileSync(backFile, 'utf8').trim());
  expect(fs.readFileSync(backFile, 'utf8').trim()).toBe(back);
  expect(fs.existsSync(chatFile)).toBe(false);
  fs.rmSync(backFile);

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
