/**
 * Forwards the technician's mouse, wheel, keyboard and pastes to the agent
 * while the remote-screen canvas has focus, and nothing at all while the
 * view is view-only. Native listeners rather than React props: wheel must be
 * non-passive to preventDefault, and the order of move vs. button messages
 * matters.
 *
 * Nothing may stay held on the remote machine: whatever this side pressed is
 * released (one `release-all`) when the canvas loses focus, the window loses
 * focus, the page is hidden, view-only is switched on, or input is detached;
 * and a modifier whose keyup the technician's system swallowed is released
 * as soon as an event shows it up.
 */
import type { ControlMessage } from '../../../../shared/channel.js';
import { clipboardMessage } from '../clipboard/clipboard.js';
import { mapToRemote, type ScaleMode, type Size } from './geometry.js';
import { buttonChanges, isPasteShortcut, KeyTracker, PasteGate, PointerCoalescer, WheelAccumulator, type ModifierFlags } from './input.js';
import { chordMessages } from './special-keys.js';

export interface ScreenInputOptions {
  send(msg: ControlMessage): void;
  /** Null until the agent has said how big its screen is; no input is sent before. */
  remoteSize(): Size | null;
  scaleMode(): ScaleMode;
  /** False while view-only: no input of any kind is sent. */
  enabled(): boolean;
  /** A paste was not sent (too long): why, as a sentence for the technician. */
  onPasteRefused(problem: string): void;
}

export interface ScreenInput {
  /** Presses and releases a chord (the special-keys menu); nothing while view-only. */
  chord(keysyms: readonly number[]): void;
  /** Releases whatever this side holds pressed remotely (view-only was switched on). */
  releaseAll(): void;
  dispose(): void;
}

export function attachScreenInput(canvas: HTMLCanvasElement, options: ScreenInputOptions): ScreenInput {
  const { send, remoteSize, scaleMode, enabled } = options;
  const keys = new KeyTracker();
  const wheel = new WheelAccumulator();
  const moves = new PointerCoalescer(
    ({ x, y }) => send({ t: 'pointer', x, y }),
    (cb) => requestAnimationFrame(cb),
    (h) => cancelAnimationFrame(h),
  );
  /** Whether anything may be held remotely since the last release-all. */
  let pressed = false;
  const sendKey = (keysym: number, down: boolean) => {
    if (down) pressed = true;
    send({ t: 'key', keysym, down });
  };
  const paste = new PasteGate(sendKey, (cb, ms) => window.setTimeout(cb, ms), (h) => window.clearTimeout(h));
  let buttons = 0;

  const focused = () => document.activeElement === canvas;

  const releaseAll = () => {
    moves.reset();
    keys.clear();
    paste.reset();
    buttons = 0;
    if (!pressed) return;
    pressed = false;
    send({ t: 'release-all' });
  };

  const releaseStale = (e: ModifierFlags) => {
    for (const keysym of keys.releaseStale(e)) send({ t: 'key', keysym, down: false });
  };

  const position = (e: MouseEvent, clamp: boolean) => {
    const remote = remoteSize();
    if (!remote) return null;
    const r = canvas.getBoundingClientRect();
    return mapToRemote(e.clientX - r.left, e.clientY - r.top, { width: r.width, height: r.height }, remote, clamp, scaleMode());
  };

  /** Position first, then any button change, so a press lands where the pointer is. */
  const pointer = (e: PointerEvent) => {
    if (!focused() || !enabled()) return;
    const dragging = buttons !== 0 || e.buttons !== 0;
    const p = position(e, dragging);
    if (p) moves.move(p);
    const changes = buttonChanges(buttons, e.buttons);
    if (changes.length === 0) return;
    // A press outside the picture (on the letterbox bars) is not a remote click.
    if (!p && changes.some((c) => c.down)) return;
    releaseStale(e);
    moves.flush();
    buttons = e.buttons;
    for (const c of changes) {
      if (c.down) pressed = true;
      send({ t: 'button', button: c.button, down: c.down });
    }
  };

  const onPointerDown = (e: PointerEvent) => {
    canvas.focus({ preventScroll: true });
    if (!enabled()) return;
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    pointer(e);
  };
  const onPointerUp = (e: PointerEvent) => {
    pointer(e);
    if (canvas.hasPointerCapture(e.pointerId)) canvas.releasePointerCapture(e.pointerId);
  };
  const onPointerCancel = () => {
    if (enabled()) for (const c of buttonChanges(buttons, 0)) send({ t: 'button', button: c.button, down: false });
    buttons = 0;
  };
  // Stops text selection, middle-click autoscroll and the context menu from acting on the page.
  const swallow = (e: Event) => {
    if (enabled()) e.preventDefault();
  };

  const onWheel = (e: WheelEvent) => {
    // View-only: the wheel scrolls a 1:1 view as usual.
    if (!focused() || !enabled()) return;
    e.preventDefault();
    const p = position(e, false);
    if (!p) return;
    moves.move(p);
    moves.flush();
    const { dx, dy } = wheel.push(e, e.timeStamp);
    if (dx !== 0 || dy !== 0) send({ t: 'wheel', dx, dy });
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.isComposing || !enabled()) return;
    releaseStale(e);
    const id = e.code || e.key;
    if (paste.holding(id)) return;
    if (isPasteShortcut(e) && !e.repeat) {
      const keysym = keys.press(e);
      // Not prevented: the browser's default action is the paste event that carries the text.
      if (keysym !== null) paste.hold(id, keysym);
      return;
    }
    const keysym = keys.press(e);
    if (keysym === null) return;
    e.preventDefault();
    sendKey(keysym, true);
  };
  const onKeyUp = (e: KeyboardEvent) => {
    if (!enabled()) return;
    const keysym = keys.release(e);
    if (keysym !== null) {
      e.preventDefault();
      if (!paste.keyUp(e.code || e.key, keysym)) send({ t: 'key', keysym, down: false });
    }
    releaseStale(e);
  };

  const onPaste = (e: ClipboardEvent) => {
    if (!enabled()) return;
    e.preventDefault();
    const text = e.clipboardData?.getData('text/plain') ?? '';
    // Nothing as text (an image, say): the remote application pastes what its own clipboard holds.
    if (!text) return paste.release(true);
    const outcome = clipboardMessage(text);
    if (!outcome.ok) {
      options.onPasteRefused(outcome.problem);
      return paste.release(false);
    }
    send(outcome.msg);
    paste.release(true);
  };

  // Whatever is held when focus leaves (Alt+Tab, a click elsewhere) would otherwise stay held remotely.
  const onVisibility = () => {
    if (document.visibilityState === 'hidden') releaseAll();
  };

  const listeners: Array<[EventTarget, string, (e: never) => void, AddEventListenerOptions?]> = [
    [canvas, 'pointermove', pointer],
    [canvas, 'pointerdown', onPointerDown],
    [canvas, 'pointerup', onPointerUp],
    [canvas, 'pointercancel', onPointerCancel],
    [canvas, 'mousedown', swallow],
    [canvas, 'contextmenu', swallow],
    [canvas, 'auxclick', swallow],
    [canvas, 'wheel', onWheel, { passive: false }],
    [canvas, 'keydown', onKeyDown],
    [canvas, 'keyup', onKeyUp],
    [canvas, 'paste', onPaste],
    [canvas, 'blur', releaseAll],
    [window, 'blur', releaseAll],
    [document, 'visibilitychange', onVisibility],
  ];
  for (const [target, type, fn, opts] of listeners) target.addEventListener(type, fn as EventListener, opts);

  let attached = true;
  return {
    chord(keysyms) {
      if (!attached || !enabled()) return;
      for (const msg of chordMessages(keysyms)) send(msg);
    },
    releaseAll,
    dispose() {
      if (!attached) return;
      attached = false;
      for (const [target, type, fn, opts] of listeners) target.removeEventListener(type, fn as EventListener, opts);
      releaseAll();
    },
  };
}
