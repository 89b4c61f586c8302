import { describe, expect, it, vi } from 'vitest';
import { buttonChanges, isPasteShortcut, KeyTracker, PasteGate, PointerCoalescer, WheelAccumulator, WHEEL_GESTURE_GAP_MS } from './input.js';

describe('buttons', () => {
  it('maps DOM buttons to X11 buttons: left 1, middle 2, right 3', () => {
    expect(buttonChanges(0, 1)).toEqual([{ button: 1, down: true }]);
    expect(buttonChanges(0, 4)).toEqual([{ button: 2, down: true }]);
    expect(buttonChanges(0, 2)).toEqual([{ button: 3, down: true }]);
    expect(buttonChanges(0, 8 | 16)).toEqual([{ button: 8, down: true }, { button: 9, down: true }]);
  });

  it('sees a second button pressed and released during a drag', () => {
    expect(buttonChanges(1, 3)).toEqual([{ button: 3, down: true }]);
    expect(buttonChanges(3, 1)).toEqual([{ button: 3, down: false }]);
    expect(buttonChanges(1, 1)).toEqual([]);
  });
});

describe('wheel', () => {
  it('one Chromium notch (100 px) is one unit, down positive', () => {
    const w = new WheelAccumulator();
    expect(w.push({ deltaX: 0, deltaY: 100, deltaMode: 0 }, 0)).toEqual({ dx: 0, dy: 1 });
    expect(w.push({ deltaX: 0, deltaY: -100, deltaMode: 0 }, 1000)).toEqual({ dx: 0, dy: -1 });
    expect(w.push({ deltaX: 0, deltaY: 300, deltaMode: 0 }, 2000)).toEqual({ dx: 0, dy: 3 });
  });

  it('a single small notch (X11 Chromium reports 53 px) still scrolls once', () => {
    const w = new WheelAccumulator();
    expect(w.push({ deltaX: 0, deltaY: 53, deltaMode: 0 }, 0).dy).toBe(1);
    expect(w.push({ deltaX: 0, deltaY: 53, deltaMode: 0 }, 1000).dy).toBe(1);
  });

  it('touchpad-sized deltas within a gesture accumulate into whole notches', () => {
    const w = new WheelAccumulator();
    const dys = [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10].map((d, i) => w.push({ deltaX: 0, deltaY: d, deltaMode: 0 }, i * 16).dy);
    // The first event scrolls once at once; the following 110 px make one more.
    expect(dys.reduce((a, b) => a + b, 0)).toBe(2);
  });

  it('a pause starts a new gesture and forgets the leftover', () => {
    const w = new WheelAccumulator();
    w.push({ deltaX: 0, deltaY: 150, deltaMode: 0 }, 0); // 1 notch, 50 left over
    expect(w.push({ deltaX: 0, deltaY: 60, deltaMode: 0 }, 10).dy).toBe(1);
    expect(w.push({ deltaX: 0, deltaY: -10, deltaMode: 0 }, 20 + WHEEL_GESTURE_GAP_MS).dy).toBe(-1);
  });

  it('line mode (Firefox, 3 lines per notch) and horizontal scrolling', () => {
    const w = new WheelAccumulator();
    expect(w.push({ deltaX: 3, deltaY: 3, deltaMode: 1 }, 0)).toEqual({ dx: 1, dy: 1 });
  });

  it('never asks for more than 100 units at once', () => {
    const w = new WheelAccumulator();
    expect(w.push({ deltaX: 0, deltaY: 1e6, deltaMode: 0 }, 0).dy).toBe(100);
    expect(w.push({ deltaX: 0, deltaY: 0, deltaMode: 0 }, 10).dy).toBe(1);
    expect(w.push({ deltaX: 0, deltaY: 0, deltaMode: 0 }, 20).dy).toBe(0);
  });
});

describe('keys', () => {
  it('a key is released with the keysym it was pressed with, even if Shift changed it meanwhile', () => {
    const k = new KeyTracker();
    expect(k.press({ key: 'a', code: 'KeyA' })).toBe(0x61);
    expect(k.press({ key: 'Shift', code: 'ShiftLeft' })).toBe(0xffe1);
    expect(k.release({ key: 'A', code: 'KeyA' })).toBe(0x61);
    expect(k.release({ key: 'Shift', code: 'ShiftLeft' })).toBe(0xffe1);
  });

  it('keys that have no keysym are not forwarded', () => {
    const k = new KeyTracker();
    expect(k.press({ key: 'Unidentified', code: '' })).toBeNull();
    expect(k.release({ key: 'Unidentified', code: '' })).toBeNull();
  });
});

describe('pointer coalescing', () => {
  function setup() {
    const sent: Array<{ x: number; y: number }> = [];
    const frames: Array<() => void> = [];
    const c = new PointerCoalescer((p) => sent.push(p), (cb) => frames.push(cb), vi.fn());
    const frame = () => frames.splice(0).forEach((f) => f());
    return { c, sent, frames, frame };
  }

  it('sends only the newest position once per animation frame', () => {
    const { c, sent, frames, frame } = setup();
    c.move({ x: 1, y: 1 });
    c.move({ x: 2, y: 2 });
    c.move({ x: 3, y: 3 });
    expect(frames).toHaveLength(1);
    expect(sent).toEqual([]);
    frame();
    expect(sent).toEqual([{ x: 3, y: 3 }]);
    c.move({ x: 4, y: 4 });
    frame();
    expect(sent).toEqual([{ x: 3, y: 3 }, { x: 4, y: 4 }]);
  });

  it('flush sends the pending move at once (before a click), and the frame then sends nothing more', () => {
    const { c, sent, frame } = setup();
    c.move({ x: 5, y: 5 });
    c.flush();
    expect(sent).toEqual([{ x: 5, y: 5 }]);
    frame();
    expect(sent).toHaveLength(1);
  });

  it('re-sends an unchanged position before a click, since the remote pointer may have moved meanwhile', () => {
    const { c, sent, frame } = setup();
    c.move({ x: 5, y: 5 });
    frame();
    c.move({ x: 5, y: 5 });
    c.flush();
    expect(sent).toEqual([{ x: 5, y: 5 }, { x: 5, y: 5 }]);
  });

  it('reset drops a pending move', () => {
    const { c, sent, frame } = setup();
    c.move({ x: 5, y: 5 });
    c.reset();
    frame();
    expect(sent).toEqual([]);
  });
});

describe('modifiers never stuck', () => {
  const up = { shiftKey: false, ctrlKey: false, altKey: false };

  it('a modifier whose keyup was lost is released when an event shows it up', () => {
    const k = new KeyTracker();
    k.press({ key: 'Control', code: 'ControlLeft' });
    k.press({ key: 'Alt', code: 'AltLeft' });
    k.press({ key: 'a', code: 'KeyA' });
    expect(k.releaseStale({ ...up, ctrlKey: true, altKey: true })).toEqual([]);
    expect(k.releaseStale({ ...up, ctrlKey: true })).toEqual([0xffe9]);
    expect(k.releaseStale(up)).toEqual([0xffe3]);
    // Ordinary keys are left alone, and a released modifier is not released twice.
    expect(k.releaseStale(up)).toEqual([]);
    expect(k.release({ key: 'a', code: 'KeyA' })).toBe(0x61);
  });

  it('AltGr and the Super key are not second-guessed (platforms report them differently)', () => {
    const k = new KeyTracker();
    k.press({ key: 'AltGraph', code: 'AltRight' });
    k.press({ key: 'Meta', code: 'MetaLeft' });
    expect(k.releaseStale(up)).toEqual([]);
  });
});

describe('paste', () => {
  const key = (over: Partial<{ key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean }>) => ({
    key: 'v', ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...over,
  });

  it('recognises Ctrl+V, Ctrl+Shift+V, Shift+Insert and Cmd+V, not V or AltGr combinations', () => {
    expect(isPasteShortcut(key({ ctrlKey: true }))).toBe(true);
    expect(isPasteShortcut(key({ ctrlKey: true, shiftKey: true, key: 'V' }))).toBe(true);
    expect(isPasteShortcut(key({ shiftKey: true, key: 'Insert' }))).toBe(true);
    expect(isPasteShortcut(key({ metaKey: true }))).toBe(true);
    expect(isPasteShortcut(key({}))).toBe(false);
    expect(isPasteShortcut(key({ ctrlKey: true, altKey: true }))).toBe(false);
    expect(isPasteShortcut(key({ key: 'Insert' }))).toBe(false);
  });

  function gate() {
    const sent: string[] = [];
    const timers = new Map<number, () => void>();
    let next = 1;
    const g = new PasteGate(
      (k, down) => sent.push(`${down ? '+' : '-'}${k.toString(16)}`),
      (cb) => {
        timers.set(next, cb);
        return next++;
      },
      (h) => timers.delete(h),
    );
    const expire = () => {
      for (const [h, cb] of [...timers]) {
        timers.delete(h);
        cb();
      }
    };
    return { g, sent, timers, expire };
  }

  it('holds the V press until the paste event, then forwards it: the text goes first', () => {
    const { g, sent, timers } = gate();
    g.hold('KeyV', 0x76);
    expect(g.holding('KeyV')).toBe(true);
    expect(sent).toEqual([]);
    sent.push('clipboard');
    g.release(true);
    expect(timers.size).toBe(0);
    expect(g.keyUp('KeyV', 0x76)).toBe(false);
    expect(sent).toEqual(['clipboard', '+76']);
  });

  it('without a paste event the press goes on after a short wait, or at its keyup', () => {
    const { g, sent, expire } = gate();
    g.hold('KeyV', 0x76);
    expire();
    expect(sent).toEqual(['+76']);
    g.hold('Insert', 0xff63);
    expect(g.keyUp('Insert', 0xff63)).toBe(true);
    expect(sent).toEqual(['+76', '+ff63', '-ff63']);
  });

  it('a refused paste drops the press and swallows its release', () => {
    const { g, sent } = gate();
    g.hold('KeyV', 0x76);
    g.release(false);
    expect(g.keyUp('KeyV', 0x76)).toBe(true);
    expect(sent).toEqual([]);
    expect(g.keyUp('KeyV', 0x76)).toBe(false);
  });

  it('reset forgets a held press without sending it', () => {
    const { g, sent, timers } = gate();
    g.hold('KeyV', 0x76);
    g.reset();
    expect(timers.size).toBe(0);
    expect(g.keyUp('KeyV', 0x76)).toBe(false);
    expect(sent).toEqual([]);
  });
});
