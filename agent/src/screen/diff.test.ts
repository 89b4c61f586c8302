import { describe, expect, it } from 'vitest';
import { MIN_COPY_ROWS, planRows, type Rows } from './diff.js';

const W = 40;

/** An image as rows; `line(y)` picks each row's content, so shifting is choosing other lines. */
function image(height: number, line: (y: number) => number): Buffer {
  const out = Buffer.alloc(W * height * 4);
  for (let y = 0; y < height; y++) {
    const n = line(y);
    for (let x = 0; x < W; x++) {
      // Glyph-like: black or white by a hash of line number and column; line -1 is blank.
      const ink = n >= 0 && ((Math.imul(n * 2654435761 + x * 40503, 2246822519) >>> 13) & 3) === 0;
      out.writeUInt32LE(ink ? 0xff000000 : 0xffffffff, (y * W + x) * 4);
    }
  }
  return out;
}

const rows = (img: Buffer): Rows => (y) => img.subarray(y * W * 4, (y + 1) * W * 4);

/** Applies a plan to `before` as the console would: the copy, then the sent rows. */
function apply(before: Buffer, after: Buffer, plan: ReturnType<typeof planRows>): Buffer {
  const out = Buffer.from(before);
  const stride = W * 4;
  if (plan.copy) before.copy(out, plan.copy.y * stride, plan.copy.srcY * stride, (plan.copy.srcY + plan.copy.rows) * stride);
  for (const { y0, y1 } of plan.send) after.copy(out, y0 * stride, y0 * stride, y1 * stride);
  return out;
}

describe('planRows', () => {
  it('sends nothing when nothing changed', () => {
    const a = image(100, (y) => y);
    expect(planRows(rows(a), rows(Buffer.from(a)), 100, true)).toEqual({ copy: null, send: [] });
  });

  it('sends only the changed rows, joining runs a few rows apart', () => {
    const before = image(100, (y) => y);
    const after = image(100, (y) => (y === 10 || y === 14 || y === 70 ? 1000 + y : y));
    const plan = planRows(rows(before), rows(after), 100, true);
    expect(plan).toEqual({ copy: null, send: [{ y0: 10, y1: 15 }, { y0: 70, y1: 71 }] });
    expect(apply(before, after, plan).equals(after)).toBe(true);
  });

  it.each([1, 7, 16, 40, -16, -33])('finds content shifted by %i rows and copies it', (dy) => {
    const before = image(120, (y) => y);
    const after = image(120, (y) => y + dy); // lines outside the old picture are new content
    const plan = planRows(rows(before), rows(after), 120, true);
    expect(plan.copy).toEqual(dy > 0 ? { y: 0, srcY: dy, rows: 120 - dy } : { y: -dy, srcY: 0, rows: 120 + dy });
    expect(plan.send).toEqual([dy > 0 ? { y0: 120 - dy, y1: 120 } : { y0: 0, y1: -dy }]);
    expect(apply(before, after, plan).equals(after)).toBe(true);
  });

  it('copies around rows that changed besides the scroll (a status line, a moved cursor)', () => {
    const before = image(120, (y) => (y >= 110 ? 500 : y));
    const after = image(120, (y) => (y >= 110 ? 501 : y === 50 ? 777 : y + 16));
    const plan = planRows(rows(before), rows(after), 120, true);
    expect(plan.copy).not.toBeNull();
    expect(apply(before, after, plan).equals(after)).toBe(true);
  });

  it('is not fooled by blank lines, which match any shift', () => {
    const before = image(100, (y) => (y % 20 < 10 ? -1 : y));
    const after = image(100, (y) => (y % 20 < 10 ? -1 : 1000 + y));
    const plan = planRows(rows(before), rows(after), 100, true);
    expect(plan.copy).toBeNull();
    expect(apply(before, after, plan).equals(after)).toBe(true);
  });

  it('does not copy when told not to, or when too little moved', () => {
    const before = image(120, (y) => y);
    const after = image(120, (y) => y + 3);
    expect(planRows(rows(before), rows(after), 120, false)).toEqual({ copy: null, send: [{ y0: 0, y1: 120 }] });
    const small = image(MIN_COPY_ROWS - 1, (y) => y);
    const smallAfter = image(MIN_COPY_ROWS - 1, (y) => y + 1);
    expect(planRows(rows(small), rows(smallAfter), MIN_COPY_ROWS - 1, true).copy).toBeNull();
  });
});
