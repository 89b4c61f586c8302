// The `x11` package ships no types. This declares only the part of its API the
// X11 backend uses, as documented in node_modules/x11/docs.
declare module 'x11' {
  import type { EventEmitter } from 'node:events';

  type Callback<T> = (err: Error | null, result: T) => unknown;

  interface Visual {
    class: number;
    red_mask: number;
    green_mask: number;
    blue_mask: number;
  }

  interface XScreen {
    root: number;
    pixel_width: number;
    pixel_height: number;
    root_depth: number;
    root_visual: number;
    depths: Record<string, Record<string, Visual>>;
  }

  interface XDisplay {
    client: XClient;
    screen: XScreen[];
    min_keycode: number;
    max_keycode: number;
    /** 0 LSBFirst, 1 MSBFirst: the server's pixel byte order for GetImage. */
    image_byte_order: number;
    format: Record<string, { bits_per_pixel: number; scanline_pad: number }>;
  }

  interface XEvent {
    name: string;
    [field: string]: unknown;
  }

  interface XClient extends EventEmitter {
    stream: EventEmitter;
    AllocID(): number;
    require(name: 'shm', cb: Callback<ShmExtension>): void;
    require(name: 'damage', cb: Callback<DamageExtension>): void;
    require(name: 'xtest', cb: Callback<XTestExtension>): void;
    GetImage(
      format: number, drawable: number, x: number, y: number, width: number, height: number, planeMask: number,
      cb: Callback<{ depth: number; data: Buffer }>,
    ): void;
    GetKeyboardMapping(firstKeycode: number, count: number, cb: Callback<number[][]>): void;
    ChangeKeyboardMapping(firstKeycode: number, keysymsPerKeycode: number, keysyms: number[]): void;
    SetInputFocus(window: number, revertTo: number): void;
    QueryPointer(window: number, cb: Callback<{ child: number; rootX: number; rootY: number; keyMask: number }>): void;
    GetWindowAttributes(window: number, cb: Callback<{ allEventMasks: number }>): void;
    sync(): Promise<void>;
    sync(cb: (err: Error | null) => unknown): void;
    close(cb?: (err?: Error) => void): void;
    terminate(): void;
  }

  interface ShmSegment {
    buffer: Buffer;
    getImage(
      drawable: number, x: number, y: number, width: number, height: number, planeMask: number,
      format: number | undefined, offset: number, cb: Callback<{ depth: number; size: number }>,
    ): void;
    detach(cb?: () => void): void;
  }

  interface ShmExtension {
    usable(cb: Callback<boolean>): void;
    createSegment(size: number, cb: Callback<ShmSegment>): void;
  }

  interface DamageExtension {
    ReportLevel: { RawRectangles: number; DeltaRectangles: number; BoundingBox: number; NonEmpty: number };
    Create(damage: number, drawable: number, reportLevel: number): void;
    Destroy(damage: number): void;
    Subtract(damage: number, repair: number, parts: number): void;
  }

  interface XTestExtension {
    KeyPress: number;
    KeyRelease: number;
    ButtonPress: number;
    ButtonRelease: number;
    MotionNotify: number;
    FakeInput(type: number, detail: number, time: number, window: number, x: number, y: number): void;
  }

  const x11: {
    createClient(options: { display?: string; shm?: boolean }, cb: Callback<XDisplay>): XClient;
  };
  export default x11;
  export type { XClient, XDisplay, XScreen, XEvent, ShmExtension, ShmSegment, DamageExtension, XTestExtension };
}
