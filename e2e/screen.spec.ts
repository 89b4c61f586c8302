/**
 * The remote screen as the technician sees it, against the X display's own
 * pixels: exact at 1:1 once updates are lossless, still exact after the
 * xterm scrolls, and quiet on the wire while nothing changes. One attended
 * session on Xvfb with a shell xterm, a colourful xterm and a coloured root.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import sharp from 'sharp';
import { expectCanvasToMatchScreen, remoteToPage, startAttendedSession, wireBytes, type AttendedSession } from './console.js';
import { runToEnd, startServer, startWebConsole, startXterm, startXvfb, waitFor, windowId, type LifelineServer, type Proc, type XDisplay } from './harness.js';
import { readScreen, sameRatio } from './x-screen.js';

let x: XDisplay;
const xterms: Proc[] = [];
let server: LifelineServer;
let web: { url: string; proc: Proc };
let session: AttendedSession | undefined;

/** The shell xterm, the colour xterm beside it and a strip of the root window: several colours, text and flat areas. */
const REGION = { x: 0, y: 0, w: 1000, h: 450 };
const SHELL = { x: 0, y: 0, w: 610, h: 400 };

test.beforeAll(async ({ browser }) => {
  x = await startXvfb();
  await runToEnd('xsetroot', ['-solid', '#2a6f4e'], { DISPLAY: x.display });
  xterms.push(await startXterm(x.display, '100x30+0+0', { title: 'shell' }));
  const bands = [41, 42, 43, 44, 45, 46, 47, 100, 101, 102, 103, 104, 105, 106]
    .map((c) => `printf '\\033[${c}m%-44s\\033[0m\\n' ' colour ${c}'`).join('; ');
  xterms.push(await startXterm(x.display, '46x18+640+30', {
    title: 'colours', colors: { bg: '#ffd24a', fg: '#7a1010' }, command: ['bash', '-c', `${bands}; exec cat`],
  }));
  server = await startServer();
  web = await startWebConsole(server.url);
  session = await startAttendedSession(browser, { consoleUrl: web.url, server, display: x.display, customer: 'Screen Check' });
});

test.afterAll(async () => {
  await session?.close();
  await web?.proc.stop();
  await server?.stop();
  for (const t of xterms) await t.stop();
  await x?.stop();
});

test('at 1:1 with lossless quality, a many-coloured region looks on the console exactly as on the X display', async () => {
  const { tech } = session!;
  await tech.getByTestId('quality-select').selectOption('best');
  await expect(tech.getByTestId('quality-effective')).toHaveAttribute('data-effective', 'lossless');
  await tech.getByTestId('scale-mode').selectOption('1:1');

  // What the console holds: the canvas, pixel for pixel.
  await expectCanvasToMatchScreen(tech, x.display, REGION);

  // What the technician sees: at 1:1 one canvas pixel is one CSS pixel, unscaled, so the page shows the very same pixels.
  const canvas = tech.getByTestId('remote-canvas');
  const shown = await canvas.evaluate((el) => {
    const c = el as HTMLCanvasElement;
    const r = c.getBoundingClientRect();
    let vis = { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
    for (let p = c.parentElement; p; p = p.parentElement) {
      const pr = p.getBoundingClientRect();
      vis = { left: Math.max(vis.left, pr.left), top: Math.max(vis.top, pr.top), right: Math.min(vis.right, pr.right), bottom: Math.min(vis.bottom, pr.bottom) };
    }
    return { cssWidth: r.width, cssHeight: r.height, width: c.width, height: c.height, left: r.left, top: r.top, vis, dpr: devicePixelRatio };
  });
  expect({ w: shown.cssWidth, h: shown.cssHeight }).toEqual({ w: shown.width, h: shown.height });
  expect(shown.dpr).toBe(1);
  const clip = {
    x: Math.ceil(shown.vis.left), y: Math.ceil(shown.vis.top),
    width: Math.min(REGION.w, Math.floor(shown.vis.right - Math.ceil(shown.vis.left))),
    height: Math.min(REGION.h, Math.floor(shown.vis.bottom - Math.ceil(shown.vis.top))),
  };
  // A region large enough to hold both xterms' edges must be on the page.
  expect(clip.width).toBeGreaterThan(300);
  expect(clip.height).toBeGreaterThan(200);
  const remote = { x: clip.x - shown.left, y: clip.y - shown.top };
  const png = await tech.screenshot({ clip });
  const { data } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const screen = await readScreen(x.display, remote.x, remote.y, clip.width, clip.height);
  expect(sameRatio(screen, new Uint8Array(data))).toBe(1);
});

test('after `seq 1 500` scrolls the xterm, the canvas shows the same lines as the X display', async () => {
  const { tech } = session!;
  const before = await readScreen(x.display, SHELL.x, SHELL.y, SHELL.w, SHELL.h);
  const done = path.join(os.tmpdir(), `lifeline-seq-${Date.now()}`);
  const at = await remoteToPage(tech, 200, 200);
  await tech.mouse.click(at.x, at.y);
  await tech.keyboard.type(`seq 1 500 && touch ${done}`);
  await tech.keyboard.press('Enter');
  await waitFor('seq to finish', () => fs.existsSync(done));
  fs.rmSync(done);

  const after = await readScreen(x.display, SHELL.x, SHELL.y, SHELL.w, SHELL.h);
  expect(sameRatio(before, after)).toBeLessThan(1);
  await expectCanvasToMatchScreen(tech, x.display, SHELL);
});

test('after an xterm is dragged over another and back (window moves sent as copies), the canvas matches the X display', async () => {
  const { tech } = session!;
  const colours = await windowId(x.display, 'colours');
  const moveTo = (left: number, top: number) => runToEnd('xdotool', ['windowmove', String(colours), String(left), String(top)], { DISPLAY: x.display });
  // Over the shell xterm, diagonally, then back where it was: copies whose
  // source lies partly under another window, and copies onto their own old place.
  for (let step = 1; step <= 20; step++) await moveTo(640 - step * 17, 30 + step * 6);
  await expectCanvasToMatchScreen(tech, x.display, REGION);
  for (let step = 19; step >= 0; step--) await moveTo(640 - step * 17, 30 + step * 6);
  await expectCanvasToMatchScreen(tech, x.display, REGION);
});

test('an idle session sends almost nothing: under 20 KB on the wire in 10 s', async () => {
  const { tech } = session!;
  // Nothing moves on the display; let the last updates and their acks go by first.
  await expectCanvasToMatchScreen(tech, x.display, REGION);
  await tech.waitForTimeout(2000);
  const start = await wireBytes(tech);
  await tech.waitForTimeout(10_000);
  const end = await wireBytes(tech);
  expect(end.connections).toBe(start.connections);
  expect(end.sent + end.received - (start.sent + start.received)).toBeLessThan(20_000);
});
