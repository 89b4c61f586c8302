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

/** Pixels of one captured rectangle, tightly packed RGBA (4 bytes per pixel, alpha 255). */
export interface CapturedRect {
  rect: Rect;
  rgba: Buffer;
}

export interface ScreenSource {
  readonly width: number;
  readonly height: number;
  /**
   * Reports regions that changed on screen (push, never polling). The first
   * report after subscribing covers the whole screen.
   */
  onDamage(listener: (rects: Rect[]) => void): Disposer;
  /** Reads the current pixels of `rect` (clipped to the screen). */
  capture(rect: Rect): Promise<CapturedRect>;
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
