/**
 * What screen-input sends, driven with DOM-shaped events on a stand-in canvas
 * (the tests run without a browser): input goes out only while the canvas has
 * focus and control is on, and nothing stays held remotely once focus leaves.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ControlMessage } from '../../../../shared/channel.js';
import { attachScreenInput, type ScreenInput } from './screen-input.js';

const XK_A = 0x61;
const XK_SHIFT_L = 0xffe1;

/** The canvas as screen-input uses it: 400x300 CSS pixels showing a 800x600 remote screen. */
class StandInCanvas extends EventTarget {
  focus() {
    if (doc.activeElement === this) return;
    doc.activeElement = this;
    this.dispatchEvent(new Event('focus'));
  }
  blur() {
    if (doc.activeElement !== this) return;
    doc.activeElement = null;
    this.dispatchEvent(new Event('blur'));
  }
  getBoundingClientRect() {
    return { left: 0, top: 0, width: 400, height: 300 };
  }
  setPointerCapture() {}
  hasPointerCapture() {
    return false;
  }
  releasePointerCapture() {}
}

const doc = Object.assign(new EventTarget(), { activeElement: null as EventTarget | null, visibilityState: 'visible' });
const win = Object.assign(new EventTarget(), { setTimeout, clearTimeout });

function event(type: string, fields: Record<string, unknown>): Event {
  return Object.assign(new Event(type, { cancelable: true }), { shiftKey: false, ctrlKey: false, altKey: false, metaKey: false, ...fields });
}
const key = (type: 'keydown' | 'keyup', k: string, code: string, fields: Record<string, unknown> = {}) =>
  event(type, { key: k, code, repeat: false, isComposing: false, ...fields });
const pointer = (type: string, x: number, y: number, buttons: number) => event(type, { clientX: x, clientY: y, buttons, pointerId: 1 });

/** Animation frames requested and not yet run, by handle; `frame()` runs them. */
const frames = new Map<number, () => void>();
let lastFrame = 0;
const frame = () => {
  const due = [...frames.values()];
  frames.clear();
  for (const cb of due) cb();
};

let canvas: StandInCanvas;
let sent: ControlMessage[];
let enabled: boolean;
let input: ScreenInput;

beforeEach(() => {
  vi.stubGlobal('document', doc);
  vi.stubGlobal('window', win);
  frames.clear();
  vi.stubGlobal('requestAnimationFrame', (cb: () => void) => (frames.set(++lastFrame, cb), lastFrame));
  vi.stubGlobal('cancelAnimationFrame', (handle: number) => frames.delete(handle));
  doc.activeElement = null;
  canvas = new StandInCanvas();
  sent = [];
  enabled = true;
  input = attachScreenInput(canvas as unknown as HTMLCanvasElement, {
    send: (m) => sent.push(m),
    remoteSize: () => ({ width: 800, height: 600 }),
    scaleMode: () => 'fit',
    enabled: () => enabled,
    onPasteRefused: () => undefined,
  });
});

afterEach(() => {
  input.dispose();
  vi.unstubAllGlobals();
});

describe('screen input', () => {
  it('sends no pointer moves or wheel while the canvas does not have focus', () => {
    canvas.dispatchEvent(pointer('pointermove', 100, 100, 0));
    canvas.dispatchEvent(event('wheel', { clientX: 100, clientY: 100, deltaX: 0, deltaY: 100, deltaMode: 0 }));
    frame();
    expect(sent).toEqual([]);
  });

  it('a click focuses the canvas and lands where the pointer is, in remote pixels; moves follow while it has focus', () => {
    canvas.dispatchEvent(pointer('pointerdown', 100, 50, 1));
    canvas.dispatchEvent(pointer('pointerup', 100, 50, 0));
    // Moves wait for the next animation frame, and only the newest of them goes.
    canvas.dispatchEvent(pointer('pointermove', 120, 55, 0));
    canvas.dispatchEvent(pointer('pointermove', 150, 60, 0));
    frame();
    expect(doc.activeElement).toBe(canvas);
    expect(sent).toEqual([
      { t: 'pointer', x: 200, y: 100 },
      { t: 'button', button: 1, down: true },
      { t: 'pointer', x: 200, y: 100 },
      { t: 'button', button: 1, down: false },
      { t: 'pointer', x: 300, y: 120 },
    ]);
  });

  it('a key held when the canvas loses focus is released remotely, once; blurring with nothing held sends nothing', () => {
    canvas.focus();
    canvas.dispatchEvent(key('keydown', 'Shift', 'ShiftLeft', { shiftKey: true }));
    canvas.dispatchEvent(key('keydown', 'A', 'KeyA', { shiftKey: true }));
    canvas.blur();
    canvas.focus();
    canvas.blur();
    expect(sent).toEqual([
      { t: 'key', keysym: XK_SHIFT_L, down: true },
      { t: 'key', keysym: 0x41, down: true },
      { t: 'release-all' },
    ]);
  });

  it('the window losing focus or the page being hidden releases what is held', () => {
    canvas.focus();
    canvas.dispatchEvent(key('keydown', 'a', 'KeyA'));
    win.dispatchEvent(new Event('blur'));
    canvas.dispatchEvent(key('keydown', 'a', 'KeyA'));
    doc.visibilityState = 'hidden';
    doc.dispatchEvent(new Event('visibilitychange'));
    doc.visibilityState = 'visible';
    expect(sent).toEqual([
      { t: 'key', keysym: XK_A, down: true },
      { t: 'release-all' },
      { t: 'key', keysym: XK_A, down: true },
      { t: 'release-all' },
    ]);
  });

  it('view-only sends nothing at all: keys, clicks, chords', () => {
    enabled = false;
    canvas.dispatchEvent(pointer('pointerdown', 100, 50, 1));
    canvas.dispatchEvent(key('keydown', 'a', 'KeyA'));
    input.chord([0xffe3, 0xffe9, 0xffff]);
    expect(doc.activeElement).toBe(canvas);
    expect(sent).toEqual([]);
  });

  it('after dispose nothing is sent, and what was held is released', () => {
    canvas.focus();
    canvas.dispatchEvent(key('keydown', 'a', 'KeyA'));
    input.dispose();
    canvas.dispatchEvent(key('keydown', 'a', 'KeyA'));
    expect(sent).toEqual([{ t: 'key', keysym: XK_A, down: true }, { t: 'release-all' }]);
  });
});
