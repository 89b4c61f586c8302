/**
 * Forwards the technician's mouse, wheel and keyboard to the agent while the
 * remote-screen canvas has focus. Native listeners rather than React props:
 * wheel must be non-passive to preventDefault, and the order of move vs.
 * button messages matters.
 */
import type { ControlMessage } from '../../../../shared/channel.js';
import type { Disposer } from '../../../../shared/console-contract.js';
import { mapToRemote, type Size } from './geometry.js';
import { buttonChanges, KeyTracker, PointerCoalescer, WheelAccumulator } from './input.js';

export interface ScreenInputOptions {
  send(msg: ControlMessage): void;
  /** Null until the agent has said how big its screen is; no input is sent before. */
  remoteSize(): Size | null;
}

export function attachScreenInput(canvas: HTMLCanvasElement, { send, remoteSize }: ScreenInputOptions): Disposer {
  const keys = new KeyTracker();
  const wheel = new WheelAccumulator();
  const moves = new PointerCoalescer(
    ({ x, y }) => send({ t: 'pointer', x, y }),
    (cb) => requestAnimationFrame(cb),
    (h) => cancelAnimationFrame(h),
  );
  let buttons = 0;

  const focused = () => document.activeElement === canvas;

  const position = (e: MouseEvent, clamp: boolean) => {
    const remote = remoteSize();
    if (!remote) return null;
    const r = canvas.getBoundingClientRect();
    return mapToRemote(e.clientX - r.left, e.clientY - r.top, { width: r.width, height: r.height }, remote, clamp);
  };

  /** Position first, then any button change, so a press lands where the pointer is. */
  const pointer = (e: PointerEvent) => {
    if (!focused()) return;
    const dragging = buttons !== 0 || e.buttons !== 0;
    const p = position(e, dragging);
    if (p) moves.move(p);
    const changes = buttonChanges(buttons, e.buttons);
    if (changes.length === 0) return;
    // A press outside the picture (on the letterbox bars) is not a remote click.
    if (!p && changes.some((c) => c.down)) return;
    moves.flush();
    buttons = e.buttons;
    for (const c of changes) send({ t: 'button', button: c.button, down: c.down });
  };

  const onPointerDown = (e: PointerEvent) => {
    e.preventDefault();
    canvas.focus({ preventScroll: true });
    canvas.setPointerCapture(e.pointerId);
    pointer(e);
  };
  const onPointerUp = (e: PointerEvent) => {
    pointer(e);
    if (canvas.hasPointerCapture(e.pointerId)) canvas.releasePointerCapture(e.pointerId);
  };
  const onPointerCancel = () => {
    for (const c of buttonChanges(buttons, 0)) send({ t: 'button', button: c.button, down: false });
    buttons = 0;
  };
  // Stops text selection, middle-click autoscroll and the context menu from acting on the page.
  const swallow = (e: Event) => e.preventDefault();

  const onWheel = (e: WheelEvent) => {
    if (!focused()) return;
    e.preventDefault();
    const p = position(e, false);
    if (!p) return;
    moves.move(p);
    moves.flush();
    const { dx, dy } = wheel.push(e, e.timeStamp);
    if (dx !== 0 || dy !== 0) send({ t: 'wheel', dx, dy });
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.isComposing) return;
    const keysym = keys.press(e);
    if (keysym === null) return;
    e.preventDefault();
    send({ t: 'key', keysym, down: true });
  };
  const onKeyUp = (e: KeyboardEvent) => {
    const keysym = keys.release(e);
    if (keysym === null) return;
    e.preventDefault();
    send({ t: 'key', keysym, down: false });
  };

  // Whatever is held when focus leaves (Alt+Tab, a click elsewhere) would otherwise stay held remotely.
  const onBlur = () => {
    moves.reset();
    keys.clear();
    buttons = 0;
    send({ t: 'release-all' });
  };

  const listeners: Array<[string, (e: never) => void, AddEventListenerOptions?]> = [
    ['pointermove', pointer],
    ['pointerdown', onPointerDown],
    ['pointerup', onPointerUp],
    ['pointercancel', onPointerCancel],
    ['mousedown', swallow],
    ['contextmenu', swallow],
    ['auxclick', swallow],
    ['wheel', onWheel, { passive: false }],
    ['keydown', onKeyDown],
    ['keyup', onKeyUp],
    ['blur', onBlur],
  ];
  for (const [type, fn, opts] of listeners) canvas.addEventListener(type, fn as EventListener, opts);

  let attached = true;
  return () => {
    if (!attached) return;
    attached = false;
    for (const [type, fn, opts] of listeners) canvas.removeEventListener(type, fn as EventListener, opts);
    moves.reset();
  };
}
