/**
 * Paints the agent's screen rectangles, straight from the data channel
 * (never through the store).
 *
 * Image rects decode concurrently (off the main thread, see decoder.ts) but
 * are painted strictly in arrival order: every rect, resize, solid fill and
 * copy takes a place in one queue, and the queue is drained from its head as
 * far as the entries are ready. So a small rect that decodes fast never lands
 * under an older big one, a `copy` reads exactly the pixels the rects before
 * it left, and a resize (which clears the canvas) never overtakes rects that
 * came before it.
 * Once the rect that ends a frame is painted, the frame is acknowledged: that
 * ack is what lets the agent send more, so a slow console gets fewer frames,
 * never a growing backlog.
 */
import { RectAssembler, type RectFragment, type RectHeader } from '../../../../shared/channel.js';
import type { Size } from './geometry.js';
import type { ZpalRect } from './zpal.js';

export interface Closable {
  close(): void;
}

/** Decodes an encoded image; resolves to something the surface can draw. zpal rects come in arrival order. */
export interface BitmapDecoder<B extends Closable> {
  decode(mime: string, data: Uint8Array, zpal?: ZpalRect): Promise<B>;
}

/** Where the pixels go: the visible canvas (canvas-surface.ts), or a recorder in tests. */
export interface PaintSurface<B> {
  resize(width: number, height: number): void;
  drawBitmap(bitmap: B, x: number, y: number): void;
  fill(rgba: readonly [number, number, number, number], x: number, y: number, w: number, h: number): void;
  /** Copies the w x h pixels currently at (srcX, srcY) to (x, y). */
  copy(srcX: number, srcY: number, x: number, y: number, w: number, h: number): void;
}

const MIME = { png: 'image/png', jpeg: 'image/jpeg', zpal: 'application/x-lifeline-zpal' } as const;

interface Entry {
  ready: boolean;
  /** Applies the entry to the surface; runs once, in queue order. */
  paint(): void;
  /** Set on the rect that ends a frame; `epoch` is the peer it came from; `bytes` its rects' encoded size. */
  frameEnd?: { frame: number; epoch: number; bytes: number };
  /** Frees what a dropped entry holds. */
  discard?(): void;
}

export interface ScreenPainterOptions<B extends Closable> {
  surface: PaintSurface<B>;
  decoder: BitmapDecoder<B>;
  /** The frame's last rect has been painted; its rects were `bytes` long, encoded. */
  onFrameDone(frame: number, bytes: number): void;
  log?: Pick<Console, 'warn'>;
}

export class ScreenPainter<B extends Closable> {
  private readonly surface: PaintSurface<B>;
  private readonly log: Pick<Console, 'warn'>;
  private assembler = new RectAssembler();
  private readonly queue: Entry[] = [];
  /** Bumped for every new peer: acks for an old peer's frames must not reach the new one. */
  private epoch = 0;
  private disposed = false;
  private remote: Size | null = null;
  private painted = 0;
  /** Encoded bytes of the frame being received so far. */
  private frameBytes = 0;

  constructor(private readonly options: ScreenPainterOptions<B>) {
    this.surface = options.surface;
    this.log = options.log ?? console;
  }

  /** The streamed area's size once the agent has announced it (input maps through it). */
  get remoteSize(): Size | null {
    return this.remote;
  }

  /** Frames painted so far (for the frame-rate display). */
  get framesPainted(): number {
    return this.painted;
  }

  /** A new peer connection starts: half-received rects and unacked frames belong to the old one. */
  restart(): void {
    this.epoch++;
    this.assembler = new RectAssembler();
    this.frameBytes = 0;
  }

  resize(width: number, height: number): void {
    this.remote = { width, height };
    this.enqueue({ ready: true, paint: () => this.surface.resize(width, height) });
  }

  fragment(f: RectFragment): void {
    let rect: { header: RectHeader; data: Uint8Array } | null;
    try {
      rect = this.assembler.push(f);
    } catch (e) {
      this.log.warn('[screen] dropped a rect fragment', e);
      return;
    }
    if (rect) this.rect(rect.header, rect.data);
  }

  dispose(): void {
    this.disposed = true;
    this.epoch++;
    for (const entry of this.queue.splice(0)) entry.discard?.();
  }

  private rect(h: RectHeader, data: Uint8Array): void {
    this.frameBytes += data.length;
    const frameEnd = h.endOfFrame ? { frame: h.frame, epoch: this.epoch, bytes: this.frameBytes } : undefined;
    if (h.endOfFrame) this.frameBytes = 0;
    const immediate = (paint: () => void) => this.enqueue({ ready: true, paint, frameEnd });
    // Nothing is decoded for a rect outside the announced screen: its size is what a decoder would allocate.
    const screen = this.remote;
    if (!screen || h.x + h.w > screen.width || h.y + h.h > screen.height) {
      return immediate(() => this.log.warn(`[screen] dropped a ${h.w}x${h.h} rect at ${h.x},${h.y}: outside the ${screen ? `${screen.width}x${screen.height}` : 'unannounced'} screen`));
    }

    switch (h.encoding) {
      case 'solid': {
        if (data.length !== 4) return immediate(() => this.log.warn(`[screen] solid rect carries ${data.length} bytes, not 4`));
        const rgba = [data[0]!, data[1]!, data[2]!, data[3]!] as const;
        return immediate(() => this.surface.fill(rgba, h.x, h.y, h.w, h.h));
      }
      case 'copy': {
        if (data.length !== 4) return immediate(() => this.log.warn(`[screen] copy rect carries ${data.length} bytes, not 4`));
        const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
        const srcX = v.getUint16(0, true);
        const srcY = v.getUint16(2, true);
        return immediate(() => this.surface.copy(srcX, srcY, h.x, h.y, h.w, h.h));
      }
      case 'png':
      case 'jpeg':
      case 'zpal': {
        let bitmap: B | null = null;
        const entry: Entry = {
          ready: false,
          frameEnd,
          paint: () => {
            const b = bitmap;
            bitmap = null;
            if (!b) return;
            try {
              this.surface.drawBitmap(b, h.x, h.y);
            } finally {
              b.close();
            }
          },
          discard: () => bitmap?.close(),
        };
        this.enqueue(entry);
        const zpal = h.encoding === 'zpal' ? { w: h.w, h: h.h, reset: h.resetStream } : undefined;
        this.options.decoder.decode(MIME[h.encoding], data, zpal).then(
          (b) => {
            if (this.disposed) return b.close();
            bitmap = b;
            entry.ready = true;
            this.drain();
          },
          (e: unknown) => {
            this.log.warn(`[screen] cannot decode a ${h.encoding} rect of frame ${h.frame}`, e);
            entry.ready = true;
            this.drain();
          },
        );
        return;
      }
    }
  }

  private enqueue(entry: Entry): void {
    if (this.disposed) return;
    this.queue.push(entry);
    this.drain();
  }

  private drain(): void {
    while (this.queue.length > 0 && this.queue[0]!.ready) {
      const entry = this.queue.shift()!;
      try {
        entry.paint();
      } catch (e) {
        this.log.warn('[screen] paint step failed', e);
      }
      // Acked even when a rect was bad or failed to decode or paint: withholding the ack would stall the stream for good.
      const end = entry.frameEnd;
      if (end) {
        this.painted++;
        if (end.epoch === this.epoch && !this.disposed) this.options.onFrameDone(end.frame, end.bytes);
      }
    }
  }
}
