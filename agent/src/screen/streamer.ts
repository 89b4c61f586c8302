import { encodeControl, encodeRect, type ControlMessage, type QualityMode } from '../../../shared/channel.js';
import type { CapturedRect, Disposer, Rect, ScreenSource } from '../platform/types.js';
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
/** Dirty lists longer than this are merged as they grow, which keeps a long wait for acks cheap. */
const COMPACT_ABOVE = 64;

function intersect(a: Rect, b: Rect): Rect | null {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const x2 = Math.min(a.x + a.w, b.x + b.w);
  const y2 = Math.min(a.y + a.h, b.y + b.h);
  return x2 > x && y2 > y ? { x, y, w: x2 - x, h: y2 - y } : null;
}

/** A run of a captured rect's rows to encode. */
type Piece = CapturedRect;

/**
 * Streams changes of one area of the screen as encoded rectangles, in the
 * area's coordinates, with ack-based pacing: at most `window` frames
 * unacknowledged; meanwhile damage accumulates and is captured only when the
 * next frame goes out, so a slow link gets fewer, fresher frames instead of a
 * growing backlog.
 *
 * It keeps a copy of the pixels the console was sent (the shadow). Damage
 * that repainted identical pixels sends nothing, and a region whose content
 * moved vertically goes as one `copy` rectangle plus the rows that are new.
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
    this.stopDamage = this.source.onDamage((rects) => this.addDirty(rects));
  }

  stop(): void {
    this.run++;
    this.stopDamage?.();
    this.stopDamage = null;
    this.dirty = [];
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
  private addDirty(rects: Rect[]): void {
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
    // From here on, new damage belongs to the next frame.
    this.dirty = [];
    this.producing = true;
    const run = this.run;
    this.produce(rects, run)
      .catch((err: unknown) => {
        // A stop, refresh or area change replaced the stream under this frame, which is dropped anyway.
        if (err instanceof DisposedError) return;
        console.error(`screen streamer: frame ${this.lastFrame + 1} (${rects.length} rects) failed:`, err);
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
  private async produce(rects: Rect[], run: number): Promise<void> {
    const into = this.source.captureInto ? this.takeSpare(rects.reduce((n, r) => n + r.w * r.h * 4, 0)) : null;
    try {
      await this.produceInto(rects, run, into);
    } finally {
      if (into) this.spare = into;
    }
  }

  private takeSpare(bytes: number): Buffer {
    const spare = this.spare;
    this.spare = null;
    return spare && spare.length >= bytes ? spare : Buffer.allocUnsafeSlow(bytes);
  }

  private async produceInto(rects: Rect[], run: number, into: Buffer | null): Promise<void> {
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
    let copy: (Rect & { srcY: number }) | null = null;
    const pieces: Piece[] = [];
    for (const c of captured) {
      const plan: RowPlan = compare ? this.plan(c, copy === null) : { copy: null, send: [{ y0: 0, y1: c.rect.h }] };
      if (plan.copy) copy = { x: c.rect.x, y: c.rect.y + plan.copy.y, w: c.rect.w, h: plan.copy.rows, srcY: c.rect.y + plan.copy.srcY };
      const stride = c.rect.w * 4;
      for (const { y0, y1 } of plan.send) {
        pieces.push({ rect: { ...c.rect, y: c.rect.y + y0, h: y1 - y0 }, rgba: c.rgba.subarray(y0 * stride, y1 * stride), order: c.order });
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
    if (encoded.length === 0 && !copy) return;
    if (setting.effective !== 'lossless') this.lossyShown = true;
    this.sendFrame(copy, pieces, encoded);
  }

  private plan(c: CapturedRect, allowCopy: boolean): RowPlan {
    const { x, y, w, h } = c.rect;
    const stride = this.area.w * 4;
    const before = (row: number) => this.shadow.subarray((y + row) * stride + x * 4, (y + row) * stride + (x + w) * 4);
    const after = (row: number) => c.rgba.subarray(row * w * 4, (row + 1) * w * 4);
    return planRows(before, after, h, allowCopy && this.copyRects);
  }

  private remember({ rect, rgba }: CapturedRect): void {
    const stride = this.area.w * 4;
    for (let row = 0; row < rect.h; row++) {
      rgba.copy(this.shadow, (rect.y + row) * stride + rect.x * 4, row * rect.w * 4, (row + 1) * rect.w * 4);
    }
  }

  /** The copy goes first: it moves what the console showed before this frame. */
  private sendFrame(copy: (Rect & { srcY: number }) | null, pieces: Piece[], encoded: EncodedRect[]): void {
    const frame = ++this.lastFrame;
    const out: { rect: Rect; encoded: EncodedRect }[] = pieces.map((p, i) => ({ rect: p.rect, encoded: encoded[i]! }));
    if (copy) {
      const data = new Uint8Array(4);
      const v = new DataView(data.buffer);
      v.setUint16(0, copy.x, true);
      v.setUint16(2, copy.srcY, true);
      out.unshift({ rect: copy, encoded: { encoding: 'copy', data } });
      this.stats.copies++;
    }
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
