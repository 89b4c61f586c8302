import { encodeRect } from '../../../shared/channel.js';
import type { CapturedRect, Disposer, Rect, ScreenSource } from '../platform/types.js';
import { encodeRectPixels } from './encode.js';
import { mergeRects } from './regions.js';

export interface ScreenStreamerOptions {
  source: ScreenSource;
  send: (msg: Uint8Array) => void;
  /** Bytes queued on the channel; no frame is produced while it is above ~1 MiB. */
  bufferedAmount?: () => number;
  /** Most frames sent and not yet acknowledged. */
  window?: number;
}

const MAX_BUFFERED = 1 << 20;
/** The channel has no "drained" callback here, so a full buffer is looked at again after this. */
const BUFFER_RECHECK_MS = 10;
/** Dirty lists longer than this are merged as they grow, which keeps a long wait for acks cheap. */
const COMPACT_ABOVE = 64;

/**
 * Streams screen changes as encoded rectangles with ack-based pacing: at most
 * `window` frames unacknowledged; meanwhile damage accumulates and is captured
 * only when the next frame goes out, so a slow link gets fewer, fresher frames
 * instead of a growing backlog.
 */
export class ScreenStreamer {
  readonly stats = { frames: 0, bytes: 0, rects: 0 };
  private readonly source: ScreenSource;
  private readonly send: (msg: Uint8Array) => void;
  private readonly bufferedAmount: () => number;
  private readonly window: number;
  private dirty: Rect[] = [];
  private stopDamage: Disposer | null = null;
  private lastFrame = 0;
  private lastAcked = 0;
  private producing = false;
  private recheck: NodeJS.Timeout | null = null;

  constructor(opts: ScreenStreamerOptions) {
    this.source = opts.source;
    this.send = opts.send;
    this.bufferedAmount = opts.bufferedAmount ?? (() => 0);
    this.window = Math.max(1, opts.window ?? 2);
  }

  /** Subscribes to damage; the source reports the whole screen first, so the first frame is complete. */
  start(): void {
    if (this.stopDamage) return;
    // Frames of an earlier run will never be acknowledged by whoever watches now.
    this.lastAcked = this.lastFrame;
    this.stopDamage = this.source.onDamage((rects) => this.addDirty(rects));
  }

  stop(): void {
    this.stopDamage?.();
    this.stopDamage = null;
    this.dirty = [];
    if (this.recheck) clearTimeout(this.recheck);
    this.recheck = null;
  }

  /** The console painted `frame` (and, the channel being ordered, every frame before it). */
  ack(frame: number): void {
    if (frame <= this.lastAcked || frame > this.lastFrame) return;
    this.lastAcked = frame;
    this.pump();
  }

  /**
   * Sends the whole screen again. A console asks after reconnecting, having
   * lost whatever was in flight, so unacknowledged frames are written off too.
   */
  refresh(): void {
    if (!this.stopDamage) return;
    this.lastAcked = this.lastFrame;
    this.addDirty([{ x: 0, y: 0, w: this.source.width, h: this.source.height }]);
  }

  private addDirty(rects: Rect[]): void {
    this.dirty.push(...rects);
    if (this.dirty.length > COMPACT_ABOVE) this.dirty = mergeRects(this.dirty);
    this.pump();
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
    this.produce(rects, this.stopDamage)
      .catch((err) => console.error(`screen streamer: frame ${this.lastFrame + 1} (${rects.length} rects) failed:`, err))
      .finally(() => {
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

  /** `run` identifies the start() this frame belongs to: after a stop, its pixels go nowhere. */
  private async produce(rects: Rect[], run: Disposer): Promise<void> {
    const captured: CapturedRect[] = [];
    // Capture everything first, then encode: the frame shows one moment, not
    // a smear across the encoding time.
    for (const rect of rects) {
      const c = await this.source.capture(rect);
      if (c.rect.w > 0 && c.rect.h > 0) captured.push(c);
    }
    const encoded = await Promise.all(captured.map(encodeRectPixels));
    if (this.stopDamage !== run || encoded.length === 0) return;

    const frame = ++this.lastFrame;
    encoded.forEach(({ encoding, data }, i) => {
      const { x, y, w, h } = captured[i]!.rect;
      for (const msg of encodeRect({ encoding, frame, x, y, w, h }, data, i === encoded.length - 1)) {
        this.send(msg);
        this.stats.bytes += msg.length;
      }
      this.stats.rects++;
    });
    this.stats.frames++;
  }
}
