import { describe, expect, it } from 'vitest';
import type { Rect } from '../platform/types.js';
import { mergeRects } from './regions.js';

const contains = (outer: Rect, inner: Rect) =>
  inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.w <= outer.x + outer.w && inner.y + inner.h <= outer.y + outer.h;

/** Every input rectangle must lie inside some output rectangle. */
function expectCovered(input: Rect[], output: Rect[]) {
  for (const r of input) if (r.w > 0 && r.h > 0) expect(output.some((o) => contains(o, r)), JSON.stringify(r)).toBe(true);
}

describe('mergeRects', () => {
  it('unites overlapping rectangles', () => {
    const input = [
      { x: 0, y: 0, w: 100, h: 100 },
      { x: 50, y: 50, w: 100, h: 100 },
    ];
    expect(mergeRects(input)).toEqual([{ x: 0, y: 0, w: 150, h: 150 }]);
  });

  it('unites characters typed one after another into one strip', () => {
    const chars = Array.from({ length: 20 }, (_, i) => ({ x: 100 + i * 8, y: 40, w: 8, h: 16 }));
    expect(mergeRects(chars)).toEqual([{ x: 100, y: 40, w: 160, h: 16 }]);
  });

  it('keeps distant changes apart', () => {
    const input = [
      { x: 10, y: 10, w: 8, h: 16 },
      { x: 1200, y: 700, w: 60, h: 16 },
    ];
    expect(mergeRects(input)).toEqual(input);
  });

  it('drops empty rectangles and does not touch its input', () => {
    const input = [
      { x: 5, y: 5, w: 0, h: 10 },
      { x: 1, y: 2, w: 3, h: 4 },
    ];
    const copy = structuredClone(input);
    expect(mergeRects(input)).toEqual([{ x: 1, y: 2, w: 3, h: 4 }]);
    expect(input).toEqual(copy);
    expect(mergeRects([])).toEqual([]);
  });

  it('caps the count, however many rectangles come in', () => {
    // A scattered storm: 1000 small rectangles all over a 1920x1080 screen.
    let seed = 1;
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const input = Array.from({ length: 1000 }, () => ({ x: random(1900), y: random(1060), w: 1 + random(20), h: 1 + random(20) }));
    const out = mergeRects(input);
    expect(out.length).toBeLessThanOrEqual(8);
    expectCovered(input, out);

    const four = mergeRects(input, { maxRects: 4 });
    expect(four.length).toBeLessThanOrEqual(4);
    expectCovered(input, four);
  });

  it('merges the cheapest pairs first when over the cap', () => {
    const input = [
      { x: 0, y: 0, w: 10, h: 10 },
      { x: 300, y: 0, w: 10, h: 10 }, // 2900 extra pixels to join the first
      { x: 0, y: 500, w: 10, h: 10 },
      { x: 0, y: 520, w: 10, h: 10 }, // 100 extra pixels to join the third
    ];
    const out = mergeRects(input, { maxRects: 3, slack: 0 });
    expect(out).toHaveLength(3);
    expect(out).toContainEqual({ x: 0, y: 500, w: 10, h: 30 });
    expectCovered(input, out);
  });
});
