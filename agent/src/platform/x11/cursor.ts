import type { CursorImageReply, FixesExtension, XEvent, XInputExtension } from 'x11';
import type { CursorImage, CursorSource, Disposer } from '../types.js';
import type { XConnection } from './connection.js';

const DISPLAY_CURSOR_MASK = 1;
/** XFIXES events: SelectionNotify is firstEvent + 0 (and shares its name with the core event). */
const CURSOR_NOTIFY = 1;
/** About one display frame: a pointer moving continuously is reported at most this often. */
const POSITION_INTERVAL_MS = 16;

/** XFIXES hands out premultiplied ARGB words (bytes B, G, R, A); PNG wants straight RGBA. */
export function argbToRgba(argb: Buffer, count: number): Buffer {
  const out = Buffer.alloc(count * 4);
  for (let i = 0; i < count * 4; i += 4) {
    const a = argb[i + 3]!;
    if (a === 0) continue;
    const unpremultiply = (c: number) => Math.min(255, Math.round((c * 255) / a));
    out[i] = unpremultiply(argb[i + 2]!);
    out[i + 1] = unpremultiply(argb[i + 1]!);
    out[i + 2] = unpremultiply(argb[i]!);
    out[i + 3] = a;
  }
  return out;
}

/**
 * The pointer's shape (XFIXES: CursorNotify when the displayed cursor
 * changes, GetCursorImage for its pixels) and position (XInput 2 raw motion
 * wakes a QueryPointer, at most once per POSITION_INTERVAL_MS; nothing while
 * the pointer rests). Raw motion comes from devices and XTEST, not from
 * XWarpPointer: a pointer warped by a program shows at its next move.
 */
export class X11Cursor implements CursorSource {
  private readonly shapeListeners = new Set<(cursor: CursorImage) => void>();
  private readonly positionListeners = new Set<(x: number, y: number) => void>();
  private readonly stopEvents: () => void;
  private shape: CursorImage | null = null;
  private fetching = false;
  private fetchAgain = false;
  private shapeUnreadable = false;
  private position: { x: number; y: number } | null = null;
  private positionTimer: NodeJS.Timeout | null = null;
  private querying = false;
  private queryAgain = false;
  private lastQueryAt = -Infinity;

  private constructor(
    private readonly conn: XConnection,
    private readonly fixes: FixesExtension,
    private readonly xinput: XInputExtension | null,
  ) {
    this.stopEvents = conn.onEvent((ev: XEvent) => {
      if (ev.type === fixes.firstEvent + CURSOR_NOTIFY) {
        if (ev.cursorSerial !== this.shape?.serial) void this.fetchShape();
      } else if (ev.name === 'XIRawMotion') {
        this.moved();
      }
    });
  }

  static async create(conn: XConnection): Promise<X11Cursor> {
    const fixes = await conn.request<FixesExtension>('XFIXES extension', (cb) => conn.X.require('fixes', cb));
    let xinput: XInputExtension | null = null;
    try {
      const ext = await conn.request<XInputExtension>('XInput extension', (cb) => conn.X.require('xinput', cb));
      if (!ext.xi2) throw new Error('no XInput 2');
      xinput = ext;
    } catch (err) {
      console.warn(`x11 cursor: ${(err as Error).message} on ${conn.name}: the console sees the pointer only when its shape changes`);
    }
    return new X11Cursor(conn, fixes, xinput);
  }

  onShape(listener: (cursor: CursorImage) => void): Disposer {
    this.shapeListeners.add(listener);
    if (this.shapeListeners.size === 1) this.fixes.SelectCursorInput(this.conn.screen.root, DISPLAY_CURSOR_MASK);
    if (this.shape) {
      const current = this.shape;
      setImmediate(() => this.shapeListeners.has(listener) && listener(current));
    } else {
      void this.fetchShape();
    }
    return () => {
      if (!this.shapeListeners.delete(listener) || this.shapeListeners.size > 0 || this.conn.closed) return;
      this.fixes.SelectCursorInput(this.conn.screen.root, 0);
      // Without notifications the cached shape would go stale.
      this.shape = null;
    };
  }

  onPosition(listener: (x: number, y: number) => void): Disposer {
    this.positionListeners.add(listener);
    if (this.positionListeners.size === 1) this.selectMotion(['RawMotion']);
    // The current position, for this listener too.
    this.position = null;
    this.moved();
    return () => {
      if (!this.positionListeners.delete(listener) || this.positionListeners.size > 0) return;
      if (this.positionTimer) clearTimeout(this.positionTimer);
      this.positionTimer = null;
      if (!this.conn.closed) this.selectMotion([]);
    };
  }

  close(): void {
    this.stopEvents();
    if (this.positionTimer) clearTimeout(this.positionTimer);
    this.shapeListeners.clear();
    this.positionListeners.clear();
  }

  private selectMotion(events: string[]): void {
    this.xinput?.XISelectEvents(this.conn.screen.root, { deviceId: this.xinput.AllMasterDevices, mask: events });
  }

  private moved(): void {
    if (this.querying) {
      this.queryAgain = true;
      return;
    }
    if (this.positionTimer) return;
    const wait = Math.max(0, this.lastQueryAt + POSITION_INTERVAL_MS - Date.now());
    this.positionTimer = setTimeout(() => {
      this.positionTimer = null;
      void this.queryPosition();
    }, wait);
  }

  private async queryPosition(): Promise<void> {
    if (this.positionListeners.size === 0) return;
    this.querying = true;
    this.lastQueryAt = Date.now();
    try {
      const { X, screen } = this.conn;
      const p = await this.conn.request<{ rootX: number; rootY: number }>('QueryPointer', (cb) => X.QueryPointer(screen.root, cb));
      if (this.position?.x === p.rootX && this.position.y === p.rootY) return;
      this.position = { x: p.rootX, y: p.rootY };
      for (const l of this.positionListeners) l(p.rootX, p.rootY);
    } catch (err) {
      if (!this.conn.closed) console.error('x11 cursor: pointer position:', (err as Error).message);
    } finally {
      this.querying = false;
      if (this.queryAgain) {
        this.queryAgain = false;
        this.moved();
      }
    }
  }

  /** One GetCursorImage at a time; changes meanwhile (an animated cursor) fetch once more after it. */
  private async fetchShape(): Promise<void> {
    if (this.fetching) {
      this.fetchAgain = true;
      return;
    }
    this.fetching = true;
    try {
      const img = await this.conn.request<CursorImageReply>('XFIXES GetCursorImage', (cb) => this.fixes.GetCursorImage(cb));
      this.shapeUnreadable = false;
      if (img.cursorSerial === this.shape?.serial || this.shapeListeners.size === 0) return;
      const shape: CursorImage = {
        serial: img.cursorSerial,
        width: img.width,
        height: img.height,
        hotX: img.xhot,
        hotY: img.yhot,
        rgba: argbToRgba(img.cursorImage, img.width * img.height),
      };
      this.shape = shape;
      for (const l of this.shapeListeners) l(shape);
    } catch (err) {
      // The server refuses (BadAccess) the image of a cursor whose creator
      // has freed it and gone, as `xsetroot -cursor_name` does: the console
      // keeps the last shape it got.
      if (!this.conn.closed && !this.shapeUnreadable) console.warn('x11 cursor: shape not readable:', (err as Error).message);
      this.shapeUnreadable = true;
    } finally {
      this.fetching = false;
      if (this.fetchAgain) {
        this.fetchAgain = false;
        void this.fetchShape();
      }
    }
  }
}
