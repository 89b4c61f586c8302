import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Layout, MonitorInfo } from '../types.js';
import { openX11 } from './index.js';
import { normalizeMonitors } from './layout.js';
import { startXvfb } from './xvfb.js';

const run = promisify(execFile);

const mon = (id: string, x: number, y: number, width: number, height: number, primary = false): MonitorInfo => ({ id, name: id, x, y, width, height, primary });

describe('normalizeMonitors', () => {
  it('lists monitors left to right', () => {
    expect(normalizeMonitors([mon('B', 1920, 0, 1920, 1080), mon('A', 0, 0, 1920, 1080)], 3840, 1080).map((m) => m.id)).toEqual(['A', 'B']);
  });

  it('leaves out a monitor covering the whole screen beside others (Xvfb output next to --setmonitor ones)', () => {
    const out = normalizeMonitors([mon('screen', 0, 0, 3840, 1080), mon('L', 0, 0, 1920, 1080), mon('R', 1920, 0, 1920, 1080)], 3840, 1080);
    expect(out.map((m) => m.id)).toEqual(['L', 'R']);
  });

  it('keeps a single monitor, and makes one of the screen when there is none', () => {
    expect(normalizeMonitors([mon('screen', 0, 0, 1280, 720)], 1280, 720).map((m) => m.id)).toEqual(['screen']);
    expect(normalizeMonitors([], 1280, 720)).toEqual([mon('screen', 0, 0, 1280, 720, true)].map((m) => ({ ...m, name: 'Screen' })));
  });

  it('clips monitors to the screen, drops those outside it, and mirrored ones once (the primary)', () => {
    const out = normalizeMonitors(
      [mon('A', -100, 0, 1000, 800), mon('far', 5000, 0, 100, 100), mon('M1', 800, 0, 800, 600), mon('M2', 800, 0, 800, 600, true)],
      1200,
      700,
    );
    expect(out).toEqual([mon('A', 0, 0, 900, 700), mon('M2', 800, 0, 400, 600, true)]);
  });
});

describe('X11 layout on a real X server', () => {
  it('follows a resized screen: size, monitors, capture and the change report', async () => {
    const xvfb = await startXvfb(1280, 720);
    const x = await openX11(xvfb.display);
    try {
      expect(await x.layout.query()).toEqual({ width: 1280, height: 720, monitors: [expect.objectContaining({ x: 0, y: 0, width: 1280, height: 720 })] });
      const changes: Layout[] = [];
      x.layout.onChange((l) => changes.push(l));
      // Xvfb shrinks its screen but cannot shrink its fixed output to match: xrandr reports that and fails.
      await run('xrandr', ['--fb', '1024x600'], { env: { ...process.env, DISPLAY: xvfb.display } }).catch(() => undefined);
      const deadline = Date.now() + 5000;
      while (changes.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(changes.at(-1)).toMatchObject({ width: 1024, height: 600 });
      expect([x.screen.width, x.screen.height]).toEqual([1024, 600]);
      expect((await x.screen.capture({ x: 0, y: 0, w: 1280, h: 720 })).rect).toEqual({ x: 0, y: 0, w: 1024, h: 600 });
    } finally {
      await x.close();
      await xvfb.stop();
    }
  });
});
