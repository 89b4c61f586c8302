import type { XEvent, XTestExtension } from 'x11';
import type { InputSink } from '../types.js';
import type { XConnection } from './connection.js';
import { Keymap, pickSpareKeycode, type KeyLocation } from './keymap.js';

const SHIFT_L = 0xffe1;
const SHIFT_R = 0xffe2;
const POINTER_ROOT = 1;
const REVERT_TO_POINTER_ROOT = 1;
const SUBSTRUCTURE_REDIRECT_MASK = 0x100000;
const MAPPING_KEYBOARD = 1;

export class X11Input implements InputSink {
  // Every operation runs in call order: callers fire events without awaiting,
  // and a release must never overtake the press that is still resolving its key.
  private queue: Promise<unknown> = Promise.resolve();
  /** keysym -> the keycode its press went to, so the release matches even if the mapping changed since. */
  private readonly heldKeys = new Map<number, number>();
  private readonly heldButtons = new Set<number>();
  /** Keycodes we bound to keysyms the layout lacks (keycode -> keysym), least recently used first. */
  private readonly bound = new Map<number, number>();
  private keymap: Keymap | null = null;
  private mappingVersion = 0;
  private focusChosen = false;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly stopEvents: () => void;

  constructor(
    private readonly conn: XConnection,
    private readonly xtest: XTestExtension,
  ) {
    this.stopEvents = conn.onEvent((ev: XEvent) => {
      if (ev.name === 'MappingNotify' && ev.request === MAPPING_KEYBOARD) {
        this.mappingVersion++;
        this.keymap = null;
      }
    });
  }

  pointerMove(x: number, y: number): Promise<void> {
    return this.run(async () => {
      const { pixel_width: w, pixel_height: h, root } = this.conn.screen;
      const cx = Math.max(0, Math.min(w - 1, Math.round(x)));
      const cy = Math.max(0, Math.min(h - 1, Math.round(y)));
      this.xtest.FakeInput(this.xtest.MotionNotify, 0, 0, root, cx, cy);
    });
  }

  button(button: number, down: boolean): Promise<void> {
    return this.run(async () => {
      if (!Number.isInteger(button) || button < 1 || button > 9) throw new RangeError(`no such pointer button: ${button}`);
      // A repeated press or a stray release would desynchronise our record of what is held.
      if (down === this.heldButtons.has(button)) return;
      if (down) {
        await this.focusUnderPointer();
        this.heldButtons.add(button);
      } else {
        this.heldButtons.delete(button);
      }
      this.fake(down ? this.xtest.ButtonPress : this.xtest.ButtonRelease, button);
    });
  }

  wheel(dx: number, dy: number): Promise<void> {
    return this.run(async () => {
      // X reports wheel notches as clicks of buttons 4/5 (vertical) and 6/7 (horizontal).
      const click = (button: number, count: number) => {
        for (let i = 0; i < Math.min(Math.abs(Math.trunc(count)), 100); i++) {
          this.fake(this.xtest.ButtonPress, button);
          this.fake(this.xtest.ButtonRelease, button);
        }
      };
      click(dy > 0 ? 5 : 4, dy);
      click(dx > 0 ? 7 : 6, dx);
    });
  }

  key(keysym: number, down: boolean): Promise<void> {
    return this.run(async () => {
      if (!down) {
        const keycode = this.heldKeys.get(keysym);
        if (keycode === undefined) return;
        this.heldKeys.delete(keysym);
        this.fake(this.xtest.KeyRelease, keycode);
        return;
      }
      if (!this.focusChosen) await this.focusUnderPointer();
      const keymap = await this.loadKeymap();
      const key = this.locate(keymap, keysym);
      // A repeat (held key pressed again) normally hits the same key; if a remap moved it, let the old one go.
      const previous = this.heldKeys.get(keysym);
      if (previous !== undefined && previous !== key.keycode) this.fake(this.xtest.KeyRelease, previous);
      // Shift only around the press, and only if the console is not holding it already.
      const shiftHeld = this.heldKeys.has(SHIFT_L) || this.heldKeys.has(SHIFT_R);
      const shift = key.shift && !shiftHeld ? (keymap.locate(SHIFT_L) ?? keymap.locate(SHIFT_R)) : undefined;
      if (shift) this.fake(this.xtest.KeyPress, shift.keycode);
      this.fake(this.xtest.KeyPress, key.keycode);
      if (shift) this.fake(this.xtest.KeyRelease, shift.keycode);
      this.heldKeys.set(keysym, key.keycode);
    });
  }

  releaseAll(): Promise<void> {
    return this.run(async () => this.releaseHeld());
  }

  close(): Promise<void> {
    return (this.closing ??= this.enqueue(async () => {
      this.closed = true;
      this.stopEvents();
      if (this.conn.closed) return; // the server let go of everything already
      this.releaseHeld();
      // Give the borrowed keycodes back, unless someone remapped them meanwhile.
      const keymap = await this.loadKeymap();
      for (const [keycode, keysym] of this.bound) {
        if (keymap.keysyms(keycode)[0] !== keysym) continue;
        this.conn.X.ChangeKeyboardMapping(keycode, keymap.keysymsPerKeycode, new Array<number>(keymap.keysymsPerKeycode).fill(0));
      }
      this.bound.clear();
      await this.conn.X.sync();
    }));
  }

  private run(op: () => Promise<void>): Promise<void> {
    return this.enqueue(() => {
      if (this.closed) throw new Error('input sink is closed');
      this.conn.assertOpen();
      return op();
    });
  }

  private enqueue(op: () => Promise<void>): Promise<void> {
    const result = this.queue.then(op);
    this.queue = result.catch(() => {});
    return result;
  }

  private fake(type: number, detail: number): void {
    this.xtest.FakeInput(type, detail, 0, 0, 0, 0);
  }

  private releaseHeld(): void {
    for (const keycode of [...this.heldKeys.values()].reverse()) this.fake(this.xtest.KeyRelease, keycode);
    for (const button of this.heldButtons) this.fake(this.xtest.ButtonRelease, button);
    this.heldKeys.clear();
    this.heldButtons.clear();
  }

  /**
   * Without a window manager nobody moves the keyboard focus, so keys would
   * keep going wherever it last was. Play the window manager's part: focus the
   * top-level window under the pointer, as click-to-focus would.
   */
  private async focusUnderPointer(): Promise<void> {
    this.focusChosen = true;
    const { X } = this.conn;
    const root = this.conn.screen.root;
    const [attributes, pointer] = await Promise.all([
      this.conn.request<{ allEventMasks: number }>('GetWindowAttributes', (cb) => X.GetWindowAttributes(root, cb)),
      this.conn.request<{ child: number }>('QueryPointer', (cb) => X.QueryPointer(root, cb)),
    ]);
    if (attributes.allEventMasks & SUBSTRUCTURE_REDIRECT_MASK) return; // a window manager runs: focus is its call
    X.SetInputFocus(pointer.child || POINTER_ROOT, REVERT_TO_POINTER_ROOT);
  }

  private locate(keymap: Keymap, keysym: number): KeyLocation {
    const found = keymap.locate(keysym);
    if (found) {
      if (this.bound.delete(found.keycode)) this.bound.set(found.keycode, keysym);
      return found;
    }
    const keycode = pickSpareKeycode(keymap, this.bound.keys(), new Set(this.heldKeys.values()));
    if (keycode === undefined) throw new Error(`no spare keycode to type keysym 0x${keysym.toString(16)}`);
    const row = new Array<number>(Math.max(2, keymap.keysymsPerKeycode)).fill(0);
    // Same symbol shifted or not, so a Shift the console holds cannot change it.
    row[0] = row[1] = keysym;
    this.conn.X.ChangeKeyboardMapping(keycode, row.length, row);
    keymap.set(keycode, row);
    this.bound.delete(keycode);
    this.bound.set(keycode, keysym);
    return { keycode, shift: false };
  }

  private async loadKeymap(): Promise<Keymap> {
    if (this.keymap) return this.keymap;
    const version = this.mappingVersion;
    const { min_keycode: min, max_keycode: max } = this.conn.display;
    const rows = await this.conn.request<number[][]>('GetKeyboardMapping', (cb) =>
      this.conn.X.GetKeyboardMapping(min, max - min + 1, cb),
    );
    const keymap = new Keymap(min, rows);
    // A layout switch may have taken our keycodes back.
    for (const [keycode, keysym] of this.bound) if (keymap.keysyms(keycode)[0] !== keysym) this.bound.delete(keycode);
    // A MappingNotify handled while the reply was on its way may postdate it: then reload next time.
    if (version === this.mappingVersion) this.keymap = keymap;
    return keymap;
  }
}
