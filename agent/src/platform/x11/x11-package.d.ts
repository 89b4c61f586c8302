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
    type: number;
    [field: string]: unknown;
  }

  interface XClient extends EventEmitter {
    stream: EventEmitter;
    AllocID(): number;
    require(name: 'shm', cb: Callback<ShmExtension>): void;
    require(name: 'damage', cb: Callback<DamageExtension>): void;
    require(name: 'xtest', cb: Callback<XTestExtension>): void;
    require(name: 'fixes', cb: Callback<FixesExtension>): void;
    require(name: 'randr', cb: Callback<RandrExtension>): void;
    require(name: 'xinput', cb: Callback<XInputExtension>): void;
    /** Requests the package lacks are written by hand: the sequence number, the wire, the reply table. */
    seq_num: number;
    pack_stream: { put(b: Buffer): void; submit(expectsReply?: boolean): void };
    replies: Record<number, [(buf: Buffer, opt: number) => unknown, Callback<unknown>]>;
    GetImage(
      format: number, drawable: number, x: number, y: number, width: number, height: number, planeMask: number,
      cb: Callback<{ depth: number; data: Buffer }>,
    ): void;
    GetKeyboardMapping(firstKeycode: number, count: number, cb: Callback<number[][]>): void;
    ChangeKeyboardMapping(firstKeycode: number, keysymsPerKeycode: number, keysyms: number[]): void;
    SetInputFocus(window: number, revertTo: number): void;
    QueryPointer(window: number, cb: Callback<{ child: number; rootX: number; rootY: number; keyMask: number }>): void;
    GetWindowAttributes(window: number, cb: Callback<{ allEventMasks: number }>): void;
    GetGeometry(drawable: number, cb: Callback<{ xPos: number; yPos: number; width: number; height: number; borderWidth: number }>): void;
    QueryTree(window: number, cb: Callback<{ root: number; parent: number; children: number[] }>): void;
    ChangeWindowAttributes(window: number, values: { eventMask?: number }): void;
    CreateWindow(
      wid: number, parent: number, x: number, y: number, width: number, height: number,
      borderWidth: number, depth: number, windowClass: number, visual: number, values: { eventMask?: number },
    ): void;
    DestroyWindow(wid: number): void;
    InternAtom(onlyIfExists: boolean, name: string, cb: Callback<number>): void;
    GetAtomName(atom: number, cb: Callback<string>): void;
    /** mode 0 replace; format 8, 16 or 32 */
    ChangeProperty(mode: number, wid: number, property: number, type: number, format: number, data: Buffer | number[]): void;
    DeleteProperty(wid: number, property: number): void;
    GetProperty(
      del: number, wid: number, property: number, type: number, longOffset: number, longLength: number,
      cb: Callback<{ type: number; format: number; bytesAfter: number; data: Buffer }>,
    ): void;
    SetSelectionOwner(owner: number, selection: number, time: number): void;
    GetSelectionOwner(selection: number, cb: Callback<number>): void;
    ConvertSelection(requestor: number, selection: number, target: number, property: number, time: number): void;
    SendEvent(destination: number, propagate: number, eventMask: number, event: Record<string, unknown>): void;
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

  interface FixesExtension {
    firstEvent: number;
    SelectionEventMask: { SetSelectionOwner: number; SelectionWindowDestroy: number; SelectionClientClose: number };
    SelectSelectionInput(window: number, selection: number, eventMask: number): void;
    SelectCursorInput(window: number, eventMask: number): void;
    GetCursorImage(cb: Callback<CursorImageReply>): void;
  }

  interface CursorImageReply {
    x: number;
    y: number;
    width: number;
    height: number;
    xhot: number;
    yhot: number;
    cursorSerial: number;
    /** Premultiplied ARGB words. */
    cursorImage: Buffer;
  }

  interface RandrExtension {
    firstEvent: number;
    majorOpcode: number;
    major_version: number;
    minor_version: number;
    NotifyMask: { ScreenChange: number; CrtcChange: number; OutputChange: number };
    SelectInput(window: number, mask: number): void;
  }

  interface XInputExtension {
    xi2: { majorVersion: number; minorVersion: number } | null;
    AllMasterDevices: number;
    XISelectEvents(window: number, masks: { deviceId: number; mask: string[] | number }): void;
  }

  const x11: {
    createClient(options: { display?: string; shm?: boolean }, cb: Callback<XDisplay>): XClient;
  };
  export default x11;
  export type {
    XClient, XDisplay, XScreen, XEvent, ShmExtension, ShmSegment, DamageExtension, XTestExtension,
    FixesExtension, CursorImageReply, RandrExtension, XInputExtension,
  };
}
