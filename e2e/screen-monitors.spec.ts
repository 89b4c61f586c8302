/**
 * A user with two monitors: one 3840x1080 X screen split by RandR into
 * `left` and `right` (what a dual-head desktop looks like to X clients), a
 * white xterm on the left half and a blue one on the right.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { canvasPixels, expectCanvasToMatchScreen, remoteToPage, startAttendedSession, wireBytes, type AttendedSession } from './console.js';
import { runToEnd, startServer, startWebConsole, startXterm, startXvfb, waitFor, type LifelineServer, type Proc, type XDisplay } from './harness.js';
import { readScreen, sameRatio } from './x-screen.js';

let x: XDisplay;
const xterms: Proc[] = [];
let server: LifelineServer;
let web: { url: string; proc: Proc };
let session: AttendedSession | undefined;

test.beforeAll(async ({ browser }) => {
  x = await startXvfb(['3840x1080x24']);
  for (const [name, geometry] of [['left', '1920/508x1080/286+0+0'], ['right', '1920/508x1080/286+1920+0']]) {
    await runToEnd('xrandr', ['--setmonitor', name!, geometry!, 'none'], { DISPLAY: x.display });
  }
  xterms.push(await startXterm(x.display, '100x30+0+0', { title: 'left-shell' }));
  xterms.push(await startXterm(x.display, '100x30+1920+0', { title: 'right-shell', colors: { bg: '#1f4f99', fg: '#ffffff' } }));
  server = await startServer();
  web = await startWebConsole(server.url);
  session = await startAttendedSession(browser, { consoleUrl: web.url, server, display: x.display, customer: 'Two Monitors' });
});

test.afterAll(async () => {
  await session?.close();
  await web?.proc.stop();
  await server?.stop();
  for (const t of xterms) await t.stop();
  await x?.stop();
});

/** The option for the right-hand monitor: by its RandR name, or else the second 1920x1080 monitor listed. */
async function secondMonitor(select: Locator): Promise<string> {
  const options = await select.locator('option').evaluateAll((os) => os.map((o) => ({ value: (o as HTMLOptionElement).value, label: o.textContent ?? '' })));
  const byName = options.find((o) => /right/i.test(o.label) || /right/i.test(o.value));
  const halves = options.filter((o) => o.value !== 'all' && /1920\s*[×x]\s*1080/.test(o.label));
  const choice = byName ?? halves[1];
  if (!choice) throw new Error(`no second monitor among ${JSON.stringify(options)}`);
  return choice.value;
}

const canvasSize = (page: Page) =>
  page.getByTestId('remote-canvas').evaluate((el) => `${(el as HTMLCanvasElement).width}x${(el as HTMLCanvasElement).height}`);

test('choosing the right monitor streams just that half, input lands on it, and choosing all monitors again keeps the same session', async () => {
  const { tech, agent } = session!;
  const region = { x: 0, y: 0, w: 900, h: 500 };
  await expect.poll(() => canvasSize(tech)).toBe('3840x1080');
  await expectCanvasToMatchScreen(tech, x.display, { x: 1800, y: 0, w: 400, h: 400 });
  const connectionsBefore = (await wireBytes(tech)).connections;

  const select = tech.getByTestId('monitor-select');
  await expect(select.locator('option[value=all]')).toHaveCount(1);
  await select.selectOption(await secondMonitor(select));
  await expect.poll(() => canvasSize(tech)).toBe('1920x1080');
  // The canvas is the right half of the X screen, not the left one.
  await expectCanvasToMatchScreen(tech, x.display, region, { x: 1920, y: 0 });
  const left = await readScreen(x.display, region.x, region.y, region.w, region.h);
  expect(sameRatio(left, await canvasPixels(tech, region.x, region.y, region.w, region.h))).toBeLessThan(0.5);

  // Clicking the canvas clicks the right monitor: the command runs in the right-hand xterm.
  const marker = path.join(os.tmpdir(), `lifeline-right-${Date.now()}`);
  const at = await remoteToPage(tech, 300, 200);
  await tech.mouse.click(at.x, at.y);
  await tech.keyboard.type(`echo right > ${marker}`);
  await tech.keyboard.press('Enter');
  await waitFor('the command typed on the right monitor to run', () => fs.existsSync(marker));
  fs.rmSync(marker);
  await expectCanvasToMatchScreen(tech, x.display, region, { x: 1920, y: 0 });

  await select.selectOption('all');
  await expect.poll(() => canvasSize(tech)).toBe('3840x1080');
  await expectCanvasToMatchScreen(tech, x.display, { x: 1800, y: 0, w: 400, h: 400 });

  // Same session throughout: no new peer connection, the agent never restarted.
  expect((await wireBytes(tech)).connections).toBe(connectionsBefore);
  await expect(tech.getByTestId('peer-status')).toHaveText('connected');
  expect(agent.child.exitCode).toBeNull();
});
