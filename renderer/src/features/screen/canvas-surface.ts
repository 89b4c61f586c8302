/**
 * The visible remote-screen canvas as a paint surface. It stays an ordinary
 * 2D canvas holding exactly the remote pixels at 1:1 (never transferred to
 * an OffscreenCanvas): tests and screenshots read it back with getImageData,
 * and a `copy` rect reads from it.
 */
import type { PaintSurface } from './screen-painter.js';

export class CanvasSurface implements PaintSurface<ImageBitmap> {
  private readonly ctx: CanvasRenderingContext2D;

  constructor(private readonly canvas: HTMLCanvasElement) {
    const ctx = canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('2D canvas is not available');
    this.ctx = ctx;
  }

  resize(width: number, height: number): void {
    // Setting either dimension clears the canvas, even to the same value.
    if (this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas.width = width;
      this.canvas.height = height;
    }
  }

  drawBitmap(bitmap: ImageBitmap, x: number, y: number): void {
    this.ctx.drawImage(bitmap, x, y);
  }

  fill([r, g, b, a]: readonly [number, number, number, number], x: number, y: number, w: number, h: number): void {
    this.ctx.fillStyle = `rgba(${r}, ${g}, ${b}, ${a / 255})`;
    this.ctx.fillRect(x, y, w, h);
  }

  copy(srcX: number, srcY: number, x: number, y: number, w: number, h: number): void {
    // Drawing a canvas onto itself reads a snapshot of the source first, so overlapping areas (scrolling) copy correctly.
    this.ctx.drawImage(this.canvas, srcX, srcY, w, h, x, y, w, h);
  }
}
