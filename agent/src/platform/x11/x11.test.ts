import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { keysymForCodePoint } from '../../../../shared/keysyms.js';
import type { Rect, WindowMove } from '../types.js';
import { XConnection } from './connection.js';
import { openX11, type X11Backend } from './index.js';
import { X11Screen } from './screen.js';
import { startXvfb, stopProcess, type Xvfb } from './xvfb.js';

const run = promisify(execFile);
const RETURN = 0xff0d;
const SHIFT_L = 0xffe1;

/** Resolves once `check` returns something truthy, looking again every 20 ms. */
async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Requests the backend does not use, so its typings leave them out. */
interface DrawingRequests {
  AllocID(): number;
  CreateWindow(wid: number, parent: number, x: number, y: number, w: number, h: number, ...rest: unknown[]): void;
  MapWindow(wid: number): void;
  ChangeWindowAttributes(wid: number, values: object): void;
  ClearArea(wid: number, x: number, y: number, w: number, h: number, exposures: number): void;
  MoveWindow(wid: number, x: number, y: number): void;
  ResizeWindow(wid: number, w: number, h: number): void;
  DestroyWindow(wid: number): void;
}

const intersects = (a: Rect, b: Rect) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe('X11 backend on a real X server', () => {
  let xvfb: Xvfb;
  let x: X11Backend;
  let probe: XConnection; // a second client, to look at the server from outside
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-x11-'));

  const spawnX = (cmd: string, args: string[]) => {
    const child = spawn(cmd, args, { env: { ...process.env, DISPLAY: xvfb.display, LANG: 'C.UTF-8' }, stdio: 'ignore' });
    children.push(child);
    return child;
  };
  const xsetroot = (colour: string) => run('xsetroot', ['-solid', colour], { env: { ...process.env, DISPLAY: xvfb.display } });

  beforeAll(async () => {
    xvfb = await startXvfb(1280, 720);
    x = await openX11(xvfb.display);
    probe = await XConnection.open(xvfb.display);
  });

  afterAll(async () => {
    await x?.close();
    await probe?.close();
    await Promise.all(children.map(stopProcess));
    await xvfb?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails with a clear error when the display is not there', async () => {
    await expect(openX11(':4999')).rejects.toThrow(/cannot connect to X display :4999/);
  });

  it('fails pending and later requests when the server goes away', async () => {
    const doomed = await startXvfb(320, 200);
    const backend = await openX11(doomed.display);
    const capture = backend.screen.capture({ x: 0, y: 0, w: 320, h: 200 });
    const stopped = doomed.stop();
    await capture.catch(() => {}); // may still have made it
    await stopped;
    await expect(backend.screen.capture({ x: 0, y: 0, w: 1, h: 1 })).rejects.toThrow(/lost/);
    await expect(backend.input.pointerMove(1, 1)).rejects.toThrow(/lost/);
    await backend.close();
  });

  it('captures exact pixels as RGBA through MIT-SHM, clipped to the screen', async () => {
    expect(x.screen.width).toBe(1280);
    expect(x.screen.height).toBe(720);
    expect(x.screen.sharedMemory).toBe(true);
    await xsetroot('#123456');

    const { rect, rgba } = await x.screen.capture({ x: 1270, y: 700, w: 50, h: 50 });
    expect(rect).toEqual({ x: 1270, y: 700, w: 10, h: 20 });
    expect(rgba.length).toBe(10 * 20 * 4);
    for (let i = 0; i < rgba.length; i += 4) expect([...rgba.subarray(i, i + 4)]).toEqual([0x12, 0x34, 0x56, 255]);

    const whole = await x.screen.capture({ x: 0, y: 0, w: 1280, h: 720 });
    expect(whole.rgba.length).toBe(1280 * 720 * 4);
    expect([...whole.rgba.subarray(0, 4)]).toEqual([0x12, 0x34, 0x56, 255]);
  });

  it('keeps reporting after subscribing while a terminal scrolls nonstop (what was drawn before the first report is subtracted)', async () => {
    const flood = spawnX('xterm', ['-geometry', '120x40+0+0', '-e', 'yes', 'the quick brown fox jumps over the lazy dog '.repeat(3)]);
    try {
      // Each subscription starts reporting anew; without the subtraction about half of them never reported again.
      for (let i = 0; i < 6; i++) {
        let reports = 0;
        const dispose = x.screen.onDamage(() => reports++);
        await waitFor(`reports after subscription ${i + 1}`, () => reports >= 3, 5000);
        dispose();
      }
    } finally {
      flood.kill();
    }
  });

  it('captures into a given buffer in the server\'s BGRX order, clipped, and refuses a buffer too small', async () => {
    await xsetroot('#123456');
    const into = Buffer.alloc(50 * 50 * 4 + 8, 0xee);
    const { rect, rgba, order } = await x.screen.captureInto!({ x: 1270, y: 700, w: 50, h: 50 }, into);
    expect([rect, order]).toEqual([{ x: 1270, y: 700, w: 10, h: 20 }, 'bgrx']);
    expect(rgba.buffer).toBe(into.buffer);
    expect(rgba.length).toBe(10 * 20 * 4);
    for (let i = 0; i < rgba.length; i += 4) expect([...rgba.subarray(i, i + 3)]).toEqual([0x56, 0x34, 0x12]);
    expect(into[rgba.length]).toBe(0xee);
    await expect(x.screen.captureInto!({ x: 0, y: 0, w: 10, h: 10 }, Buffer.alloc(399))).rejects.toThrow(RangeError);
  });

  it('reports the whole screen first, then changed regions, again and again', async () => {
    const reports: Rect[][] = [];
    const dispose = x.screen.onDamage((rects) => reports.push(rects));
    await waitFor('the first report', () => reports.length > 0);
    expect(reports[0]).toEqual([{ x: 0, y: 0, w: 1280, h: 720 }]);

    // A small window of our own: its area must be reported when it appears,
    // and again when it is repainted (so reporting re-arms).
    const X = probe.X as unknown as DrawingRequests;
    const area = { x: 200, y: 150, w: 40, h: 30 };
    const wid = X.AllocID();
    X.CreateWindow(wid, probe.screen.root, area.x, area.y, area.w, area.h, 0, 0, 0, 0, { backgroundPixel: 0xff0000 });
    X.MapWindow(wid);
    await waitFor('damage where the window appeared', () => reports.slice(1).some((b) => b.some((r) => intersects(r, area))));
    expect(reports.slice(1).flat()).not.toContainEqual({ x: 0, y: 0, w: 1280, h: 720 }); // one full report, not two

    const seen = reports.length;
    X.ChangeWindowAttributes(wid, { backgroundPixel: 0x00ff00 });
    X.ClearArea(wid, 0, 0, 0, 0, 0);
    await waitFor('damage where the window was repainted', () => reports.slice(seen).some((b) => b.some((r) => intersects(r, area))));
    const pixel = await x.screen.capture({ x: area.x + 1, y: area.y + 1, w: 1, h: 1 });
    expect([...pixel.rgba]).toEqual([0, 255, 0, 255]);

    dispose();
    dispose();
    X.DestroyWindow(wid);
  });

  it('reports a top-level window moved without changing size as a move, along with damage at both places', async () => {
    const X = probe.X as unknown as DrawingRequests;
    const root = probe.screen.root;
    // One window exists before anyone watches (found by listing), one appears after (seen being created).
    const older = X.AllocID();
    X.CreateWindow(older, root, 100, 100, 50, 40, 2, 0, 0, 0, { backgroundPixel: 0x0000ff });
    X.MapWindow(older);
    await probe.request<void>('sync', (cb) => probe.X.sync(cb));
    const moves: WindowMove[] = [];
    const damage: Rect[] = [];
    const dispose = x.screen.onDamage((rects, m) => {
      damage.push(...rects);
      moves.push(...(m ?? []));
    });
    await waitFor('the first report', () => damage.length > 0);
    const newer = X.AllocID();
    X.CreateWindow(newer, root, 400, 300, 30, 20, 0, 0, 0, 0, { backgroundPixel: 0xffff00 });
    X.MapWindow(newer);

    // The listing may still be under way: move until a move is seen.
    let left = 100;
    await waitFor('a move of the older window', () => {
      left += 10;
      X.MoveWindow(older, left, 130);
      return moves.length > 0;
    });
    // Borders included: 50x40 with 2 pixels on every side.
    const seen = moves[0]!;
    expect(seen.from).toMatchObject({ w: 54, h: 44 });
    expect(seen.to).toEqual({ x: seen.from.x + 10, y: 130, w: 54, h: 44 });

    X.ResizeWindow(newer, 60, 20); // a resize is not a move
    X.MoveWindow(newer, 380, 310);
    const ofNewer = () => moves.filter((m) => m.from.w === 60 || m.from.w === 30);
    await waitFor('a move of the newer window', () => ofNewer().length > 0);
    expect(ofNewer()).toEqual([{ from: { x: 400, y: 300, w: 60, h: 20 }, to: { x: 380, y: 310, w: 60, h: 20 } }]);
    await waitFor('damage at its new place', () => damage.some((r) => intersects(r, { x: 380, y: 310, w: 60, h: 20 })));

    dispose();
    X.DestroyWindow(older);
    X.DestroyWindow(newer);
  });

  it('types into a real xterm after a click, shifted and unmapped characters included', async () => {
    const ready = join(dir, 'ready');
    const out = join(dir, 'typed');
    spawnX('xterm', ['-geometry', '80x24+0+0', '-e', 'bash', '--norc', '--noprofile', '-c', `touch ${ready}; exec bash --norc --noprofile`]);
    await waitFor('xterm to start its shell', () => existsSync(ready));

    const unique = `HeLLo_${randomBytes(4).toString('hex')}-é`;
    await x.input.pointerMove(200, 150);
    await x.input.button(1, true);
    await x.input.button(1, false);
    // Away from the xterm: with no window manager, keys still go there only
    // because the click gave it the focus.
    await x.input.pointerMove(1000, 600);
    for (const ch of `echo ${unique} > ${out}`) {
      const keysym = keysymForCodePoint(ch.codePointAt(0)!);
      await x.input.key(keysym, true);
      await x.input.key(keysym, false);
    }
    await x.input.key(RETURN, true);
    await x.input.key(RETURN, false);
    await waitFor('the shell to write the file', () => existsSync(out) && readFileSync(out, 'utf8') === `${unique}\n`);
  });

  it('types by keysym whatever the layout: under a German keyboard map, y/z, AltGr and umlaut characters land as sent', async () => {
    const env = { ...process.env, DISPLAY: xvfb.display };
    await run('setxkbmap', ['de'], { env });
    // As a user's machine would be: the layout is set before the agent starts.
    const agent = await openX11(xvfb.display);
    try {
      const ready = join(dir, 'ready-de');
      const out = join(dir, 'typed-de');
      spawnX('xterm', ['-geometry', '80x24+600+0', '-e', 'bash', '--norc', '--noprofile', '-c', `touch ${ready}; exec bash --norc --noprofile`]);
      await waitFor('xterm to start its shell', () => existsSync(ready));
      const unique = `yZ@{}[]|~\\ßöÄ€_${randomBytes(4).toString('hex')}`;
      await agent.input.pointerMove(800, 150);
      await agent.input.button(1, true);
      await agent.input.button(1, false);
      for (const ch of `echo '${unique}' > ${out}`) {
        const keysym = keysymForCodePoint(ch.codePointAt(0)!);
        await agent.input.key(keysym, true);
        await agent.input.key(keysym, false);
      }
      await agent.input.key(RETURN, true);
      await agent.input.key(RETURN, false);
      await waitFor('the shell to write the file', () => existsSync(out) && readFileSync(out, 'utf8') === `${unique}\n`);
    } finally {
      await agent.close();
      await run('setxkbmap', ['us'], { env });
    }
  });

  it('captures the same pixels over the socket when MIT-SHM is off', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const conn = await XConnection.open(xvfb.display, { sharedMemory: false });
    try {
      const plain = await X11Screen.create(conn);
      expect(plain.sharedMemory).toBe(false);
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/MIT-SHM not usable/));
      const rect = { x: 3, y: 5, w: 333, h: 77 }; // over the xterm's text
      const [viaSocket, viaShm] = await Promise.all([plain.capture(rect), x.screen.capture(rect)]);
      expect(viaSocket.rgba.equals(viaShm.rgba)).toBe(true);
      await plain.close();
    } finally {
      warn.mockRestore();
      await conn.close();
    }
  });

  it('releases exactly what it holds, and gives borrowed keycodes back on close', async () => {
    await x.input.key(SHIFT_L, true);
    await x.input.button(3, true);
    const { X } = probe;
    const state = () => probe.request<{ keyMask: number }>('QueryPointer', (cb) => X.QueryPointer(probe.screen.root, cb));
    const SHIFT_MASK = 1;
    const BUTTON3_MASK = 0x400;
    // Another connection: the server may answer it before it has run the fake input.
    const held = async () => (await state()).keyMask & (SHIFT_MASK | BUTTON3_MASK);
    await waitFor('Shift and button 3 down', async () => (await held()) === (SHIFT_MASK | BUTTON3_MASK));
    await x.input.releaseAll();
    await waitFor('everything up', async () => (await held()) === 0);

    await x.input.close();
    const { min_keycode: min, max_keycode: max } = probe.display;
    const rows = await probe.request<number[][]>('GetKeyboardMapping', (cb) => X.GetKeyboardMapping(min, max - min + 1, cb));
    expect(rows.some((row) => row.includes(keysymForCodePoint('é'.codePointAt(0)!)))).toBe(false);
  });
});
