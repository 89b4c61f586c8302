import type { Rect } from '../platform/types.js';

export interface MergeOptions {
  /** Most rectangles to return. */
  maxRects?: number;
  /**
   * Unchanged pixels worth re-encoding to save one rectangle. Each encoder
   * call and each rectangle on the wire has a fixed cost, so close-by small
   * changes (a word typed, a cursor blink next to it) are cheaper as one.
   */
  slack?: number;
}

/** Above this many inputs, pre-group by screen area so the pairwise passes stay cheap. */
const GRID_ABOVE = 64;
const GRID_CELL = 256;

const area = (r: Rect): number => r.w * r.h;

function union(a: Rect, b: Rect): Rect {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return { x, y, w: Math.max(a.x + a.w, b.x + b.w) - x, h: Math.max(a.y + a.h, b.y + b.h) - y };
}

/**
 * Pixels a merge adds beyond the two rectangles. Overlap is not subtracted, so
 * overlapping rectangles look cheaper to merge: encoding their overlap twice
 * is a waste too.
 */
const mergeCost = (a: Rect, b: Rect): number => area(union(a, b)) - area(a) - area(b);

/** Groups rectangles by the grid cell of their top-left corner, one bounding box per cell. */
function gridBoxes(rects: Rect[]): Rect[] {
  const cells = new Map<string, Rect>();
  for (const r of rects) {
    const key = `${Math.floor(r.x / GRID_CELL)},${Math.floor(r.y / GRID_CELL)}`;
    const box = cells.get(key);
    cells.set(key, box ? union(box, r) : r);
  }
  return [...cells.values()];
}

/**
 * Turns a list of dirty rectangles (possibly overlapping, possibly hundreds)
 * into a few rectangles that cover them all: overlapping and nearby ones are
 * united, and when too many remain the cheapest pairs are merged further.
 */
export function mergeRects(rects: readonly Rect[], { maxRects = 8, slack = 64 * 64 }: MergeOptions = {}): Rect[] {
  let out = rects.filter((r) => r.w > 0 && r.h > 0).map((r) => ({ ...r }));
  if (out.length > GRID_ABOVE) out = gridBoxes(out);

  // Repeat until stable: a grown rectangle may now reach ones already passed over.
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = 0; i < out.length; i++) {
      for (let j = i + 1; j < out.length; j++) {
        if (mergeCost(out[i]!, out[j]!) > slack) continue;
        out[i] = union(out[i]!, out.splice(j, 1)[0]!);
        changed = true;
        j = i;
      }
    }
  }

  while (out.length > Math.max(1, maxRects)) {
    let best = { i: 0, j: 1, cost: Infinity };
    for (let i = 0; i < out.length; i++) {
      for (let j = i + 1; j < out.length; j++) {
        const cost = mergeCost(out[i]!, out[j]!);
        if (cost < best.cost) best = { i, j, cost };
      }
    }
    out[best.i] = union(out[best.i]!, out.splice(best.j, 1)[0]!);
  }
  return out;
}
