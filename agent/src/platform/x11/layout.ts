import type { RandrExtension, XEvent } from 'x11';
import type { Disposer, DisplayLayout, Layout, MonitorInfo } from '../types.js';
import type { XConnection } from './connection.js';

const RR_GET_MONITORS = 42;
/** RRScreenChangeNotify is firstEvent + 0, RRNotify (CRTC and output changes) + 1. */
const RR_EVENTS = 2;
/** Changes come in bursts (a CRTC, its output, the screen): look once they are all in. */
const SETTLE_MS = 50;

interface RawMonitor {
  name: number;
  primary: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The monitors worth offering: clipped to the screen, one per distinct
 * rectangle, left to right. A monitor covering the whole screen next to
 * others is what streaming everything already shows (Xvfb keeps one for its
 * output beside any defined with `xrandr --setmonitor ... none`).
 */
export function normalizeMonitors(monitors: MonitorInfo[], width: number, height: number): MonitorInfo[] {
  const clipped: MonitorInfo[] = [];
  for (const m of [...monitors].sort((a, b) => Number(b.primary) - Number(a.primary))) {
    const x = Math.max(0, m.x);
    const y = Math.max(0, m.y);
    const w = Math.min(width, m.x + m.width) - x;
    const h = Math.min(height, m.y + m.height) - y;
    if (w <= 0 || h <= 0) continue;
    if (clipped.some((c) => c.x === x && c.y === y && c.width === w && c.height === h)) continue;
    clipped.push({ ...m, x, y, width: w, height: h });
  }
  const parts = clipped.length > 1 ? clipped.filter((m) => m.width < width || m.height < height) : clipped;
  const out = parts.length > 0 ? parts : [{ id: 'screen', name: 'Screen', x: 0, y: 0, width, height, primary: true }];
  return out.sort((a, b) => a.x - b.x || a.y - b.y);
}

/**
 * Screen size and monitors from RandR (RRGetMonitors, RandR 1.5), re-read on
 * its change events. Monitors defined with `xrandr --setmonitor` change
 * without any event, so query() always asks the server.
 */
export class X11Layout implements DisplayLayout {
  private readonly listeners = new Set<(layout: Layout) => void>();
  private readonly stopEvents: () => void;
  private last: string;
  private settle: NodeJS.Timeout | null = null;

  private constructor(
    private readonly conn: XConnection,
    private readonly randr: RandrExtension | null,
    initial: Layout,
  ) {
    this.last = JSON.stringify(initial);
    this.stopEvents = conn.onEvent((ev: XEvent) => {
      if (!randr || ev.type < randr.firstEvent || ev.type >= randr.firstEvent + RR_EVENTS) return;
      this.settle ??= setTimeout(() => {
        this.settle = null;
        void this.query().catch((err) => console.error('x11 layout:', (err as Error).message));
      }, SETTLE_MS);
    });
  }

  static async create(conn: XConnection): Promise<X11Layout> {
    let randr: RandrExtension | null = null;
    try {
      randr = await conn.request<RandrExtension>('RANDR extension', (cb) => conn.X.require('randr', cb));
      const { ScreenChange, CrtcChange, OutputChange } = randr.NotifyMask;
      randr.SelectInput(conn.screen.root, ScreenChange | CrtcChange | OutputChange);
    } catch (err) {
      console.warn(`x11 layout: no RandR on ${conn.name} (${(err as Error).message}): one screen, no monitors`);
    }
    const layout = new X11Layout(conn, randr, { width: 0, height: 0, monitors: [] });
    await layout.query();
    return layout;
  }

  async query(): Promise<Layout> {
    const { X, screen } = this.conn;
    const geometry = await this.conn.request<{ width: number; height: number }>('GetGeometry', (cb) => X.GetGeometry(screen.root, cb));
    const monitors = this.randr && (this.randr.major_version > 1 || this.randr.minor_version >= 5) ? await this.monitors() : [];
    const layout: Layout = { width: geometry.width, height: geometry.height, monitors: normalizeMonitors(monitors, geometry.width, geometry.height) };
    const key = JSON.stringify(layout);
    if (key !== this.last) {
      this.last = key;
      this.conn.resized(layout.width, layout.height);
      for (const l of this.listeners) l(layout);
    }
    return layout;
  }

  onChange(listener: (layout: Layout) => void): Disposer {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  close(): void {
    this.stopEvents();
    if (this.settle) clearTimeout(this.settle);
    this.listeners.clear();
  }

  private async monitors(): Promise<MonitorInfo[]> {
    const raw = await this.conn.request<RawMonitor[]>('RRGetMonitors', (cb) => this.getMonitors(cb));
    return Promise.all(
      raw.map(async (m) => {
        // The console takes names of up to 64 characters; RandR's are connector names like "DP-1".
        const name = (await this.conn.request<string>('GetAtomName', (cb) => this.conn.X.GetAtomName(m.name, cb))).slice(0, 64);
        return { id: name, name, x: m.x, y: m.y, width: m.width, height: m.height, primary: m.primary };
      }),
    );
  }

  /** The package has no RRGetMonitors: request and reply by hand (randrproto, RandR 1.5). */
  private getMonitors(cb: (err: Error | null, result: RawMonitor[]) => unknown): void {
    const { X } = this.conn;
    const req = Buffer.alloc(12);
    req.writeUInt8(this.randr!.majorOpcode, 0);
    req.writeUInt8(RR_GET_MONITORS, 1);
    req.writeUInt16LE(3, 2);
    req.writeUInt32LE(this.conn.screen.root, 4);
    req.writeUInt8(1, 8); // get-active: monitors as they are now, not as configured
    X.seq_num++;
    X.pack_stream.put(req);
    // The reply body starts after the 8-byte header: timestamp, nMonitors, nOutputs, 12 bytes pad, then the monitors.
    X.replies[X.seq_num] = [
      (buf): RawMonitor[] => {
        const out: RawMonitor[] = [];
        let at = 24;
        for (let i = 0, n = buf.readUInt32LE(4); i < n; i++) {
          out.push({
            name: buf.readUInt32LE(at),
            primary: buf[at + 4] === 1,
            x: buf.readInt16LE(at + 8),
            y: buf.readInt16LE(at + 10),
            width: buf.readUInt16LE(at + 12),
            height: buf.readUInt16LE(at + 14),
          });
          at += 24 + buf.readUInt16LE(at + 6) * 4; // and its outputs
        }
        return out;
      },
      cb as (err: Error | null, result: unknown) => unknown,
    ];
    X.pack_stream.submit(true);
  }
}
