import type { XEvent } from 'x11';
import type { Rect, WindowMove } from '../types.js';
import type { XConnection } from './connection.js';

const SUBSTRUCTURE_NOTIFY = 0x00080000;
/** Top-level windows followed at most; a desktop has tens. */
const MAX_WINDOWS = 4096;

/**
 * Follows where the root window's children (the top-level windows, or a
 * window manager's frames) are, and reports each one that moved without
 * changing size. Selecting SubstructureNotify on the root replaces this
 * client's core event mask there, which nothing else in the agent uses.
 */
export class X11WindowMoves {
  private readonly windows = new Map<number, Rect>();
  private readonly stopEvents: () => void;
  private stopped = false;

  constructor(
    private readonly conn: XConnection,
    private readonly onMove: (move: WindowMove) => void,
  ) {
    const root = conn.screen.root;
    this.stopEvents = conn.onEvent((ev) => this.onEvent(ev));
    conn.X.ChangeWindowAttributes(root, { eventMask: SUBSTRUCTURE_NOTIFY });
    // Windows that exist already: without their places, their first move would go unseen.
    void this.learn(root).catch((err: unknown) => console.warn('x11 screen: listing top-level windows failed:', err));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopEvents();
    this.windows.clear();
    if (!this.conn.closed) this.conn.X.ChangeWindowAttributes(this.conn.screen.root, { eventMask: 0 });
  }

  private async learn(root: number): Promise<void> {
    const { X } = this.conn;
    const tree = await this.conn.request<{ children: number[] }>('QueryTree', (cb) => X.QueryTree(root, cb));
    await Promise.all(
      tree.children.slice(0, MAX_WINDOWS).map(async (wid) => {
        // A window may be destroyed before the reply: its error only means there is nothing to follow.
        const g = await this.conn.request<{ xPos: number; yPos: number; width: number; height: number; borderWidth: number }>('GetGeometry', (cb) => X.GetGeometry(wid, cb)).catch(() => null);
        // An event since the listing is newer than this reply.
        if (g && !this.stopped && !this.windows.has(wid)) this.windows.set(wid, outer(g.xPos, g.yPos, g.width, g.height, g.borderWidth));
      }),
    );
  }

  private onEvent(ev: XEvent): void {
    const root = this.conn.screen.root;
    if (ev.name === 'ConfigureNotify' && ev.wid === root) {
      const wid = ev.wid1 as number;
      const to = outer(ev.x as number, ev.y as number, ev.width as number, ev.height as number, ev.borderWidth as number);
      const from = this.windows.get(wid);
      if (from || this.windows.size < MAX_WINDOWS) this.windows.set(wid, to);
      if (from && from.w === to.w && from.h === to.h && (from.x !== to.x || from.y !== to.y)) this.onMove({ from, to });
    } else if (ev.name === 'CreateNotify' && ev.parent === root) {
      if (this.windows.size < MAX_WINDOWS) {
        this.windows.set(ev.wid as number, outer(ev.x as number, ev.y as number, ev.width as number, ev.height as number, ev.borderWidth as number));
      }
    } else if (ev.name === 'DestroyNotify' && ev.event === root) {
      this.windows.delete(ev.wid as number);
    } else if (ev.name === 'ReparentNotify' && ev.event === root && ev.parent !== root) {
      // Taken in by a window manager's frame: the frame is what moves from now on.
      this.windows.delete(ev.wid as number);
    }
  }
}

function outer(x: number, y: number, width: number, height: number, border: number): Rect {
  return { x, y, w: width + 2 * border, h: height + 2 * border };
}
