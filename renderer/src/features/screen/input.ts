/**
 * Turning DOM input into control messages: the pure parts, so they can be
 * tested without a browser. screen-input.ts attaches them to the canvas.
 */
import { keysymFromKeyEvent } from '../../../../shared/keysyms.js';

// ---------- buttons ----------

/** MouseEvent.buttons bit -> X11 button number (1 left, 2 middle, 3 right, 8 back, 9 forward). */
const BUTTON_BITS: ReadonlyArray<readonly [bit: number, button: number]> = [
  [1, 1], [4, 2], [2, 3], [8, 8], [16, 9],
];

/**
 * Button presses and releases between two `buttons` bitmasks. Pointer events
 * report a second button pressed during a drag only as a pointermove with a
 * new mask, so diffing masks is the one way to see every change.
 */
export function buttonChanges(before: number, after: number): Array<{ button: number; down: boolean }> {
  const out: Array<{ button: number; down: boolean }> = [];
  for (const [bit, button] of BUTTON_BITS) {
    const was = (before & bit) !== 0;
    const is = (after & bit) !== 0;
    if (was !== is) out.push({ button, down: is });
  }
  return out;
}

// ---------- wheel ----------

/** Pixels of wheel delta that make one notch (Chromium reports 100 per notch on most platforms). */
export const WHEEL_PIXELS_PER_NOTCH = 100;
/** A pause this long starts a new gesture. */
export const WHEEL_GESTURE_GAP_MS = 200;
const LINE_PIXELS = WHEEL_PIXELS_PER_NOTCH / 3; // Firefox: 3 lines per notch
const PAGE_PIXELS = WHEEL_PIXELS_PER_NOTCH * 3;

/**
 * Wheel deltas -> whole notches. Small deltas (touchpads, high-resolution
 * wheels) accumulate until they make a notch; but the first event of a
 * gesture always scrolls at least one, because some platforms report a
 * notch as fewer pixels (X11 Chromium: 53) and a single click of the wheel
 * must never do nothing.
 */
export class WheelAccumulator {
  private acc = { x: 0, y: 0 };
  private lastAt = -Infinity;

  push(e: { deltaX: number; deltaY: number; deltaMode: number }, now: number): { dx: number; dy: number } {
    const unit = e.deltaMode === 1 ? LINE_PIXELS : e.deltaMode === 2 ? PAGE_PIXELS : 1;
    const fresh = now - this.lastAt > WHEEL_GESTURE_GAP_MS;
    this.lastAt = now;
    if (fresh) this.acc = { x: 0, y: 0 };
    return { dx: this.axis('x', e.deltaX * unit, fresh), dy: this.axis('y', e.deltaY * unit, fresh) };
  }

  private axis(k: 'x' | 'y', px: number, fresh: boolean): number {
    const acc = this.acc[k] + px;
    let notches = Math.trunc(acc / WHEEL_PIXELS_PER_NOTCH);
    if (notches === 0 && fresh && acc !== 0) {
      this.acc[k] = 0;
      return Math.sign(acc);
    }
    notches = Math.max(-100, Math.min(100, notches));
    // What the cap cut off is dropped, not owed: it would keep scrolling after the wheel stopped.
    const rest = acc - notches * WHEEL_PIXELS_PER_NOTCH;
    this.acc[k] = Math.max(-WHEEL_PIXELS_PER_NOTCH, Math.min(WHEEL_PIXELS_PER_NOTCH, rest));
    return notches;
  }
}

// ---------- keys ----------

/**
 * Remembers which keysym each physical key sent on keydown, so its keyup
 * releases the same keysym even if a modifier changed `key` in between
 * (press "a", press Shift, release "a": the browser reports "A").
 */
export class KeyTracker {
  private readonly down = new Map<string, number>();

  press(e: { key: string; code: string }): number | null {
    const keysym = keysymFromKeyEvent(e);
    if (keysym !== null) this.down.set(e.code || e.key, keysym);
    return keysym;
  }

  release(e: { key: string; code: string }): number | null {
    const id = e.code || e.key;
    const keysym = this.down.get(id) ?? keysymFromKeyEvent(e);
    this.down.delete(id);
    return keysym;
  }

  clear(): void {
    this.down.clear();
  }
}

// ---------- pointer moves ----------

/**
 * At most one pointer move per animation frame: only the newest position is
 * sent. `flush` sends a pending move at once, so a click lands where the
 * pointer is. A position equal to the last one sent is still sent: the
 * remote pointer may have moved since (the user's own mouse, or input the
 * agent refused), and a click must land where the technician sees it.
 */
export class PointerCoalescer {
  private pending: { x: number; y: number } | null = null;
  private handle: number | null = null;

  constructor(
    private readonly send: (p: { x: number; y: number }) => void,
    private readonly schedule: (cb: () => void) => number,
    private readonly unschedule: (handle: number) => void,
  ) {}

  move(p: { x: number; y: number }): void {
    this.pending = p;
    if (this.handle === null) {
      this.handle = this.schedule(() => {
        this.handle = null;
        this.flush();
      });
    }
  }

  flush(): void {
    const p = this.pending;
    this.pending = null;
    if (p) this.send(p);
  }

  /** Drops a pending move. */
  reset(): void {
    if (this.handle !== null) this.unschedule(this.handle);
    this.handle = null;
    this.pending = null;
  }
}
