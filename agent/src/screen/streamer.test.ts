import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeChannelMessage } from '../../../shared/channel.js';
import { LIMITS } from '../../../shared/limits.js';
import type { CapturedRect, Rect, ScreenSource, WindowMove } from '../platform/types.js';
import { openX11, type X11Backend } from '../platform/x11/index.js';
import { startXvfb, stopProcess, type Xvfb } from '../platform/x11/xvfb.js';
import { TestConsole } from '../testing/console.js';
import { ScreenStreamer, type ScreenStreamerOptions } from './streamer.js';

/** A screen in memory: paint() changes pixels and reports the damage, like X would. */
class MemoryScreen implements ScreenSource {
  readonly pixels: Buffer;
  readonly captured: Rect[] = [];
  failNext = false;
  private listener: ((rects: Rect[], moves?: readonly WindowMove[]) => void) | null = null;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.pixels = Buffer.alloc(width * height * 4, 255);
  }

  onDamage(listener: (rects: Rect[], moves?: readonly WindowMove[]) => void) {
    this.listener = listener;
    setImmediate(() => listener([{ x: 0, y: 0, w: this.width, h: this.height }]));
    return () => (this.listener = null);
  }

  async capture(rect: Rect): Promise<CapturedRect> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('capture failed');
    }
    this.captured.push(rect);
    const rgba = Buffer.alloc(rect.w * rect.h * 4);
    for (let y = 0; y < rect.h; y++) {
      const from = ((rect.y + y) * this.width + rect.x) * 4;
      this.pixels.copy(rgba, y * rect.w * 4, from, from + rect.w * 4);
    }
    return { rect, rgba };
  }

  paint(rect: Rect, colour: (x: number, y: number) => number[]) {
    this.draw(rect, colour);
    this.listener?.([rect]);
  }

  /** Changes pixels (clipped to the screen) and reports nothing yet. */
  draw(rect: Rect, colour: (x: number, y: number) => number[]) {
    for (let y = Math.max(0, rect.y); y < Math.min(this.height, rect.y + rect.h); y++) {
      for (let x = Math.max(0, rect.x); x < Math.min(this.width, rect.x + rect.w); x++) this.pixels.set([...colour(x, y), 255], (y * this.width + x) * 4);
    }
  }

  report(rects: Rect[], moves?: WindowMove[]) {
    this.listener?.(rects, moves);
  }

  async close() {}
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
/** Lets every pending capture and encode finish (nothing here takes long). */
const settle = () => new Promise((r) => setTimeout(r, 100));

function setup(opts: Partial<ScreenStreamerOptions> = {}, width = 320, height = 200) {
  const screen = new MemoryScreen(width, height);
  const viewer = new TestConsole();
  const streamer = new ScreenStreamer({ source: screen, send: viewer.receive, ...opts });
  return { screen, viewer, streamer };
}

const grey = (v: number) => () => [v, v, v];
const text = (x: number, y: number) => ((x * 7 + y * 3) % 5 < 2 ? [0, 0, 0] : [255, 255, 255]);

describe('ScreenStreamer', () => {
  let streamer: ScreenStreamer | undefined;
  afterEach(() => streamer?.stop());

  it('sends the full screen first, as frame 1, ending the frame on its last fragment', async () => {
    const s = setup();
    streamer = s.streamer;
    streamer.start();
    await until('frame 1', () => s.viewer.frames.length === 1);
    expect(s.viewer.frames[0]).toMatchObject({ frame: 1, rects: [{ x: 0, y: 0, w: 320, h: 200, encoding: 'solid', endOfFrame: true }] });
    await s.viewer.painted();
    expect(s.viewer.canvas.equals(s.screen.pixels)).toBe(true);
    expect(streamer.stats).toEqual({ frames: 1, rects: 1, copies: 0, bytes: s.viewer.bytes() });
  });

  it('palette rects share one zlib stream; a refresh starts a new one that a fresh console paints exactly', async () => {
    let to: TestConsole | null = null;
    const s = setup({ window: 8, send: (m) => to!.receive(m) });
    to = s.viewer;
    streamer = s.streamer;
    streamer.start();
    await until('frame 1', () => s.viewer.frames.length === 1);
    s.screen.paint({ x: 10, y: 10, w: 40, h: 20 }, text);
    await until('frame 2', () => s.viewer.frames.length === 2);
    s.screen.paint({ x: 100, y: 50, w: 40, h: 20 }, text);
    await until('frame 3', () => s.viewer.frames.length === 3);
    const zpal = s.viewer.frames.flatMap((f) => f.rects).filter((r) => r.encoding === 'zpal');
    expect(zpal.map((r) => r.resetStream)).toEqual([true, false]);
    await s.viewer.painted();
    expect(s.viewer.canvas.equals(s.screen.pixels)).toBe(true);

    // A console that reconnects has no inflater: what it gets after the refresh must stand on its own.
    const fresh = new TestConsole(320, 200);
    to = fresh;
    streamer.refresh();
    await until('the refresh', () => fresh.frames.length === 1);
    await fresh.painted();
    expect(fresh.frames[0]!.rects.find((r) => r.encoding === 'zpal')?.resetStream).toBe(true);
    expect(fresh.canvas.equals(s.screen.pixels)).toBe(true);
  });

  it('refreshes that land while frames are encoded never stall the stream, and the picture ends up exact', async () => {
    const s = setup();
    streamer = s.streamer;
    streamer.start();
    await until('frame 1', () => s.viewer.frames.length === 1);
    s.viewer.onPainted = (frame) => streamer!.ack(frame);
    for (let i = 0; i < 20; i++) {
      s.screen.paint({ x: (i * 13) % 280, y: (i * 7) % 180, w: 40, h: 20 }, (x, y) => text(x + i, y));
      await new Promise((r) => setTimeout(r, i % 5));
      streamer.refresh();
    }
    await until('the stream to go quiet', () => !streamer!.busy);
    await s.viewer.painted();
    expect(s.viewer.canvas.equals(s.screen.pixels)).toBe(true);
  });

  it('announces the size and the quality before the first frame', async () => {
    const s = setup();
    streamer = s.streamer;
    streamer.start();
    await until('frame 1', () => s.viewer.frames.length === 1);
    expect(s.viewer.controls).toEqual([
      { t: 'screen', width: 320, height: 200 },
      { t: 'quality-changed', mode: 'auto', effective: 'lossless', jpegQuality: 100 },
    ]);
    expect(decodeChannelMessage(s.viewer.messages[2]!).kind).toBe('rect');
  });

  it('keeps at most `window` frames unacknowledged and sends only the latest state meanwhile', async () => {
    const s = setup({ window: 2 });
    streamer = s.streamer;
    streamer.start();
    await until('frame 1', () => s.viewer.frames.length === 1);
    s.screen.paint({ x: 10, y: 10, w: 20, h: 20 }, grey(1));
    await until('frame 2', () => s.viewer.frames.length === 2);

    const capturesBefore = s.screen.captured.length;
    s.screen.paint({ x: 200, y: 100, w: 30, h: 30 }, grey(2));
    s.screen.paint({ x: 200, y: 100, w: 30, h: 30 }, text);
    await settle();
    expect(s.viewer.frames).toHaveLength(2); // window full: nothing goes out
    expect(s.screen.captured).toHaveLength(capturesBefore); // and nothing is captured yet

    streamer.ack(1);
    await until('frame 3', () => s.viewer.frames.length === 3);
    expect(s.viewer.frames[2]).toMatchObject({ frame: 3, rects: [{ x: 200, y: 100, w: 30, h: 30, encoding: 'zpal' }] });
    expect(s.screen.captured).toHaveLength(capturesBefore + 1); // painted twice, captured once
    await s.viewer.painted();
    expect(s.viewer.canvas.equals(s.screen.pixels)).toBe(true);

    streamer.ack(7); // not sent yet: ignored
    streamer.ack(2);
    streamer.ack(3);
    s.screen.paint({ x: 0, y: 0, w: 5, h: 5 }, grey(9));
    await until('frame 4', () => s.viewer.frames.length === 4);
  });

  it('waits while the channel has more than 1 MiB queued', async () => {
    let buffered = 2 << 20;
    const s = setup({ bufferedAmount: () => buffered });
    streamer = s.streamer;
    streamer.start();
    await settle();
    expect(s.viewer.frames).toHaveLength(0);
    buffered = 0;
    await until('frame 1', () => s.viewer.frames.length === 1);
  });

  it('sends the whole screen again on refresh, even with frames unacknowledged', async () => {
    const s = setup({ window: 1 });
    streamer = s.streamer;
    streamer.start();
    await until('frame 1', () => s.viewer.frames.length === 1);
    streamer.refresh();
    await until('frame 2', () => s.viewer.frames.length === 2);
    expect(s.viewer.frames[1]!.rects).toMatchObject([{ x: 0, y: 0, w: 320, h: 200 }]);
  });

  it('splits large rectangles into messages of at most 64 KiB', async () => {
    const s = setup({}, 640, 400);
    // Noise: no encoder gets 640x400 of it under 64 KiB.
    const noise = randomBytes(640 * 400 * 3);
    s.screen.paint({ x: 0, y: 0, w: 640, h: 400 }, (x, y) => [...noise.subarray((y * 640 + x) * 3, (y * 640 + x) * 3 + 3)]);
    streamer = s.streamer;
    streamer.start();
    await until('frame 1', () => s.viewer.frames.length === 1);
    expect(s.viewer.messages.length).toBeGreaterThan(1);
    for (const m of s.viewer.messages) expect(m.length).toBeLessThanOrEqual(LIMITS.channelMessageBytes);
    const ends = s.viewer.messages.map((m) => decodeChannelMessage(m)).filter((d) => d.kind === 'rect' && d.fragment.endOfFrame);
    expect(ends).toHaveLength(1);
  });

  it('sends nothing for damage that repainted the same pixels, and only the rows that changed', async () => {
    const s = setup({ window: 8 });
    s.screen.paint({ x: 0, y: 0, w: 320, h: 200 }, text);
    streamer = s.streamer;
    s.viewer.onPainted = (f) => streamer!.ack(f);
    streamer.start();
    await until('frame 1', () => s.viewer.frames.length === 1);
    s.screen.paint({ x: 0, y: 0, w: 320, h: 200 }, text);
    await settle();
    expect(s.viewer.frames).toHaveLength(1);

    // Damage over 100 rows of which two bands of 4 changed, far apart.
    const band = (x: number, y: number) => (y >= 20 && y < 24) || (y >= 90 && y < 94) ? [9, 9, 9] : text(x, y);
    s.screen.paint({ x: 0, y: 0, w: 320, h: 100 }, band);
    await until('frame 2', () => s.viewer.frames.length === 2);
    expect(s.viewer.frames[1]!.rects.map(({ x, y, w, h }) => ({ x, y, w, h }))).toEqual([
      { x: 0, y: 20, w: 320, h: 4 },
      { x: 0, y: 90, w: 320, h: 4 },
    ]);
    await s.viewer.painted();
    expect(s.viewer.canvas.equals(s.screen.pixels)).toBe(true);
  });

  it('sends content that moved up as a copy plus the new rows, pixel-exact', async () => {
    const s = setup({ window: 8 });
    // Glyph-like pixels, every row different (a repeating pattern would fit many shifts).
    const lines = (offset: number) => (x: number, y: number) =>
      ((Math.imul(x * 374761393 + (y + offset) * 668265263, 1274126177) >>> 16) & 7) < 3 ? [0, 0, 0] : [255, 255, 255];
    s.screen.paint({ x: 0, y: 0, w: 320, h: 200 }, grey(40));
    s.screen.paint({ x: 10, y: 10, w: 300, h: 180 }, lines(0));
    streamer = s.streamer;
    s.viewer.onPainted = (f) => streamer!.ack(f);
    streamer.start();
    await until('frame 1', () => s.viewer.frames.length === 1);
    await s.viewer.painted();

    // A terminal scrolls by two lines of 16 pixels.
    s.screen.paint({ x: 10, y: 10, w: 300, h: 180 }, (x, y) => lines(32)(x, y));
    await until('frame 2', () => s.viewer.frames.length === 2);
    const [copy, ...rest] = s.viewer.frames[1]!.rects;
    expect(copy).toMatchObject({ encoding: 'copy', x: 10, y: 10, w: 300, h: 148 });
    expect(rest.map(({ y, h }) => ({ y, h }))).toEqual([{ y: 158, h: 32 }]);
    expect(streamer.stats.copies).toBe(1);
    await s.viewer.painted();
    expect(s.viewer.canvas.equals(s.screen.pixels)).toBe(true);
  });

  it('streams one area of the screen in its own coordinates, and switches to another', async () => {
    const s = setup({ area: { x: 160, y: 0, w: 160, h: 200 } });
    s.screen.paint({ x: 0, y: 0, w: 160, h: 200 }, grey(10));
    s.screen.paint({ x: 160, y: 0, w: 160, h: 200 }, text);
    streamer = s.streamer;
    s.viewer.onPainted = (f) => streamer!.ack(f);
    streamer.start();
    await until('frame 1', () => s.viewer.frames.length === 1);
    await s.viewer.painted();
    expect(s.viewer.sent('screen')).toEqual([{ t: 'screen', width: 160, height: 200 }]);
    expect((await s.screen.capture({ x: 160, y: 0, w: 160, h: 200 })).rgba.equals(s.viewer.canvas)).toBe(true);

    s.screen.paint({ x: 0, y: 0, w: 50, h: 50 }, grey(99)); // outside: nothing to send
    s.screen.paint({ x: 170, y: 10, w: 5, h: 5 }, grey(77));
    await until('frame 2', () => s.viewer.frames.length === 2);
    expect(s.viewer.frames[1]!.rects).toMatchObject([{ x: 10, y: 10, w: 5, h: 5 }]);

    streamer.setArea({ x: 0, y: 0, w: 160, h: 100 });
    await until('frame 3', () => s.viewer.frames.length === 3);
    await s.viewer.painted();
    expect(s.viewer.sent('screen').at(-1)).toEqual({ t: 'screen', width: 160, height: 100 });
    expect((await s.screen.capture({ x: 0, y: 0, w: 160, h: 100 })).rgba.equals(s.viewer.canvas)).toBe(true);
  });

  it('turns the picture grey and back, sending it all again each time', async () => {
    const colourful = (x: number, y: number) => [x & 255, y & 255, (x * y) & 255];
    const s = setup({ window: 8 });
    s.screen.paint({ x: 0, y: 0, w: 320, h: 200 }, colourful);
    streamer = s.streamer;
    s.viewer.onPainted = (f) => streamer!.ack(f);
    streamer.start();
    await until('frame 1', () => s.viewer.frames.length === 1);
    streamer.setQuality('grey');
    await until('frame 2', () => s.viewer.frames.length === 2);
    await s.viewer.painted();
    expect(s.viewer.sent('quality-changed').at(-1)).toEqual({ t: 'quality-changed', mode: 'grey', effective: 'grey', jpegQuality: 30 });
    let coloured = 0;
    const c = s.viewer.canvas;
    for (let i = 0; i < c.length; i += 4) if (c[i] !== c[i + 1] || c[i] !== c[i + 2]) coloured++;
    expect(coloured).toBe(0);

    streamer.setQuality('best');
    await until('frame 3', () => s.viewer.frames.length === 3);
    await s.viewer.painted();
    expect(s.viewer.canvas.equals(s.screen.pixels)).toBe(true);
  });

  it('in auto, goes lossy when acks show a slow link and lossless again once it is fast', async () => {
    let clock = 0;
    const noise = randomBytes(320 * 200 * 3);
    const photo = (x: number, y: number) => [...noise.subarray((y * 320 + x) * 3, (y * 320 + x) * 3 + 3)];
    const s = setup({ window: 1, now: () => clock });
    s.screen.paint({ x: 0, y: 0, w: 320, h: 200 }, photo);
    streamer = s.streamer;
    streamer.start();
    /** The screen changes, a frame goes out, and its ack comes `ms` later. */
    const frameAckedAfter = async (ms: number) => {
      clock += 100; // nothing in flight meanwhile: idle time measures nothing
      const n = s.viewer.frames.length;
      noise.reverse();
      s.screen.paint({ x: 0, y: 0, w: 320, h: 200 }, photo);
      await until(`frame ${n + 1}`, () => s.viewer.frames.length === n + 1);
      clock += ms;
      streamer!.ack(n + 1);
      return s.viewer.frames[n]!.rects[0]!.encoding;
    };
    await until('frame 1', () => s.viewer.frames.length === 1);
    expect(s.viewer.frames[0]!.rects[0]!.encoding).toBe('png');
    clock += 2000; // ~190 KB in two seconds: under 100 KB/s
    streamer.ack(1);
    expect(s.viewer.sent('quality-changed').at(-1)).toMatchObject({ effective: 'jpeg', jpegQuality: 30 });
    expect(await frameAckedAfter(2000)).toBe('jpeg');
    expect(s.viewer.sent('quality-changed').at(-1)).toMatchObject({ effective: 'jpeg' });

    // Fast from now on: the better setting is taken once it held for a while.
    while (s.viewer.sent('quality-changed').at(-1)!.effective !== 'lossless') {
      expect(clock).toBeLessThan(60_000);
      await frameAckedAfter(5);
    }
    // What was lossy is sent again, exactly.
    await until('a lossless frame', () => s.viewer.frames.at(-1)!.rects[0]!.encoding === 'png');
    await s.viewer.painted();
    expect(s.viewer.canvas.equals(s.screen.pixels)).toBe(true);
  });

  it('reports a failed frame, then sends the whole picture again by itself, on a fresh zlib stream', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      let to: TestConsole | null = null;
      const s = setup({ send: (m) => to!.receive(m) });
      to = s.viewer;
      s.screen.paint({ x: 10, y: 10, w: 40, h: 20 }, text);
      s.screen.failNext = true;
      streamer = s.streamer;
      streamer.start();
      await until('the error report', () => error.mock.calls.length === 1);
      expect(String(error.mock.calls[0]![0])).toMatch(/screen streamer: frame 1/);
      // No new damage: the failed frame's is not lost.
      await until('frame 1', () => s.viewer.frames.length === 1);
      await s.viewer.painted();
      expect(s.viewer.canvas.equals(s.screen.pixels)).toBe(true);
      expect(s.viewer.frames[0]!.rects.find((r) => r.encoding === 'zpal')?.resetStream).toBe(true);
    } finally {
      error.mockRestore();
    }
  });

  it('sends nothing once stopped, and stops twice without harm', async () => {
    const s = setup();
    streamer = s.streamer;
    streamer.start();
    streamer.stop();
    streamer.stop();
    s.screen.paint({ x: 1, y: 1, w: 2, h: 2 }, grey(0));
    await settle();
    expect(s.viewer.frames).toHaveLength(0);
  });
});

/** Glyph-like pixels, every row different (a repeating pattern would fit many shifts). */
const glyphs = (seed: number) => (x: number, y: number) =>
  ((Math.imul(x * 374761393 + y * 668265263 + seed * 2246822519, 1274126177) >>> 16) & 7) < 3 ? [0, 0, 0] : [255, 255, 255];

/**
 * Windows on a MemoryScreen, stacked in list order, without a window
 * manager: moving one redraws its old and new places and reports both as
 * damage along with the move, as the X source does.
 */
class Windows {
  readonly list: { rect: Rect; seed: number }[] = [];

  constructor(
    private readonly screen: MemoryScreen,
    private readonly background: (x: number, y: number) => number[] = grey(40),
  ) {
    screen.draw({ x: 0, y: 0, w: screen.width, h: screen.height }, background);
  }

  add(rect: Rect, seed: number): number {
    this.list.push({ rect, seed });
    this.redraw(rect);
    return this.list.length - 1;
  }

  /** Content relative to the window: it travels with it. */
  private colour = (x: number, y: number) => {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const { rect: r, seed } = this.list[i]!;
      if (x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h) return glyphs(seed)(x - r.x, y - r.y);
    }
    return this.background(x, y);
  };

  redraw(rect: Rect) {
    this.screen.draw(rect, this.colour);
  }

  /** `seed` set: the window is also redrawn with other content, as an application may while it moves. */
  move(i: number, dx: number, dy: number, seed?: number): WindowMove {
    const w = this.list[i]!;
    const from = w.rect;
    const to = { ...from, x: from.x + dx, y: from.y + dy };
    w.rect = to;
    if (seed !== undefined) w.seed = seed;
    this.redraw(from);
    this.redraw(to);
    return { from, to };
  }

  raise(i: number) {
    const [w] = this.list.splice(i, 1);
    this.list.push(w!);
    this.redraw(w!.rect);
  }
}

describe('ScreenStreamer with window moves', () => {
  let streamer: ScreenStreamer | undefined;
  afterEach(() => streamer?.stop());

  async function exact(s: ReturnType<typeof setup>, area: Rect = { x: 0, y: 0, w: s.screen.width, h: s.screen.height }) {
    await settle();
    await s.viewer.painted();
    expect((await s.screen.capture(area)).rgba.equals(s.viewer.canvas)).toBe(true);
  }

  function started(opts: Partial<ScreenStreamerOptions> = {}, autoAck = true) {
    const s = setup({ window: 1, ...opts });
    const desk = new Windows(s.screen);
    streamer = s.streamer;
    if (autoAck) s.viewer.onPainted = (f) => streamer!.ack(f);
    return { ...s, desk };
  }

  it('sends a moved window as one copy plus the part it uncovered, pixel-exact', async () => {
    const s = started();
    const xterm = s.desk.add({ x: 20, y: 20, w: 80, h: 60 }, 1);
    s.streamer.start();
    await until('frame 1', () => s.viewer.frames.length === 1);
    await s.viewer.painted();

    const move = s.desk.move(xterm, 30, 25);
    s.screen.report([move.from, move.to], [move]);
    await until('frame 2', () => s.viewer.frames.length === 2);
    const [copy, ...rest] = s.viewer.frames[1]!.rects;
    expect(copy).toMatchObject({ encoding: 'copy', x: 50, y: 45, w: 80, h: 60 });
    // Only background is sent as pixels: no rect reaches into the window's new place.
    expect(rest.every((r) => r.encoding === 'solid' || r.x + r.w <= 50 || r.y + r.h <= 45)).toBe(true);
    expect(s.streamer.stats.copies).toBe(1);
    await exact(s);
  });

  it('copies from where the console last showed a window that moved several times between two frames', async () => {
    const s = started({}, false);
    const a = s.desk.add({ x: 10, y: 10, w: 60, h: 40 }, 1);
    const b = s.desk.add({ x: 200, y: 120, w: 50, h: 50 }, 2);
    s.streamer.start();
    await until('frame 1', () => s.viewer.frames.length === 1);
    await s.viewer.painted();

    // Frame 1 is not acknowledged: every move waits for the next frame.
    for (let step = 0; step < 6; step++) {
      const m = s.desk.move(a, 9, 5);
      s.screen.report([m.from, m.to], [m]);
      const n = s.desk.move(b, -7, step % 2 ? 4 : -4);
      s.screen.report([n.from, n.to], [n]);
    }
    await settle();
    expect(s.viewer.frames).toHaveLength(1);
    s.viewer.onPainted = (f) => streamer!.ack(f);
    s.streamer.ack(1);
    await until('frame 2', () => s.viewer.frames.length === 2);
    const copies = s.viewer.frames[1]!.rects.filter((r) => r.encoding === 'copy');
    expect(copies).toMatchObject([
      { x: 64, y: 40, w: 60, h: 40 },
      { x: 158, y: 120, w: 50, h: 50 },
    ]);
    await exact(s);
  });

  it('stays exact when windows overlap, one moves under another, and one moves back over its old place', async () => {
    const s = started();
    const a = s.desk.add({ x: 20, y: 20, w: 100, h: 70 }, 1);
    const b = s.desk.add({ x: 150, y: 60, w: 90, h: 80 }, 2);
    s.streamer.start();
    await until('frame 1', () => s.viewer.frames.length === 1);
    await exact(s);

    const steps: [number, number, number][] = [
      [a, 60, 20], // a slides under b (b stays on top)
      [b, -40, -10], // b moves onto its own old place, over a
      [a, 5, 3],
      [b, 100, 50], // partly off the screen
      [b, -100, -50], // and back
    ];
    for (const [w, dx, dy] of steps) {
      const m = s.desk.move(w, dx, dy);
      s.screen.report([m.from, m.to], [m]);
      await exact(s);
    }
    s.desk.raise(a);
    const m = s.desk.move(s.desk.list.length - 1, -30, 15);
    s.screen.report([m.from, m.to], [m]);
    await exact(s);
    expect(s.streamer.stats.copies).toBeGreaterThanOrEqual(4);
  });

  it('copies only the part of a move inside the streamed area, in its coordinates', async () => {
    const area = { x: 100, y: 20, w: 200, h: 160 };
    const s = started({ area });
    const w = s.desk.add({ x: 60, y: 40, w: 80, h: 60 }, 3);
    s.streamer.start();
    await until('frame 1', () => s.viewer.frames.length === 1);
    await exact(s, area);

    // From partly left of the area to inside it: the part that was outside is new to the console.
    let m = s.desk.move(w, 70, 10);
    s.screen.report([m.from, m.to], [m]);
    await until('frame 2', () => s.viewer.frames.length === 2);
    expect(s.viewer.frames[1]!.rects[0]).toMatchObject({ encoding: 'copy', x: 70, y: 30, w: 40, h: 60 });
    await exact(s, area);

    // Down, partly below the area.
    m = s.desk.move(w, 20, 90);
    s.screen.report([m.from, m.to], [m]);
    await until('frame 3', () => s.viewer.frames.length === 3);
    expect(s.viewer.frames[2]!.rects[0]).toMatchObject({ encoding: 'copy', x: 50, y: 120, w: 80, h: 40 });
    await exact(s, area);

    // Entirely out of it: nothing to copy.
    m = s.desk.move(w, 150, 0);
    s.screen.report([m.from, m.to], [m]);
    await until('frame 4', () => s.viewer.frames.length === 4);
    expect(s.viewer.frames[3]!.rects.some((r) => r.encoding === 'copy')).toBe(false);
    await exact(s, area);
  });

  it('sends the rows that changed while a window moved over its copy, and ignores a move that did not happen', async () => {
    const s = started();
    const w = s.desk.add({ x: 20, y: 20, w: 120, h: 80 }, 4);
    s.streamer.start();
    await until('frame 1', () => s.viewer.frames.length === 1);
    await exact(s);

    // Moved, and its bottom rows redrawn (a terminal printing a line).
    const m = s.desk.move(w, 40, 30);
    s.screen.draw({ x: 60, y: 50 + 64, w: 120, h: 16 }, grey(200));
    s.screen.report([m.from, m.to], [m]);
    await until('frame 2', () => s.viewer.frames.length === 2);
    expect(s.viewer.frames[1]!.rects[0]).toMatchObject({ encoding: 'copy', x: 60, y: 50, w: 120, h: 80 });
    await exact(s);

    // All of it redrawn with other content while it moved: no copy would help.
    const n = s.desk.move(w, -30, 10, 5);
    s.screen.report([n.from, n.to], [n]);
    await until('frame 3', () => s.viewer.frames.length === 3);
    expect(s.viewer.frames[2]!.rects.some((r) => r.encoding === 'copy')).toBe(false);
    await exact(s);

    // A hint about a window that is not there.
    s.screen.report([], [{ from: { x: 200, y: 100, w: 50, h: 50 }, to: { x: 10, y: 10, w: 50, h: 50 } }]);
    await settle();
    await exact(s);
  });

  it('keeps the console exact through random moves, redraws and raises with frames in flight', async () => {
    let seed = 12345;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const area = { x: 40, y: 0, w: 240, h: 180 };
    const s = started({ area, window: 2 }, false);
    for (let i = 0; i < 4; i++) s.desk.add({ x: random(260), y: random(160), w: 30 + random(60), h: 20 + random(50) }, i);
    // The console acks a little later each time, so moves pile up between frames.
    s.viewer.onPainted = (f) => setTimeout(() => streamer!.ack(f), random(6));
    s.streamer.start();
    for (let step = 0; step < 120; step++) {
      const i = random(s.desk.list.length);
      const what = random(10);
      if (what === 0) {
        s.desk.raise(i);
        s.screen.report([s.desk.list.at(-1)!.rect]);
      } else {
        const m = s.desk.move(i, random(41) - 20, random(41) - 20, what === 1 ? 100 + step : undefined);
        // Now and then the hint is dropped or duplicated.
        s.screen.report([m.from, m.to], what === 2 ? [] : what === 3 ? [m, m] : [m]);
      }
      if (random(4) === 0) await new Promise((r) => setTimeout(r, random(4)));
    }
    await until('all frames acked', () => !s.streamer.busy);
    await exact(s, area);
    expect(s.streamer.stats.copies).toBeGreaterThan(0);
  });
});

describe('ScreenStreamer on a real X server', () => {
  let xvfb: Xvfb;
  let x: X11Backend;
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-streamer-'));

  const spawnX = (cmd: string, args: string[]) => {
    const child = spawn(cmd, args, { env: { ...process.env, DISPLAY: xvfb.display, LANG: 'C.UTF-8' }, stdio: 'ignore' });
    children.push(child);
    return child;
  };

  beforeAll(async () => {
    xvfb = await startXvfb(1280, 720);
    x = await openX11(xvfb.display);
  });

  afterAll(async () => {
    await x?.close();
    await Promise.all(children.map(stopProcess));
    await xvfb?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reproduces a text screen exactly, and sends a typed character as a small frame', async () => {
    // Two terminals, one with a bitmap font (two colours), one anti-aliased
    // (hundreds), on a solid background.
    await new Promise((resolve) => spawnX('xsetroot', ['-solid', '#2e3440']).once('exit', resolve));
    const listing = (name: string) => `ls -la /usr/bin | head -60; touch ${join(dir, name)}; exec sleep 600`;
    spawnX('xterm', ['-geometry', '100x40+0+0', '-e', 'bash', '-c', listing('core')]);
    spawnX('xterm', ['-fa', 'DejaVu Sans Mono', '-fs', '10', '-bg', '#fdf6e3', '-fg', '#333333', '-geometry', '80x30+600+200', '-e', 'bash', '-c', listing('aa')]);
    await until('the terminals', () => existsSync(join(dir, 'core')) && existsSync(join(dir, 'aa')), 10_000);

    const viewer = new TestConsole();
    const streamer = new ScreenStreamer({ source: x.screen, send: viewer.receive });
    viewer.onPainted = (frame) => streamer.ack(frame);
    streamer.start();

    // The terminals may still be drawing: the console's picture must catch up
    // with the screen and then match it exactly.
    const matches = async (unlike?: Buffer) => {
      await viewer.painted();
      const screen = (await x.screen.capture({ x: 0, y: 0, w: 1280, h: 720 })).rgba;
      return screen.equals(viewer.canvas) && !(unlike && screen.equals(unlike));
    };
    await until('the console to show the screen', () => matches(), 15_000);
    expect(new Set(viewer.frames.flatMap((f) => f.rects.map((r) => r.encoding)))).not.toContain('jpeg');

    // A terminal may draw in bursts, so a match can come between two: let the
    // screen settle before telling a typed character's frames from the rest.
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const dispose = x.screen.onDamage(() => {
        clearTimeout(timer);
        timer = setTimeout(() => (dispose(), resolve()), 300);
      });
    });
    await until('the console to catch up', () => matches(), 15_000);

    const before = viewer.frames.length;
    const untyped = Buffer.from(viewer.canvas);
    await x.input.pointerMove(300, 300);
    await x.input.key(0x78, true); // 'x', echoed by the terminal
    await x.input.key(0x78, false);
    await until('the typed character', () => matches(untyped), 15_000);
    const typed = viewer.frames.slice(before).flatMap((f) => f.rects);
    expect(typed.length).toBeGreaterThan(0);
    // The character cell and the cursor moving on: a few dozen pixels, not the screen.
    for (const r of typed) expect(r.w * r.h).toBeLessThan(64 * 64);
    streamer.stop();
  });
  it('sends a scrolling terminal as copies plus new lines, and the result stays exact', async () => {
    const go = join(dir, 'go');
    const done = join(dir, 'scrolled');
    const lines = 'for i in $(seq 1 120); do echo "line $i: the quick brown fox jumps over the lazy dog $RANDOM"; sleep 0.005; done';
    spawnX('xterm', ['-geometry', '90x30+700+20', '-e', 'bash', '-c', `while [ ! -e ${go} ]; do sleep 0.02; done; ${lines}; touch ${done}; exec sleep 600`]);
    await new Promise((r) => setTimeout(r, 500));

    const viewer = new TestConsole();
    const streamer = new ScreenStreamer({ source: x.screen, send: viewer.receive });
    viewer.onPainted = (frame) => streamer.ack(frame);
    streamer.start();
    const matches = async () => {
      await viewer.painted();
      return (await x.screen.capture({ x: 0, y: 0, w: 1280, h: 720 })).rgba.equals(viewer.canvas);
    };
    await until('the console to show the screen', matches, 15_000);

    writeFileSync(go, '');
    await until('the terminal to finish', () => existsSync(done), 15_000);
    await until('the console to catch up', matches, 15_000);
    expect(streamer.stats.copies).toBeGreaterThan(0);
    expect(viewer.frames.flatMap((f) => f.rects).filter((r) => r.encoding === 'copy').every((r) => r.x >= 700)).toBe(true);
    streamer.stop();
  });
});
