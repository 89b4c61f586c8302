import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { CursorImage, CursorSource } from '../platform/types.js';
import { TestConsole } from '../testing/console.js';
import { CursorRelay } from './cursor-relay.js';

class FakeCursor implements CursorSource {
  shapeListener: ((c: CursorImage) => void) | null = null;
  positionListener: ((x: number, y: number) => void) | null = null;
  onShape(l: (c: CursorImage) => void) {
    this.shapeListener = l;
    return () => (this.shapeListener = null);
  }
  onPosition(l: (x: number, y: number) => void) {
    this.positionListener = l;
    return () => (this.positionListener = null);
  }
}

const shape = (serial: number, width = 12, height = 20): CursorImage => ({
  serial,
  width,
  height,
  hotX: 3,
  hotY: 4,
  rgba: Buffer.alloc(width * height * 4, serial),
});

describe('CursorRelay', () => {
  it('sends each shape once, before the position that names it, in area coordinates', async () => {
    const source = new FakeCursor();
    const console = new TestConsole();
    const relay = new CursorRelay(source, console.receive, { x: 100, y: 50, w: 400, h: 300 });
    relay.start();
    source.positionListener!(110, 60);
    source.shapeListener!(shape(7));
    source.positionListener!(110, 60); // did not move: nothing
    source.positionListener!(120, 70);
    source.shapeListener!(shape(8));
    source.shapeListener!(shape(7)); // seen before: position only

    expect(console.cursors.map((c) => c.serial)).toEqual([7, 8]);
    expect(console.sent('cursor-pos')).toEqual([
      { t: 'cursor-pos', x: 10, y: 10, serial: 0, visible: true },
      { t: 'cursor-pos', x: 10, y: 10, serial: 7, visible: true },
      { t: 'cursor-pos', x: 20, y: 20, serial: 7, visible: true },
      { t: 'cursor-pos', x: 20, y: 20, serial: 8, visible: true },
      { t: 'cursor-pos', x: 20, y: 20, serial: 7, visible: true },
    ]);
    const first = console.cursors[0]!;
    expect([first.w, first.h, first.hotX, first.hotY]).toEqual([12, 20, 3, 4]);
    const { data } = await sharp(first.png).raw().toBuffer({ resolveWithObject: true });
    expect(data.equals(shape(7).rgba)).toBe(true);
  });

  it('says once that the pointer left the area, and nothing while it moves elsewhere', () => {
    const source = new FakeCursor();
    const console = new TestConsole();
    const relay = new CursorRelay(source, console.receive, { x: 0, y: 0, w: 100, h: 100 });
    relay.start();
    source.positionListener!(500, 10);
    source.positionListener!(600, 10);
    source.positionListener!(50, 10);
    expect(console.sent('cursor-pos').map((m) => m.visible)).toEqual([false, true]);
    relay.setArea({ x: 400, y: 0, w: 300, h: 100 });
    expect(console.sent('cursor-pos').at(-1)).toEqual({ t: 'cursor-pos', x: -350, y: 10, serial: 0, visible: false });
  });

  it('sends the shape and position again on refresh, and crops shapes the console would refuse', () => {
    const source = new FakeCursor();
    const console = new TestConsole();
    const relay = new CursorRelay(source, console.receive, { x: 0, y: 0, w: 100, h: 100 });
    relay.start();
    source.shapeListener!({ ...shape(3, 300, 10), hotX: 290 });
    source.positionListener!(1, 1);
    relay.refresh();
    expect(console.cursors.map((c) => [c.serial, c.w, c.hotX])).toEqual([
      [3, 256, 255],
      [3, 256, 255],
    ]);
    expect(console.sent('cursor-pos')).toHaveLength(2);
    relay.stop();
    expect(source.shapeListener).toBeNull();
  });
});
