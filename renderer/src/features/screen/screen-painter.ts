/**
 * Paints the agent's screen rectangles on the canvas, straight from the data
 * channel (never through the store).
 *
 * Rectangles decode concurrently (createImageBitmap decodes off the main
 * thread) but are painted strictly in arrival order through one promise
 * chain, so a small rect that decodes fast never lands under an older big
 * one. A `screen` message resizes the canvas through the same chain, because
 * resizing clears it and must not overtake rects that came before it.
 * Once the rect that ends a frame is painted, the frame is acknowledged: that
 * ack is what lets the agent send more, so a slow console gets fewer frames,
 * never a growing backlog.
 */
import { RectAssembler, type RectFragment, type RectHeader } from '../../../../shared/channel.js';
import type { Size } from './geometry.js';

type Drawable =
  | { kind: 'bitmap'; bitmap: ImageBitmap }
  | { kind: 'solid'; rgba: readonly [number, number, number, number] }
  | { kind: 'none' };

const MIME = { png: 'image/png', jpeg: 'image/jpeg' } as const;

export interface ScreenPainterOptions {
  /** The frame's last rect has been painted. */
  onFrameDone(frame: number): void;
  log?: Pick<Console, 'warn'>;
}

export class ScreenPainter {
  private readonly ctx: CanvasRenderingContext2D;
  private readonly log: Pick<Console, 'warn'>;
  private assembler = new RectAssembler();
  private chain: Promise<void> = Promise.resolve();
  /** Bumped for every new peer: acks for an old peer's frames must not reach the new one. */
  private epoch = 0;
  private disposed = false;
  private remote: Size | null = null;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly options: ScreenPainterOptions) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('2D canvas is not available');
    this.ctx = ctx;
    this.log = options.log ?? console;
  }

  /** The remote screen's size once the agent has announced it (input maps through it). */
  get remoteSize(): Size | null {
    return this.remote;
  }

  /** A new peer connection starts: half-received rects and unacked frames belong to the old one. */
  restart(): void {
    this.epoch++;
    this.assembler = new RectAssembler();
  }

  resize(width: number, height: number): void {
    this.remote = { width, height };
    this.enqueue(() => {
      if (this.canvas.width !== width || this.canvas.height !== height) {
        this.canvas.width = width;
        this.canvas.height = height;
      }
    });
  }

  fragment(f: RectFragment): void {
    let rect: { header: RectHeader; data: Uint8Array } | null;
    try {
      rect = this.assembler.push(f);
    } catch (e) {
      this.log.warn('[screen] dropped a rect fragment', e);
      return;
    }
    if (!rect) return;
    const { header } = rect;
    const epoch = this.epoch;
    const decoded = decode(header, rect.data).catch((e: unknown): Drawable => {
      this.log.warn(`[screen] cannot decode a ${header.encoding} rect of frame ${header.frame}`, e);
      return { kind: 'none' };
    });
    this.enqueue(async () => {
      const d = await decoded;
      this.draw(header, d);
      // Acked even when a rect failed to decode: withholding it would stall the stream for good.
      if (header.endOfFrame && epoch === this.epoch && !this.disposed) this.options.onFrameDone(header.frame);
    });
  }

  dispose(): void {
    this.disposed = true;
    this.epoch++;
  }

  private enqueue(step: () => void | Promise<void>): void {
    this.chain = this.chain.then(step).catch((e: unknown) => this.log.warn('[screen] paint step failed', e));
  }

  private draw(h: RectHeader, d: Drawable): void {
    if (d.kind === 'bitmap') {
      if (!this.disposed) this.ctx.drawImage(d.bitmap, h.x, h.y);
      d.bitmap.close();
    } else if (d.kind === 'solid' && !this.disposed) {
      const [r, g, b, a] = d.rgba;
      this.ctx.fillStyle = `rgba(${r}, ${g}, ${b}, ${a / 255})`;
      this.ctx.fillRect(h.x, h.y, h.w, h.h);
    }
  }
}

async function decode(h: RectHeader, data: Uint8Array): Promise<Drawable> {
  if (h.encoding === 'solid') {
    if (data.length !== 4) throw new Error(`solid rect carries ${data.length} bytes, not 4`);
    return { kind: 'solid', rgba: [data[0]!, data[1]!, data[2]!, data[3]!] };
  }
  // RectAssembler hands over a fresh Uint8Array on a plain ArrayBuffer.
  const blob = new Blob([data as Uint8Array<ArrayBuffer>], { type: MIME[h.encoding] });
  return { kind: 'bitmap', bitmap: await createImageBitmap(blob) };
}
