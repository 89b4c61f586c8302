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
 * Modifier keys whose state every key and mouse event reports, by code. A
 * modifier tracked as down while the event says it is up lost its keyup
 * (the technician's system swallowed it), and is released remotely too.
 * Not AltRight (it is AltGraph on many layouts, which sets no altKey) and
 * not Meta (platforms disagree on whether the Super/Windows key sets metaKey).
 */
const MODIFIER_FLAGS: Readonly<Record<string, 'shiftKey' | 'ctrlKey' | 'altKey'>> = {
  ShiftLeft: 'shiftKey', ShiftRight: 'shiftKey', ControlLeft: 'ctrlKey', ControlRight: 'ctrlKey', AltLeft: 'altKey',
};

export type ModifierFlags = Pick<KeyboardEvent, 'shiftKey' | 'ctrlKey' | 'altKey'>;

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

  /** Forgets, and returns, the modifiers held here that the event says are up. */
  releaseStale(flags: ModifierFlags): number[] {
    const stale: number[] = [];
    for (const [id, keysym] of this.down) {
      const flag = MODIFIER_FLAGS[id];
      if (flag && !flags[flag]) {
        this.down.delete(id);
        stale.push(keysym);
      }
    }
    return stale;
  }

  clear(): void {
    this.down.clear();
  }
}

// ---------- paste ----------

/** Keys that make the browser paste (and fire a `paste` event) on Linux and Windows; Cmd+V on macOS. */
export function isPasteShortcut(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'altKey' | 'shiftKey'>): boolean {
  if ((e.ctrlKey || e.metaKey) && !e.altKey && (e.key === 'v' || e.key === 'V')) return true;
  return e.shiftKey && !e.ctrlKey && !e.altKey && e.key === 'Insert';
}

/** How long a paste shortcut waits for its paste event (which normally follows the keydown at once). */
export const PASTE_WAIT_MS = 100;

/**
 * Holds back a paste shortcut's key press until the browser's `paste` event
 * has delivered the technician's clipboard text, so the text reaches the
 * remote clipboard before the remote application sees Ctrl+V. If no paste
 * event comes, the press goes on after PASTE_WAIT_MS (or at its keyup) as
 * an ordinary key. A refused paste (text too long) drops the press and its
 * release: pasting whatever the remote clipboard held instead would mislead.
 */
export class PasteGate {
  private held: { id: string; keysym: number; timer: number } | null = null;
  private dropped: string | null = null;

  constructor(
    private readonly sendKey: (keysym: number, down: boolean) => void,
    private readonly schedule: (cb: () => void, ms: number) => number,
    private readonly unschedule: (handle: number) => void,
  ) {}

  holding(id: string): boolean {
    return this.held?.id === id;
  }

  hold(id: string, keysym: number): void {
    this.release(true);
    this.dropped = null;
    this.held = { id, keysym, timer: this.schedule(() => this.release(true), PASTE_WAIT_MS) };
  }

  /** The paste event came (or will not): press the held key remotely, or drop it. */
  release(forward: boolean): void {
    const h = this.held;
    if (!h) return;
    this.held = null;
    this.unschedule(h.timer);
    if (forward) this.sendKey(h.keysym, true);
    else this.dropped = h.id;
  }

  /** Returns true when the gate dealt with this keyup. */
  keyUp(id: string, keysym: number): boolean {
    if (this.held?.id === id) {
      this.release(true);
      this.sendKey(keysym, false);
      return true;
    }
    if (this.dropped === id) {
      this.dropped = null;
      return true;
    }
    return false;
  }

  /** Forgets everything (focus left; the remote side gets a release-all). */
  reset(): void {
    if (this.held) this.unschedule(this.held.timer);
    this.held = null;
    this.dropped = null;
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
