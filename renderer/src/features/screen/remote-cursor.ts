/**
 * The remote pointer, drawn locally: shapes arrive as cursor messages (PNG,
 * keyed by serial, decoded like rects and cached), positions as `cursor-pos`
 * messages. A small canvas over the remote-screen canvas shows the current
 * shape at the position minus its hotspot, scaled with the view. Positions
 * come at pointer rate and go straight to the element, never through React.
 */
import type { ControlMessage, CursorShape } from '../../../../shared/channel.js';
import { mapToView, type Fit, type Size } from './geometry.js';
import type { BitmapDecoder, Closable } from './screen-painter.js';

type CursorPos = Extract<ControlMessage, { t: 'cursor-pos' }>;

export interface CachedShape<B> {
  hotX: number;
  hotY: number;
  w: number;
  h: number;
  /** Null while the PNG is decoding, or when it could not be decoded. */
  bitmap: B | null;
}

/** Shapes an X session cycles through are few (arrow, I-beam, hands, resize arrows); this bounds a misbehaving agent. */
export const SHAPES_KEPT = 32;

/** Serial -> shape, least recently used evicted first (its bitmap closed). */
export class ShapeCache<B extends Closable> {
  private readonly shapes = new Map<number, CachedShape<B>>();

  constructor(private readonly capacity = SHAPES_KEPT) {}

  get(serial: number): CachedShape<B> | undefined {
    const s = this.shapes.get(serial);
    if (s) {
      this.shapes.delete(serial);
      this.shapes.set(serial, s);
    }
    return s;
  }

  set(serial: number, shape: CachedShape<B>): void {
    this.shapes.get(serial)?.bitmap?.close();
    this.shapes.delete(serial);
    this.shapes.set(serial, shape);
    while (this.shapes.size > this.capacity) {
      const [oldest, s] = this.shapes.entries().next().value!;
      s.bitmap?.close();
      this.shapes.delete(oldest);
    }
  }

  clear(): void {
    for (const s of this.shapes.values()) s.bitmap?.close();
    this.shapes.clear();
  }
}

/** Where the overlay goes (CSS pixels in the canvas box), or null when nothing is to be drawn. */
export function cursorBox(
  pos: Pick<CursorPos, 'x' | 'y' | 'visible'>, shape: Pick<CachedShape<unknown>, 'hotX' | 'hotY' | 'bitmap'> | undefined,
  fit: Fit, remote: Size | null,
): { x: number; y: number; scale: number } | null {
  if (!pos.visible || !shape?.bitmap || !remote || fit.scale === 0) return null;
  // Off the streamed area (on another monitor while one is streamed): nothing to draw here.
  if (pos.x < 0 || pos.y < 0 || pos.x >= remote.width || pos.y >= remote.height) return null;
  const at = mapToView(pos.x - shape.hotX, pos.y - shape.hotY, fit);
  return { ...at, scale: fit.scale };
}

export interface RemoteCursorOptions {
  /** The overlay canvas. */
  element: HTMLCanvasElement;
  /** The remote-screen canvas, whose local pointer is hidden while the remote one is drawn. */
  screen: HTMLElement;
  decoder: BitmapDecoder<ImageBitmap>;
  log?: Pick<Console, 'warn'>;
}

export class RemoteCursor {
  private readonly shapes = new ShapeCache<ImageBitmap>();
  private readonly ctx: CanvasRenderingContext2D | null;
  private readonly log: Pick<Console, 'warn'>;
  private pos: CursorPos | null = null;
  private drawnSerial: number | null = null;
  private fit: Fit = { scale: 0, offsetX: 0, offsetY: 0 };
  private remote: Size | null = null;
  private localPointerMayHide = false;
  /** Bumped on reset, so a shape still decoding for an old peer is dropped. */
  private generation = 0;
  private disposed = false;

  constructor(private readonly options: RemoteCursorOptions) {
    this.ctx = options.element.getContext('2d');
    this.log = options.log ?? console;
    this.render();
  }

  shape(c: CursorShape): void {
    const generation = this.generation;
    const { serial, hotX, hotY, w, h } = c;
    this.shapes.set(serial, { hotX, hotY, w, h, bitmap: null });
    if (this.drawnSerial === serial) this.drawnSerial = null;
    this.options.decoder.decode('image/png', c.png).then(
      (bitmap) => {
        // Replaced or evicted meanwhile: this bitmap is nobody's.
        const entry = this.shapes.get(serial);
        if (this.disposed || generation !== this.generation || !entry || entry.bitmap) return bitmap.close();
        entry.bitmap = bitmap;
        this.render();
      },
      (e: unknown) => this.log.warn(`[cursor] cannot decode shape ${serial}`, e),
    );
  }

  position(pos: CursorPos): void {
    this.pos = pos;
    this.render();
  }

  /** The picture moved or was rescaled (scale mode, window size, remote size). */
  layout(fit: Fit, remote: Size | null): void {
    this.fit = fit;
    this.remote = remote;
    this.render();
  }

  /** Whether the local pointer may be hidden over the screen (control on, not view-only). */
  setLocalPointerMayHide(may: boolean): void {
    this.localPointerMayHide = may;
    this.render();
  }

  /** A new peer: serials start over. */
  reset(): void {
    this.generation++;
    this.shapes.clear();
    this.pos = null;
    this.drawnSerial = null;
    this.render();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.reset();
  }

  private render(): void {
    const el = this.options.element;
    const pos = this.pos;
    const shape = pos ? this.shapes.get(pos.serial) : undefined;
    const box = pos && !this.disposed ? cursorBox(pos, shape, this.fit, this.remote) : null;
    this.options.screen.classList.toggle('hide-local-pointer', this.localPointerMayHide && !!shape?.bitmap && !this.disposed);
    if (!box || !shape?.bitmap || !pos) {
      el.hidden = true;
      return;
    }
    if (this.drawnSerial !== pos.serial && this.ctx) {
      // Resizing clears the overlay, so every shape is drawn on a fresh canvas.
      el.width = shape.w;
      el.height = shape.h;
      this.ctx.drawImage(shape.bitmap, 0, 0);
      this.drawnSerial = pos.serial;
      el.dataset.serial = String(pos.serial);
    }
    el.style.transform = `translate(${box.x}px, ${box.y}px) scale(${box.scale})`;
    el.dataset.x = String(pos.x);
    el.dataset.y = String(pos.y);
    el.hidden = false;
  }
}
