/**
 * Platform backends. Linux/X11 is built and tested here; Windows and macOS
 * backends come later behind the same interfaces.
 */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export type Disposer = () => void;

/**
 * Pixels of one captured rectangle, tightly packed, 4 bytes a pixel: RGBA
 * with alpha 255, or with `order: 'bgrx'` the X server's own order (32-bit
 * little-endian 0xXXRRGGBB words; the X byte means nothing).
 */
export interface CapturedRect {
  rect: Rect;
  rgba: Buffer;
  order?: PixelOrder;
}

export type PixelOrder = 'rgba' | 'bgrx';

/**
 * A window moved without changing size: the pixels shown at `from` may now
 * be at `to` (screen coordinates, borders included). Only a hint: whatever
 * was on top of the window, or drawn into it meanwhile, is not accounted
 * for, so a user compares the pixels before copying.
 */
export interface WindowMove {
  from: Rect;
  to: Rect;
}

export interface ScreenSource {
  /** The current size: it may change (a monitor plugged in); DisplayLayout reports when. */
  readonly width: number;
  readonly height: number;
  /**
   * Reports regions that changed on screen (push, never polling). The first
   * report after subscribing covers the whole screen. A source that can tell
   * which windows moved passes those moves along, in the order they happened,
   * with the damage they caused (which still covers their old and new places).
   */
  onDamage(listener: (rects: Rect[], moves?: readonly WindowMove[]) => void): Disposer;
  /** Reads the current pixels of `rect` (clipped to the screen). */
  capture(rect: Rect): Promise<CapturedRect>;
  /**
   * Like capture, but the pixels stay in the source's own order and land at
   * the start of `into` (at least rect.w * rect.h * 4 bytes): no conversion
   * and no allocation, which a full screen every frame otherwise costs.
   */
  captureInto?(rect: Rect, into: Buffer): Promise<CapturedRect>;
  close(): Promise<void>;
}

/** Buttons: 1 left, 2 middle, 3 right (X11 numbering). */
export interface InputSink {
  pointerMove(x: number, y: number): Promise<void>;
  button(button: number, down: boolean): Promise<void>;
  /** Positive dy scrolls down, positive dx scrolls right; one unit is one wheel notch. */
  wheel(dx: number, dy: number): Promise<void>;
  /** Presses or releases the key that produces `keysym`, whatever the local keyboard layout. */
  key(keysym: number, down: boolean): Promise<void>;
  /** Releases every key and button this sink pressed and still holds. */
  releaseAll(): Promise<void>;
  close(): Promise<void>;
}

/** A pointer shape: straight (not premultiplied) RGBA, `serial` unique per shape on this display. */
export interface CursorImage {
  serial: number;
  width: number;
  height: number;
  hotX: number;
  hotY: number;
  rgba: Buffer;
}

export interface CursorSource {
  /** Reports the shape now and whenever the displayed shape changes. */
  onShape(listener: (cursor: CursorImage) => void): Disposer;
  /**
   * Reports the pointer position (screen coordinates) now and whenever it
   * moves, at most about once per display frame; nothing while it rests.
   */
  onPosition(listener: (x: number, y: number) => void): Disposer;
}

export interface MonitorInfo {
  /** Stable while the monitor exists (X11: the RandR monitor name). */
  id: string;
  name: string;
  x: number;
  y: number;
  width: number;
  height: number;
  primary: boolean;
}

export interface Layout {
  width: number;
  height: number;
  /** At least one; together they need not cover the whole screen. */
  monitors: MonitorInfo[];
}

export interface DisplayLayout {
  /** Asks the display system now (not every change is announced). */
  query(): Promise<Layout>;
  /** Reports a new layout after the screen size or the monitors changed. */
  onChange(listener: (layout: Layout) => void): Disposer;
}

export type ClipboardSelection = 'clipboard' | 'primary';

export interface CopiedText {
  selection: ClipboardSelection;
  text: string;
  /** Set when the text was longer than the backend reads: `text` is then only its beginning. */
  truncated: boolean;
}

export interface Clipboard {
  /** Reports text copied on this machine from now on, never what write() put there. */
  onCopy(listener: (copied: CopiedText) => void): Disposer;
  /** Makes `text` what the next paste from `selection` gives, until something else is copied. */
  write(selection: ClipboardSelection, text: string): Promise<void>;
  close(): Promise<void>;
}

/** Everything a remote-support session reaches on the user's machine. */
export interface Desktop {
  screen: ScreenSource;
  input: InputSink;
  cursor: CursorSource;
  layout: DisplayLayout;
  clipboard: Clipboard;
}
