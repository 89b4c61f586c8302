import { endianness } from 'node:os';
import type { DamageExtension, ShmExtension, ShmSegment, XEvent } from 'x11';
import type { CapturedRect, Disposer, Rect, ScreenSource, WindowMove } from '../types.js';
import type { XConnection } from './connection.js';
import { X11WindowMoves } from './window-moves.js';

const Z_PIXMAP = 2;
const ALL_PLANES = 0xffffffff;
const TRUE_COLOR = 4;

function clipRect(r: Rect, width: number, height: number): Rect {
  const x = Math.max(0, Math.min(width, Math.floor(r.x)));
  const y = Math.max(0, Math.min(height, Math.floor(r.y)));
  const x2 = Math.max(x, Math.min(width, Math.ceil(r.x + r.w)));
  const y2 = Math.max(y, Math.min(height, Math.ceil(r.y + r.h)));
  return { x, y, w: x2 - x, h: y2 - y };
}

/**
 * Converts `count` BGRX pixels (little-endian 32-bit 0x00RRGGBB words) to RGBA
 * with alpha 255. Works on whole words: several times faster than per byte.
 */
export function bgrxToRgba(src: Uint8Array, count: number): Buffer {
  // A reply sliced out of a socket chunk may sit at an odd offset; word access needs alignment.
  const aligned = src.byteOffset % 4 === 0 ? src : new Uint8Array(src.subarray(0, count * 4));
  const from = new Uint32Array(aligned.buffer, aligned.byteOffset, count);
  const out = Buffer.allocUnsafeSlow(count * 4);
  const to = new Uint32Array(out.buffer, out.byteOffset, count);
  for (let i = 0; i < count; i++) {
    const v = from[i]!;
    to[i] = 0xff000000 | ((v & 0xff) << 16) | (v & 0xff00) | ((v >>> 16) & 0xff);
  }
  return out;
}

/** Throws unless the root window is 24-bit TrueColor in 32-bit little-endian words (what bgrxToRgba reads). */
function checkPixelFormat(conn: XConnection): void {
  const { display, screen } = conn;
  const visual = screen.depths[String(screen.root_depth)]?.[String(screen.root_visual)];
  const bpp = display.format[String(screen.root_depth)]?.bits_per_pixel;
  const ok =
    visual?.class === TRUE_COLOR && visual.red_mask === 0xff0000 && visual.green_mask === 0xff00 && visual.blue_mask === 0xff &&
    bpp === 32 && display.image_byte_order === 0 && endianness() === 'LE';
  if (!ok) {
    throw new Error(
      `unsupported X pixel format on ${conn.name}: depth ${screen.root_depth}, ${bpp} bits per pixel, ` +
        `byte order ${display.image_byte_order}; only 24-bit TrueColor in 32-bit LSB-first pixels is supported`,
    );
  }
}

export class X11Screen implements ScreenSource {
  private readonly root: number;
  private readonly listeners = new Set<(rects: Rect[], moves?: readonly WindowMove[]) => void>();
  private damage: { id: number; stopEvents: () => void; moves: X11WindowMoves; ready: boolean } | null = null;
  private batch: Rect[] = [];
  /** Moves since the last flush, which go out with the damage they caused. */
  private moves: WindowMove[] = [];
  private flushScheduled = false;
  // One capture at a time: they all land in the same shared segment.
  private captureChain: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly conn: XConnection,
    private readonly damageExt: DamageExtension,
    private segment: ShmSegment | null,
  ) {
    this.root = conn.screen.root;
  }

  /** Follows RandR resizes (X11Layout keeps the connection's numbers current). */
  get width(): number {
    return this.conn.screen.pixel_width;
  }

  get height(): number {
    return this.conn.screen.pixel_height;
  }

  static async create(conn: XConnection): Promise<X11Screen> {
    checkPixelFormat(conn);
    const damage = await conn.request<DamageExtension>('DAMAGE extension', (cb) => conn.X.require('damage', cb));
    const { pixel_width: w, pixel_height: h } = conn.screen;
    return new X11Screen(conn, damage, await openSegment(conn, w * h * 4));
  }

  /** Whether captures go through MIT-SHM (false: plain GetImage over the socket). */
  get sharedMemory(): boolean {
    return this.segment !== null;
  }

  onDamage(listener: (rects: Rect[], moves?: readonly WindowMove[]) => void): Disposer {
    if (this.closed) throw new Error('screen source is closed');
    const wrapped = (rects: Rect[], moves?: readonly WindowMove[]) => listener(rects, moves);
    this.listeners.add(wrapped);
    // A new viewer knows nothing yet: its first report is everything (sent
    // by startDamage once ready, for viewers that arrive during its setup).
    if (!this.damage) this.startDamage();
    else if (this.damage.ready) setImmediate(() => this.deliver(wrapped, [this.whole()]));
    let disposed = false;
    return () => {
      if (disposed) return;
      disposed = true;
      this.listeners.delete(wrapped);
      if (this.listeners.size === 0) this.stopDamage();
    };
  }

  capture(rect: Rect): Promise<CapturedRect> {
    const r = clipRect(rect, this.width, this.height);
    return this.chain(async () => {
      if (r.w === 0 || r.h === 0) return { rect: r, rgba: Buffer.alloc(0) };
      return { rect: r, rgba: bgrxToRgba(await this.readPixels(r), r.w * r.h) };
    });
  }

  /** BGRX, copied out of the shared segment (the next capture overwrites it). */
  captureInto(rect: Rect, into: Buffer): Promise<CapturedRect> {
    const r = clipRect(rect, this.width, this.height);
    const n = r.w * r.h * 4;
    if (into.length < n) return Promise.reject(new RangeError(`${into.length} bytes cannot hold a ${r.w}x${r.h} capture`));
    return this.chain(async () => {
      if (n > 0) into.set((await this.readPixels(r)).subarray(0, n));
      return { rect: r, rgba: into.subarray(0, n), order: 'bgrx' };
    });
  }

  /** One capture at a time: they all land in the same shared segment. */
  private chain(run: () => Promise<CapturedRect>): Promise<CapturedRect> {
    const result = this.captureChain.then(run, run);
    this.captureChain = result.catch(() => {});
    return result;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.stopDamage();
    await this.captureChain;
    if (this.segment && !this.conn.closed) await new Promise<void>((resolve) => this.segment!.detach(resolve));
  }

  private async readPixels(r: Rect): Promise<Uint8Array> {
    const { conn, root } = this;
    if (this.segment && this.segment.buffer.length < r.w * r.h * 4) {
      // The screen grew (a monitor was plugged in) beyond the segment made for it.
      const old = this.segment;
      this.segment = await openSegment(conn, this.width * this.height * 4);
      old.detach();
    }
    const segment = this.segment;
    if (segment) {
      const rep = await conn.request<{ size: number }>('MIT-SHM GetImage', (cb) =>
        segment.getImage(root, r.x, r.y, r.w, r.h, ALL_PLANES, Z_PIXMAP, 0, cb),
      );
      return segment.buffer.subarray(0, rep.size);
    }
    const img = await conn.request<{ data: Buffer }>('GetImage', (cb) =>
      conn.X.GetImage(Z_PIXMAP, root, r.x, r.y, r.w, r.h, ALL_PLANES, cb),
    );
    return img.data;
  }

  private whole(): Rect {
    return { x: 0, y: 0, w: this.width, h: this.height };
  }

  private startDamage(): void {
    const id = this.conn.X.AllocID();
    // DeltaRectangles: rectangles, but none for areas already reported and not
    // yet subtracted, so a busy screen does not flood the connection.
    this.damageExt.Create(id, this.root, this.damageExt.ReportLevel.DeltaRectangles);
    // The server reports the whole window as damaged on creation, and nothing
    // more until that is subtracted.
    this.damageExt.Subtract(id, 0, 0);
    const stopEvents = this.conn.onEvent((ev: XEvent) => {
      if (ev.name !== 'DamageNotify' || ev.damage !== id) return;
      this.batch.push(ev.area as Rect);
      this.scheduleFlush();
    });
    const moves = new X11WindowMoves(this.conn, (move) => {
      this.moves.push(move);
      this.scheduleFlush();
    });
    const damage = { id, stopEvents, moves, ready: false };
    this.damage = damage;
    // After a round trip, the events caused by the creation are in. One
    // full-screen report replaces them (and whatever was drawn meanwhile):
    // otherwise a second full frame would follow the first.
    this.conn.request<void>('DAMAGE setup', (cb) => this.conn.X.sync(cb)).then(
      () => {
        if (this.damage !== damage) return;
        damage.ready = true;
        this.batch = [];
        this.moves = [];
        // The events dropped here left their areas in the damage region, and
        // DeltaRectangles says nothing more about an area until it is
        // subtracted: on a screen drawn all over (a scrolling terminal) no
        // event would ever come again. The whole-screen report covers them.
        this.damageExt.Subtract(id, 0, 0);
        for (const listener of this.listeners) this.deliver(listener, [this.whole()]);
      },
      (err) => console.error('x11 screen: damage reporting did not start:', err),
    );
  }

  private stopDamage(): void {
    if (!this.damage) return;
    this.damage.stopEvents();
    this.damage.moves.stop();
    if (!this.conn.closed) this.damageExt.Destroy(this.damage.id);
    this.damage = null;
    this.batch = [];
    this.moves = [];
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    if (!this.damage?.ready) return;
    if (this.batch.length === 0 && this.moves.length === 0) return;
    const rects = this.batch;
    const moves = this.moves;
    this.batch = [];
    this.moves = [];
    // Subtract before anyone can react: a capture requested by a listener is
    // then processed after it, so a change it misses is reported again.
    if (rects.length > 0) this.damageExt.Subtract(this.damage.id, 0, 0);
    for (const listener of this.listeners) this.deliver(listener, rects, moves.length > 0 ? moves : undefined);
  }

  private deliver(listener: (rects: Rect[], moves?: readonly WindowMove[]) => void, rects: Rect[], moves?: readonly WindowMove[]): void {
    if (!this.listeners.has(listener)) return;
    try {
      listener(rects, moves);
    } catch (err) {
      console.error('x11 screen: damage listener failed:', err);
    }
  }
}

/** A shared segment for captures, or null when MIT-SHM is not usable (remote display, no /dev/shm...). */
async function openSegment(conn: XConnection, size: number): Promise<ShmSegment | null> {
  try {
    const shm = await conn.request<ShmExtension>('MIT-SHM extension', (cb) => conn.X.require('shm', cb));
    if (!(await conn.request<boolean>('MIT-SHM probe', (cb) => shm.usable(cb)))) throw new Error('no shared segment attaches');
    return await conn.request<ShmSegment>('MIT-SHM segment', (cb) => shm.createSegment(size, cb));
  } catch (err) {
    // Works without, only slower (every frame crosses the socket): worth a word in the log.
    console.warn(`x11 screen: MIT-SHM not usable on ${conn.name} (${(err as Error).message}); capturing over the socket`);
    return null;
  }
}
