/**
 * What a rectangle's new pixels change in the picture the console already
 * has, row by row: rows that did not change need not be sent, and when most
 * of the rectangle is its old content shifted up or down (a terminal or a
 * page scrolling), one copy on the console replaces them. Pure: rows come in
 * as functions returning each row's RGBA bytes.
 */

/** Rows of one rectangle, top to bottom: `row(y)` is row y's RGBA bytes (a view, not a copy). */
export type Rows = (y: number) => Buffer;

export interface RowPlan {
  /** Rows [y, y + rows) become the previous picture's rows [srcY, srcY + rows). */
  copy: { y: number; srcY: number; rows: number } | null;
  /** Row ranges [y0, y1) to send as pixels, after the copy. */
  send: { y0: number; y1: number }[];
}

/** A copy this short saves less than a rectangle header and the copy's own cost. */
export const MIN_COPY_ROWS = 16;
/** Unchanged rows between two changed runs, up to which one rectangle is cheaper than two. */
const MERGE_GAP_ROWS = 8;
/** Distinct rows a shift must explain before it is checked (flat rows match every shift). */
const MIN_VOTES = 8;
/** A row found this many times in the old picture (a repeated line) suggests nothing. */
const MAX_CANDIDATES = 4;

/**
 * Every HASH_STEP-th pixel of a row goes into its hash. The hash only
 * proposes shifts (every row a shift explains is compared in full before it
 * counts), so a sample is enough, and hashing every pixel of both pictures
 * was the biggest cost of a full-screen frame. 3 is coprime with the common
 * glyph widths (6-10 pixels), so the sample moves across glyph columns.
 */
const HASH_STEP = 3;

/** FNV-1a over a sample of a row's 32-bit words, and whether the sample is one colour. */
function hashRow(row: Buffer): { hash: number; flat: boolean } {
  const bytes = row.byteOffset % 4 === 0 ? row : Buffer.from(row);
  const words = new Int32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2);
  const first = words[0];
  let hash = 0x811c9dc5;
  let flat = true;
  for (let i = 0; i < words.length; i += HASH_STEP) {
    const w = words[i]!;
    if (w !== first) flat = false;
    hash = Math.imul(hash ^ w, 0x01000193);
  }
  return { hash: hash >>> 0, flat };
}

/**
 * The vertical shift `dy` (new row y = old row y + dy) that the most changed
 * rows vote for by hash, verified row by row, and the longest run of rows it
 * explains exactly. Null when no shift explains at least MIN_COPY_ROWS
 * changed rows.
 */
export function findShift(before: Rows, after: Rows, height: number, unchanged: Uint8Array): { dy: number; y0: number; y1: number } | null {
  const oldRows = new Map<number, number[]>();
  for (let y = 0; y < height; y++) {
    const { hash, flat } = hashRow(before(y));
    if (flat) continue;
    const at = oldRows.get(hash);
    if (!at) oldRows.set(hash, [y]);
    else if (at.length <= MAX_CANDIDATES) at.push(y);
  }
  const votes = new Map<number, number>();
  for (let y = 0; y < height; y++) {
    if (unchanged[y]) continue;
    const { hash, flat } = hashRow(after(y));
    const at = flat ? undefined : oldRows.get(hash);
    if (!at || at.length > MAX_CANDIDATES) continue;
    for (const from of at) if (from !== y) votes.set(from - y, (votes.get(from - y) ?? 0) + 1);
  }
  let dy = 0;
  let best = MIN_VOTES - 1;
  for (const [shift, n] of votes) if (n > best) [dy, best] = [shift, n];
  if (dy === 0) return null;

  // The longest run of rows that are exactly the old rows shifted by dy.
  let run = { y0: 0, y1: 0 };
  let start = -1;
  const from = Math.max(0, -dy);
  const to = Math.min(height, height - dy);
  for (let y = from; y <= to; y++) {
    const match = y < to && after(y).equals(before(y + dy));
    if (match && start < 0) start = y;
    if (!match && start >= 0) {
      if (y - start > run.y1 - run.y0) run = { y0: start, y1: y };
      start = -1;
    }
  }
  let gained = 0;
  for (let y = run.y0; y < run.y1; y++) gained += unchanged[y] ? 0 : 1;
  return gained >= MIN_COPY_ROWS ? { dy, ...run } : null;
}

/** Plans how to bring a rectangle of `height` rows from `before` to `after`. */
export function planRows(before: Rows, after: Rows, height: number, allowCopy: boolean): RowPlan {
  const unchanged = new Uint8Array(height);
  let changed = 0;
  for (let y = 0; y < height; y++) {
    if (before(y).equals(after(y))) unchanged[y] = 1;
    else changed++;
  }
  if (changed === 0) return { copy: null, send: [] };
  const shift = allowCopy && changed >= MIN_COPY_ROWS ? findShift(before, after, height, unchanged) : null;
  const settled = (y: number) => unchanged[y] === 1 || (shift !== null && y >= shift.y0 && y < shift.y1);

  const send: RowPlan['send'] = [];
  for (let y = 0; y < height; y++) {
    if (settled(y)) continue;
    let end = y + 1;
    while (end < height && !settled(end)) end++;
    const last = send[send.length - 1];
    if (last && y - last.y1 <= MERGE_GAP_ROWS) last.y1 = end;
    else send.push({ y0: y, y1: end });
    y = end;
  }
  const copy = shift && { y: shift.y0, srcY: shift.y0 + shift.dy, rows: shift.y1 - shift.y0 };
  return { copy, send };
}
