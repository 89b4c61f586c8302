import { encodeControl, encodeCursor } from '../../../shared/channel.js';
import type { CursorImage, CursorSource, Disposer, Rect } from '../platform/types.js';
import { encodeRgbaPng } from './png.js';

/** The console refuses larger shapes (shared/channel.ts). */
const MAX_CURSOR = 256;
/** Shapes sent are remembered by serial; an animated cursor cycles through a few dozen. */
const REMEMBER_SHAPES = 512;

function cropped(c: CursorImage): CursorImage {
  if (c.width <= MAX_CURSOR && c.height <= MAX_CURSOR) return c;
  const width = Math.min(c.width, MAX_CURSOR);
  const height = Math.min(c.height, MAX_CURSOR);
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) c.rgba.copy(rgba, y * width * 4, y * c.width * 4, (y * c.width + width) * 4);
  return { ...c, width, height, rgba, hotX: Math.min(c.hotX, width - 1), hotY: Math.min(c.hotY, height - 1) };
}

/**
 * Sends the pointer to the console: each shape once (a cursor message, by
 * serial), then `cursor-pos` in the streamed area's coordinates whenever the
 * position or the shape changes while the pointer is in the area, once when
 * it leaves, and nothing otherwise. The shape always goes before the first position that names it.
 */
export class CursorRelay {
  private readonly sent = new Set<number>();
  private shape: CursorImage | null = null;
  private position: { x: number; y: number } | null = null;
  private reported = '';
  private disposers: Disposer[] = [];

  constructor(
    private readonly source: CursorSource,
    private readonly send: (msg: Uint8Array) => void,
    private area: Rect,
  ) {}

  start(): void {
    if (this.disposers.length) return;
    this.disposers = [
      this.source.onShape((c) => {
        this.shape = cropped(c);
        this.sendShape();
        this.report();
      }),
      this.source.onPosition((x, y) => {
        this.position = { x, y };
        this.report();
      }),
    ];
  }

  stop(): void {
    for (const d of this.disposers) d();
    this.disposers = [];
  }

  setArea(area: Rect): void {
    this.area = area;
    this.report();
  }

  /** The console lost what it had: the shape and the position go again. */
  refresh(): void {
    this.sent.clear();
    this.reported = '';
    this.sendShape();
    this.report();
  }

  private sendShape(): void {
    const c = this.shape;
    if (!c || this.sent.has(c.serial)) return;
    if (this.sent.size >= REMEMBER_SHAPES) this.sent.clear();
    this.sent.add(c.serial);
    const png = encodeRgbaPng(c.width, c.height, c.rgba);
    this.send(encodeCursor({ serial: c.serial, hotX: c.hotX, hotY: c.hotY, w: c.width, h: c.height, png }));
  }

  private report(): void {
    if (!this.position) return;
    const x = this.position.x - this.area.x;
    const y = this.position.y - this.area.y;
    const visible = x >= 0 && y >= 0 && x < this.area.w && y < this.area.h;
    const serial = this.shape?.serial ?? 0;
    // Moving about another monitor changes nothing the console shows.
    const key = visible ? `${x},${y},${serial}` : 'hidden';
    if (key === this.reported) return;
    this.reported = key;
    this.send(encodeControl({ t: 'cursor-pos', x, y, serial, visible }));
  }
}
