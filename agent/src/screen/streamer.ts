import { encodeControl, encodeRect, type ControlMessage, type QualityMode } from '../../../shared/channel.js';
import type { CapturedRect, Disposer, Rect, ScreenSource, WindowMove } from '../platform/types.js';
import { planRows, type RowPlan } from './diff.js';
import { encodeRectPixels, type EncodedRect } from './encode.js';
import { QualityControl } from './quality.js';
import { mergeRects } from './regions.js';
import { DeflateStream, DisposedError } from './zstream.js';

export interface ScreenStreamerOptions {
  source: ScreenSource;
  send: (msg: Uint8Array) => void;
  /** Bytes queued on the channel; no frame is produced while it is above ~1 MiB. */
  bufferedAmount?: () => number;
  /** Most frames sent and not yet acknowledged. */
  window?: number;
  /** The part of the screen to stream (a monitor); default: all of it. */
  area?: Rect;
  quality?: QualityMode;
  /** Off: every changed row goes as pixels, never as a copy (for comparisons). */
  copyRects?: boolean;
  /** Milliseconds, for the link meter (tests pass their own clock). */
  now?: () => number;
  /** Off: palette rects go as PNG, not through the session's zlib stream (zpal). */
  zpal?: boolean;
}

const MAX_BUFFERED = 1 << 20;
/** The channel has no "drained" callback here, so a full buffer is looked at again after this. */
const BUFFER_RECHECK_MS = 10;
/**
 * Damage that would start a frame at once waits this long for the rest of
 * what the application draws in one go (xterm draws a typed character, then
 * the cursor after it): one frame instead of two, which saves a packet, an
 * ack and the acknowledgements of both on the wire.
 */
const SETTLE_MS = 2;
/** After a frame failed, the whole area is sent again this much later. */
const FAILED_FRAME_RETRY_MS = 250;
/** Dirty lists longer than this are merged as they grow, which keeps a long wait for acks cheap. */
const COMPACT_ABOVE = 64;
/** Unrelated window moves kept for one frame at most; beyond, they go as pixels. */
const MAX_MOVES = 16;

function intersect(a: Rect, b: Rect): Rect | null {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.w, b.x + b.w);
  const y2 = Math.min(a.y + a.h, b.y + b.h);
  return x2 > x && y2 > y ? { x, y, w: x2 - x, h: y2 - y } : null;
}

/** A run of a captured rect's rows to encode. */
type Piece = CapturedRect;

/** `a` without `b`: up to four rects. */
function subtract(a: Rect, b: Rect): Rect[] {
  const i = intersect(a, b);
  if (!i) return [a];
  const out: Rect[] = [];
  if (i.y > a.y) out.push({ x: a.x, y: a.y, w: a.w, h: i.y - a.y });
  if (i.y + i.h < a.y + a.h) out.push({ x: a.x, y: i.y + i.h, w: a.w, h: a.y + a.h - i.y - i.h });
  if (i.x > a.x) out.push({ x: a.x, y: i.y, w: i.x - a.x, h: i.h });
  if (i.x + i.w < a.x + a.w) out.push({ x: i.x + i.w, y: i.y, w: a.x + a.w - i.x - i.w, h: i.h });
  return out;
}

/** `rect` cut into the places of the copies inside it and the rest, none overlapping. */
function split(rect: Rect, copies: readonly Copy[]): Rect[] {
  let parts = [rect];
  for (const { rect: dst } of copies) {
    if (!intersect(rect, dst)) continue;
    parts = [...parts.flatMap((p) => subtract(p, dst)), intersect(rect, dst)!];
  }
  return parts;
}

/** The pixels of `r`, a part of the captured `c`: a view when it spans whole rows of `c`, else a copy. */
function cut(c: CapturedRect, r: Rect): Piece {
  const stride = c.rect.w * 4;
  const at = (r.y - c.rect.y) * stride + (r.x - c.rect.x) * 4;
  if (r.x === c.rect.x && r.w === c.rect.w) return { rect: r, rgba: c.rgba.subarray(at, at + r.h * stride), order: c.order };
  const rgba = Buffer.allocUnsafe(r.w * r.h * 4);
  for (let row = 0; row < r.h; row++) c.rgba.copy(rgba, row * r.w * 4, at + row * stride, at + row * stride + r.w * 4);
  return { rect: r, rgba, order: c.order };
}

/** A copy on the console: `rect` becomes what the console showed at (srcX, srcY) just before. */
interface Copy {
  rect: Rect;
  srcX: number;
  srcY: number;
}

const sameRect = (a: Rect, b: Rect): boolean => a.x === b.x && a.y === b.y && a.w === b.w && a.h === b.h;

/**
 * Streams changes of one area of the screen as encoded rectangles, in the
 * area's coordinates, with ack-based pacing: at most `window` frames
 * unacknowledged; meanwhile damage accumulates and is captured only when the
 * next frame goes out, so a slow link gets fewer, fresher frames instead of a
 * growing backlog.
 *
 * It keeps a copy of the pixels the console was sent (the shadow). Damage
 * that repainted identical pixels sends nothing, a region whose content
 * moved vertically goes as one `copy` rectangle plus the rows that are new,
 * and a window the source reports moved goes as a copy from its old place
 * plus what it uncovered.
 * The shadow is in the source's pixel order (BGRX from X: nothing converts
 * what only gets compared). It holds true pixels even where the console got JPEG: comparing
 * against them says what changed; copying moves whatever the console shows.
 */
export class ScreenStreamer {
  readonly stats = { frames: 0, bytes: 0, rects: 0, copies: 0 };
  private readonly source: ScreenSource;
  private readonly send: (msg: Uint8Array) => void;
  private readonly bufferedAmount: () => number;
  private readonly window: number;
  private readonly copyRects: boolean;
  private readonly now: () => number;
  private readonly quality: QualityControl;
  private area: Rect;
  private announced = '';
  private dirty: Rect[] = [];
  /** Window moves since the last frame, in the area's coordinates, unclipped; in order. */
  private moves: WindowMove[] = [];
  private stopDamage: Disposer | null = null;
  /** Bumped by stop and area changes: a frame produced under an older run sends nothing. */
  private run = 0;
  private lastFrame = 0;
  private lastAcked = 0;
  private producing = false;
  private recheck: NodeJS.Timeout | null = null;
  private settling: NodeJS.Timeout | null = null;
  private shadow: Buffer;
  /** The shadow is only worth comparing against once a whole-area frame filled it... */
  private shadowValid = false;
  /** ...and not after something made the console's picture unknown (bumps this). */
  private shadowEpoch = 0;
  /** Part of the console's picture is lossy or grey: going lossless sends it all again. */
  private lossyShown = false;
  private readonly zpal: boolean;
  /** Palette rects go through it; replaced whenever the console may have lost its picture, and its inflater with it. */
  private zstream: DeflateStream | null = null;
  /**
   * Where frames are captured (with a source that captures into a buffer),
   * kept from frame to frame: a full screen is 8 MB, whose allocation and
   * collection every frame cost more than encoding it. A frame takes it while
   * it is produced; one produced meanwhile (after an area change) gets its own.
   */
  private spare: Buffer | null = null;

  constructor(opts: ScreenStreamerOptions) {
    this.source = opts.source;
    this.send = opts.send;
    this.bufferedAmount = opts.bufferedAmount ?? (() => 0);
    this.window = Math.max(1, opts.window ?? 2);
    this.copyRects = opts.copyRects ?? true;
    this.now = opts.now ?? (() => performance.now());
    this.zpal = opts.zpal ?? true;
    this.quality = new QualityControl(opts.quality);
    this.area = opts.area ?? { x: 0, y: 0, w: opts.source.width, h: opts.source.height };
    this.shadow = Buffer.alloc(this.area.w * this.area.h * 4);
  }

  /**
   * Announces the area's size and the quality, then subscribes to damage; the
   * source reports the whole screen first, so the first frame is complete.
   */
  start(): void {
    if (this.stopDamage) return;
    // Frames of an earlier run will never be acknowledged by whoever watches now.
    this.writeOff();
    this.newStream();
    this.invalidateShadow();
    this.sendControl({ t: 'screen', width: this.area.w, height: this.area.h });
    this.announceQuality(true);
    this.stopDamage = this.source.onDamage((rects, moves) => this.addDirty(rects, moves));
  }

  stop(): void {
    this.run++;
    this.stopDamage?.();
    this.stopDamage = null;
    this.dirty = [];
    this.moves = [];
    this.producing = false;
    if (this.recheck) clearTimeout(this.recheck);
    this.recheck = null;
    if (this.settling) clearTimeout(this.settling);
    this.settling = null;
    this.zstream?.dispose();
    this.zstream = null;
  }

  /** A frame is being produced, waits to go, or has not been acknowledged yet. */
  get busy(): boolean {
    return this.producing || this.dirty.length > 0 || this.lastFrame > this.lastAcked;
  }

  /**
   * The console painted `frame` (and, the channel being ordered, every frame
   * before it), `heldMs` before it sent the ack along with other messages.
   */
  ack(frame: number, heldMs = 0): void {
    if (frame <= this.lastAcked || frame > this.lastFrame) return;
    this.lastAcked = frame;
    this.quality.link.acked(frame, this.now() - heldMs);
    this.announceQuality(false);
    this.pump();
  }

  /**
   * Sends the whole area again. A console asks after reconnecting, having
   * lost whatever was in flight, so unacknowledged frames are written off too.
   */
  refresh(): void {
    if (!this.stopDamage) return;
    this.writeOff();
    // The console lost what was in flight, so its inflater cannot follow the old stream.
    this.newStream();
    this.resendAll();
  }

  /** Streams another part of the screen from now on: its size first, then all of it. */
  setArea(area: Rect): void {
    const same = area.x === this.area.x && area.y === this.area.y && area.w === this.area.w && area.h === this.area.h;
    if (same) return;
    this.area = { ...area };
    this.shadow = Buffer.alloc(area.w * area.h * 4);
    this.run++;
    if (!this.stopDamage) return;
    this.newStream();
    this.dirty = [];
    this.moves = [];
    this.producing = false;
    this.sendControl({ t: 'screen', width: area.w, height: area.h });
    this.resendAll();
  }

  setQuality(mode: QualityMode): void {
    const before = this.quality.current(this.now());
    this.quality.mode = mode;
    const after = this.quality.current(this.now());
    if (!this.stopDamage) return;
    // Grey to colour and back changes every pixel (going lossless resends what was lossy, below).
    if ((before.effective === 'grey') !== (after.effective === 'grey')) this.resendAll();
    this.announceQuality(false);
  }

  /** A frame encoded into the old stream and not sent yet is dropped (produce checks). */
  private newStream(): void {
    this.zstream?.dispose();
    this.zstream = this.zpal ? new DeflateStream() : null;
  }

  private writeOff(): void {
    this.lastAcked = this.lastFrame;
    this.quality.link.forget();
  }

  private invalidateShadow(): void {
    this.shadowValid = false;
    this.shadowEpoch++;
  }

  private resendAll(): void {
    this.invalidateShadow();
    this.moves = [];
    this.addDirty([{ x: this.area.x, y: this.area.y, w: this.area.w, h: this.area.h }]);
  }

  /** Tells the console the mode and setting once either changes; going lossless also sends what was lossy again. */
  private announceQuality(force: boolean): void {
    const { mode } = this.quality;
    const setting = this.quality.current(this.now());
    const key = `${mode} ${setting.effective} ${setting.jpegQuality}`;
    if (!force && key === this.announced) return;
    this.announced = key;
    this.sendControl({ t: 'quality-changed', mode, effective: setting.effective, jpegQuality: setting.jpegQuality });
    if (setting.effective === 'lossless' && this.lossyShown && this.stopDamage) this.resendAll();
  }

  private sendControl(msg: ControlMessage): void {
    const bytes = encodeControl(msg);
    this.send(bytes);
    this.stats.bytes += bytes.length;
  }

  /** Takes damage in screen coordinates; keeps what falls in the area, in the area's coordinates. */
  private addDirty(rects: Rect[], moves: readonly WindowMove[] = []): void {
    if (moves.length > 0) rects = [...rects, ...this.addMoves(moves)];
    for (const r of rects) {
      const inside = intersect(r, this.area);
      if (inside) this.dirty.push({ ...inside, x: inside.x - this.area.x, y: inside.y - this.area.y });
    }
    if (this.dirty.length > COMPACT_ABOVE) this.dirty = mergeRects(this.dirty);
    // While a frame is produced, its end pumps: damage meanwhile has had time to gather.
    if (this.producing || this.settling) return;
    this.settling = setTimeout(() => {
      this.settling = null;
      this.pump();
    }, SETTLE_MS);
  }

  /**
   * Keeps moves for the next frame, and returns the places they touch, which
   * that frame must capture: a copy only lands where the frame compares the
   * result with the screen. A window moved again continues its pending move,
   * so the frame copies from where the console last showed it.
   */
  private addMoves(moves: readonly WindowMove[]): Rect[] {
    const touched: Rect[] = [];
    const { x: ax, y: ay } = this.area;
    for (const m of moves) {
      touched.push(m.from, m.to);
      const from = { ...m.from, x: m.from.x - ax, y: m.from.y - ay };
      const to = { ...m.to, x: m.to.x - ax, y: m.to.y - ay };
      let i = this.moves.length - 1;
      while (i >= 0 && !sameRect(this.moves[i]!.to, from)) i--;
      const pending = i >= 0 ? this.moves.splice(i, 1)[0]! : null;
      const net = { from: pending ? pending.from : from, to };
      if (!sameRect(net.from, net.to)) this.moves.push(net);
    }
    // Too many to follow (windows shuffled around): their damage covers them anyway.
    if (this.moves.length > MAX_MOVES) this.moves = [];
    return touched;
  }

  private pump(): void {
    if (!this.stopDamage || this.producing || this.dirty.length === 0) return;
    if (this.lastFrame - this.lastAcked >= this.window) return; // the next ack pumps again
    if (this.queuedBytes() > MAX_BUFFERED) {
      this.recheck ??= setTimeout(() => {
        this.recheck = null;
        this.pump();
      }, BUFFER_RECHECK_MS);
      return;
    }
    const rects = mergeRects(this.dirty);
    const moves = this.moves;
    // From here on, new damage belongs to the next frame.
    this.dirty = [];
    this.moves = [];
    this.producing = true;
    const run = this.run;
    this.produce(rects, moves, run)
      .catch((err: unknown) => {
        // A stop, refresh or area change replaced the stream under this frame, which is dropped anyway.
        if (err instanceof DisposedError) return;
        console.error(`screen streamer: frame ${this.lastFrame + 1} (${rects.length} rects) failed:`, err);
        // Some of its pieces may have gone into the zlib stream, and its copies into the shadow, without
        // reaching the console, and its damage is spent: start the console's picture over, as a refresh does.
        // After a pause, so a frame that keeps failing does not spin.
        setTimeout(() => {
          if (run === this.run && this.stopDamage) this.refresh();
        }, FAILED_FRAME_RETRY_MS);
      })
      .finally(() => {
        if (run !== this.run) return; // setArea already let the next run start
        this.producing = false;
        this.pump();
      });
  }

  private queuedBytes(): number {
    try {
      return this.bufferedAmount();
    } catch (err) {
      // A closing channel may throw here; sending will tell the same story, once.
      console.error('screen streamer: bufferedAmount() failed:', err);
      return 0;
    }
  }

  /** `run` identifies the start() and area this frame belongs to: after a change, its pixels go nowhere. */
  private async produce(rects: Rect[], moves: WindowMove[], run: number): Promise<void> {
    const into = this.source.captureInto ? this.takeSpare(rects.reduce((n, r) => n + r.w * r.h * 4, 0)) : null;
    try {
      await this.produceInto(rects, moves, run, into);
    } finally {
      if (into) this.spare = into;
    }
  }

  private takeSpare(bytes: number): Buffer {
    const spare = this.spare;
    this.spare = null;
    return spare && spare.length >= bytes ? spare : Buffer.allocUnsafeSlow(bytes);
  }

  private async produceInto(rects: Rect[], moves: WindowMove[], run: number, into: Buffer | null): Promise<void> {
    const area = this.area;
    const captured: CapturedRect[] = [];
    // Capture everything first, then encode: the frame shows one moment, not
    // a smear across the encoding time.
    let used = 0;
    for (const rect of rects) {
      const r = { ...rect, x: rect.x + area.x, y: rect.y + area.y };
      const c = into && this.source.captureInto ? await this.source.captureInto(r, into.subarray(used)) : await this.source.capture(r);
      if (run !== this.run) return;
      used += c.rgba.length;
      if (c.rect.w > 0 && c.rect.h > 0) captured.push({ rect: { ...c.rect, x: c.rect.x - area.x, y: c.rect.y - area.y }, rgba: c.rgba, order: c.order });
    }
    const epoch = this.shadowEpoch;
    const compare = this.shadowValid;
    // Moved windows first, each applied to the shadow as the console will
    // apply it: the rows planned below are compared with the picture after
    // the copies. (A frame dropped after this is always followed by a resend
    // of everything, so the shadow changed for nothing does no harm.)
    const moved: Copy[] = compare && this.copyRects ? this.moveCopies(moves, captured) : [];
    const copies = [...moved];
    let scrolled = false;
    const pieces: Piece[] = [];
    for (const c of captured) {
      // A moved window's place is planned apart from the rest of its rect: its rows are whole rows of their own.
      for (const r of split(c.rect, moved)) {
        const plan: RowPlan = compare ? this.plan(c, r, !scrolled) : { copy: null, send: [{ y0: 0, y1: r.h }] };
        if (plan.copy) {
          copies.push({ rect: { x: r.x, y: r.y + plan.copy.y, w: r.w, h: plan.copy.rows }, srcX: r.x, srcY: r.y + plan.copy.srcY });
          scrolled = true;
        }
        for (const { y0, y1 } of plan.send) pieces.push(cut(c, { ...r, y: r.y + y0, h: y1 - y0 }));
      }
    }
    const setting = this.quality.current(this.now());
    const zstream = this.zstream;
    const encoded = await Promise.all(pieces.map((p) => encodeRectPixels(p, setting, zstream ?? undefined)));
    if (run !== this.run) return;
    // A refresh started a new stream meanwhile (and asked for the whole area): these rects belong to the old one.
    if (zstream !== this.zstream) return;
    for (const c of captured) this.remember(c);
    const whole = captured.some((c) => c.rect.w === area.w && c.rect.h === area.h);
    if (whole && epoch === this.shadowEpoch) {
      this.shadowValid = true;
      if (setting.effective === 'lossless') this.lossyShown = false;
    }
    if (encoded.length === 0 && copies.length === 0) return;
    if (setting.effective !== 'lossless') this.lossyShown = true;
    this.sendFrame(copies, pieces, encoded);
  }

  /**
   * The moves worth a copy, applied to the shadow in order. A move's pixels
   * are compared in full, row by row: what the window shows now at its new
   * place against what the console shows at its old one. A copy goes when
   * any row matches: the rows that do not (another window on top, a line
   * printed meanwhile) are sent over it as pixels, as they would be without
   * it, and the copy costs a few bytes. It lands only within one captured
   * rect, so the rows planned after it check every pixel it wrote.
   */
  private moveCopies(moves: WindowMove[], captured: CapturedRect[]): Copy[] {
    const copies: Copy[] = [];
    const stride = this.area.w * 4;
    const whole = { x: 0, y: 0, w: this.area.w, h: this.area.h };
    for (const { from, to } of moves) {
      const dx = to.x - from.x;
      const dy = to.y - from.y;
      const src = intersect(from, whole);
      const visible = intersect(to, whole);
      // What lands inside the area of what was inside it: the rest is new to the console.
      const dst = src && visible && intersect(visible, { ...src, x: src.x + dx, y: src.y + dy });
      if (!dst) continue;
      const c = captured.find(({ rect: r }) => dst.x >= r.x && dst.y >= r.y && dst.x + dst.w <= r.x + r.w && dst.y + dst.h <= r.y + r.h);
      if (!c) continue;
      const cStride = c.rect.w * 4;
      let matching = 0;
      for (let row = 0; row < dst.h; row++) {
        const at = (dst.y + row - c.rect.y) * cStride + (dst.x - c.rect.x) * 4;
        const was = (dst.y - dy + row) * stride + (dst.x - dx) * 4;
        if (c.rgba.subarray(at, at + dst.w * 4).equals(this.shadow.subarray(was, was + dst.w * 4))) matching++;
      }
      if (matching === 0) continue;
      const copy = { rect: dst, srcX: dst.x - dx, srcY: dst.y - dy };
      this.copyInShadow(copy);
      copies.push(copy);
    }
    return copies;
  }

  /** Source and destination may overlap: the source is read whole first, as the console does. */
  private copyInShadow({ rect, srcX, srcY }: Copy): void {
    const stride = this.area.w * 4;
    const rowBytes = rect.w * 4;
    const pixels = Buffer.allocUnsafe(rowBytes * rect.h);
    for (let row = 0; row < rect.h; row++) this.shadow.copy(pixels, row * rowBytes, (srcY + row) * stride + srcX * 4, (srcY + row) * stride + srcX * 4 + rowBytes);
    for (let row = 0; row < rect.h; row++) pixels.copy(this.shadow, (rect.y + row) * stride + rect.x * 4, row * rowBytes, (row + 1) * rowBytes);
  }

  /** Plans `r`, a part of the captured `c`. */
  private plan(c: CapturedRect, r: Rect, allowCopy: boolean): RowPlan {
    const { x, y, w, h } = r;
    const stride = this.area.w * 4;
    const before = (row: number) => this.shadow.subarray((y + row) * stride + x * 4, (y + row) * stride + (x + w) * 4);
    const at = ((y - c.rect.y) * c.rect.w + (x - c.rect.x)) * 4;
    const after = (row: number) => c.rgba.subarray(at + row * c.rect.w * 4, at + row * c.rect.w * 4 + w * 4);
    return planRows(before, after, h, allowCopy && this.copyRects);
  }

  private remember({ rect, rgba }: CapturedRect): void {
    const stride = this.area.w * 4;
    for (let row = 0; row < rect.h; row++) {
      rgba.copy(this.shadow, (rect.y + row) * stride + rect.x * 4, row * rect.w * 4, (row + 1) * rect.w * 4);
    }
  }

  /** Copies go first, in order: each moves what the console shows after the ones before it. */
  private sendFrame(copies: Copy[], pieces: Piece[], encoded: EncodedRect[]): void {
    const frame = ++this.lastFrame;
    const out: { rect: Rect; encoded: EncodedRect }[] = copies.map(({ rect, srcX, srcY }) => {
      const data = new Uint8Array(4);
      const v = new DataView(data.buffer);
      v.setUint16(0, srcX, true);
      v.setUint16(2, srcY, true);
      return { rect, encoded: { encoding: 'copy', data } };
    });
    this.stats.copies += copies.length;
    out.push(...pieces.map((p, i) => ({ rect: p.rect, encoded: encoded[i]! })));
    let bytes = 0;
    out.forEach(({ rect: { x, y, w, h }, encoded: { encoding, data, resetStream } }, i) => {
      for (const msg of encodeRect({ encoding, frame, x, y, w, h, resetStream }, data, i === out.length - 1)) {
        this.send(msg);
        bytes += msg.length;
      }
      this.stats.rects++;
    });
    this.stats.bytes += bytes;
    this.stats.frames++;
    this.quality.link.sent(frame, bytes, this.now());
  }
}
