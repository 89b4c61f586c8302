import type { FixesExtension, XEvent } from 'x11';
import type { Clipboard, ClipboardSelection, CopiedText, Disposer } from '../types.js';
import type { XConnection } from './connection.js';

// Predefined atoms (X protocol, appendix B).
const PRIMARY = 1;
const ATOM = 4;
const STRING = 31;
const ANY_PROPERTY_TYPE = 0;
const INPUT_ONLY = 2;
const PROPERTY_CHANGE_MASK = 0x400000;
const PROPERTY_NEW_VALUE = 0;
/** XFIXES SelectionNotify is its firstEvent + 0; the core event of the same name is 31. */
const FIXES_SELECTION_NOTIFY = 0;
const CORE_SELECTION_NOTIFY = 31;
/** An owner that has not answered by then never will (it hung, or it is gone). */
const ANSWER_TIMEOUT_MS = 2000;

interface Atoms {
  CLIPBOARD: number;
  UTF8_STRING: number;
  TARGETS: number;
  INCR: number;
  /** Where owners put what we asked for, on our window. */
  LIFELINE_SELECTION: number;
}

type Waiter = { match: (ev: XEvent) => boolean; resolve: (ev: XEvent) => void };

/** Characters outside Latin-1 become '?': STRING is Latin-1 by definition (ICCCM). */
const latin1 = (text: string) => Buffer.from(Array.from(text, (ch) => (ch.codePointAt(0)! > 0xff ? '?' : ch)).join(''), 'latin1');

/**
 * CLIPBOARD and PRIMARY through a window of our own: XFIXES reports every new
 * owner, and we ask it for UTF8_STRING (then STRING), INCR transfers
 * included; to paste from the console we become the owner and answer
 * TARGETS, UTF8_STRING and STRING. Reads stop at `maxBytes` (the rest is
 * reported as truncated, not fetched).
 */
export class X11Clipboard implements Clipboard {
  private readonly listeners = new Set<(copied: CopiedText) => void>();
  private readonly owned = new Map<ClipboardSelection, string>();
  private readonly waiters = new Set<Waiter>();
  private readonly stopEvents: () => void;
  /** Reads use one property on one window: one at a time. */
  private reading: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly conn: XConnection,
    private readonly fixes: FixesExtension,
    private readonly window: number,
    private readonly atoms: Atoms,
    private readonly maxBytes: number,
  ) {
    this.stopEvents = conn.onEvent((ev) => this.onEvent(ev));
  }

  static async create(conn: XConnection, { maxBytes }: { maxBytes: number }): Promise<X11Clipboard> {
    const fixes = await conn.request<FixesExtension>('XFIXES extension', (cb) => conn.X.require('fixes', cb));
    const intern = (name: string) => conn.request<number>(`InternAtom ${name}`, (cb) => conn.X.InternAtom(false, name, cb));
    const [CLIPBOARD, UTF8_STRING, TARGETS, INCR, LIFELINE_SELECTION] = await Promise.all(
      ['CLIPBOARD', 'UTF8_STRING', 'TARGETS', 'INCR', 'LIFELINE_SELECTION'].map(intern),
    );
    const window = conn.X.AllocID();
    // Never mapped: it only owns selections and receives what owners send.
    conn.X.CreateWindow(window, conn.screen.root, 0, 0, 1, 1, 0, 0, INPUT_ONLY, 0, { eventMask: PROPERTY_CHANGE_MASK });
    const atoms = { CLIPBOARD: CLIPBOARD!, UTF8_STRING: UTF8_STRING!, TARGETS: TARGETS!, INCR: INCR!, LIFELINE_SELECTION: LIFELINE_SELECTION! };
    return new X11Clipboard(conn, fixes, window, atoms, maxBytes);
  }

  onCopy(listener: (copied: CopiedText) => void): Disposer {
    this.listeners.add(listener);
    if (this.listeners.size === 1) this.watch(true);
    return () => {
      if (this.listeners.delete(listener) && this.listeners.size === 0 && !this.closed && !this.conn.closed) this.watch(false);
    };
  }

  async write(selection: ClipboardSelection, text: string): Promise<void> {
    this.conn.assertOpen();
    const atom = this.atom(selection);
    this.owned.set(selection, text);
    this.conn.X.SetSelectionOwner(this.window, atom, 0);
    const owner = await this.conn.request<number>('GetSelectionOwner', (cb) => this.conn.X.GetSelectionOwner(atom, cb));
    if (owner !== this.window) {
      this.owned.delete(selection);
      throw new Error(`could not take the ${selection} selection`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    this.stopEvents();
    for (const w of this.waiters) w.resolve({ name: 'closed', type: 0 });
    this.waiters.clear();
    if (!this.conn.closed) this.conn.X.DestroyWindow(this.window);
  }

  private watch(on: boolean): void {
    const { SetSelectionOwner, SelectionWindowDestroy, SelectionClientClose } = this.fixes.SelectionEventMask;
    const mask = on ? SetSelectionOwner | SelectionWindowDestroy | SelectionClientClose : 0;
    for (const atom of [this.atoms.CLIPBOARD, PRIMARY]) this.fixes.SelectSelectionInput(this.window, atom, mask);
  }

  private atom(selection: ClipboardSelection): number {
    return selection === 'clipboard' ? this.atoms.CLIPBOARD : PRIMARY;
  }

  private selectionOf(atom: unknown): ClipboardSelection | null {
    return atom === this.atoms.CLIPBOARD ? 'clipboard' : atom === PRIMARY ? 'primary' : null;
  }

  private onEvent(ev: XEvent): void {
    for (const w of this.waiters) {
      if (!w.match(ev)) continue;
      this.waiters.delete(w);
      w.resolve(ev);
    }
    if (ev.type === this.fixes.firstEvent + FIXES_SELECTION_NOTIFY) {
      const selection = this.selectionOf(ev.selection);
      // Our own ownership (what the console sent) is never reported back; nor is a selection that went away.
      if (!selection || ev.owner === this.window || ev.owner === 0 || this.listeners.size === 0) return;
      this.reading = this.reading.then(() => this.read(selection, ev.timestamp as number)).catch((err) => {
        if (!this.closed) console.error(`x11 clipboard: reading the ${selection} selection:`, (err as Error).message);
      });
    } else if (ev.name === 'SelectionRequest' && ev.owner === this.window) {
      this.answer(ev);
    } else if (ev.name === 'SelectionClear' && ev.owner === this.window) {
      const selection = this.selectionOf(ev.selection);
      if (selection) this.owned.delete(selection);
    }
  }

  private next(what: string, match: (ev: XEvent) => boolean): Promise<XEvent> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no ${what} within ${ANSWER_TIMEOUT_MS} ms`));
      }, ANSWER_TIMEOUT_MS);
      const waiter: Waiter = {
        match,
        resolve: (ev) => {
          clearTimeout(timer);
          resolve(ev);
        },
      };
      this.waiters.add(waiter);
    });
  }

  private async read(selection: ClipboardSelection, time: number): Promise<void> {
    for (const target of [this.atoms.UTF8_STRING, STRING]) {
      const got = await this.convert(selection, target, time);
      if (!got) continue;
      const text = target === STRING ? got.data.toString('latin1') : got.data.toString('utf8');
      if (this.closed) return;
      for (const l of this.listeners) l({ selection, text, truncated: got.truncated });
      return;
    }
  }

  /** Asks the owner for `target` into our property; null if it refuses. */
  private async convert(selection: ClipboardSelection, target: number, time: number): Promise<{ data: Buffer; truncated: boolean } | null> {
    const { X } = this.conn;
    const property = this.atoms.LIFELINE_SELECTION;
    const atom = this.atom(selection);
    const answered = this.next('answer from the selection owner', (ev) => ev.type === CORE_SELECTION_NOTIFY && ev.requestor === this.window && ev.selection === atom);
    X.ConvertSelection(this.window, atom, target, property, time);
    const ev = await answered;
    if (ev.property === 0 || ev.name === 'closed') return null;
    const longs = Math.ceil(this.maxBytes / 4);
    const prop = await this.getProperty(longs);
    if (prop.type === this.atoms.INCR) return this.readIncremental();
    // A partial read leaves the property in place: delete it ourselves.
    if (prop.bytesAfter > 0) X.DeleteProperty(this.window, property);
    return { data: prop.data.subarray(0, this.maxBytes), truncated: prop.bytesAfter > 0 || prop.data.length > this.maxBytes };
  }

  private getProperty(longs: number) {
    const { X } = this.conn;
    // Deleting as we read is also what tells an INCR owner to send its next piece.
    return this.conn.request<{ type: number; bytesAfter: number; data: Buffer }>('GetProperty', (cb) =>
      X.GetProperty(1, this.window, this.atoms.LIFELINE_SELECTION, ANY_PROPERTY_TYPE, 0, longs, cb),
    );
  }

  /**
   * ICCCM's INCR: the owner writes the text in pieces, each once we deleted
   * the last; an empty piece ends it. Pieces past maxBytes are still taken
   * (and dropped), or the owner would wait for us for ever.
   */
  private async readIncremental(): Promise<{ data: Buffer; truncated: boolean }> {
    const parts: Buffer[] = [];
    let size = 0;
    for (;;) {
      await this.next('piece of an incremental transfer', (ev) =>
        ev.name === 'PropertyNotify' && ev.wid === this.window && ev.atom === this.atoms.LIFELINE_SELECTION && ev.state === PROPERTY_NEW_VALUE,
      );
      const piece = await this.getProperty(0x1fffffff);
      if (piece.data.length === 0) break;
      if (size < this.maxBytes) parts.push(piece.data);
      size += piece.data.length;
    }
    return { data: Buffer.concat(parts).subarray(0, this.maxBytes), truncated: size > this.maxBytes };
  }

  private answer(ev: XEvent): void {
    const { X } = this.conn;
    const selection = this.selectionOf(ev.selection);
    const text = selection ? this.owned.get(selection) : undefined;
    const requestor = ev.requestor as number;
    const target = ev.target as number;
    // Obsolete clients name no property: the target's name is used then (ICCCM 2.2).
    const property = (ev.property as number) || target;
    let answered = text !== undefined;
    if (text === undefined) {
      // Not ours (any more): refuse.
    } else if (target === this.atoms.TARGETS) {
      X.ChangeProperty(0, requestor, property, ATOM, 32, [this.atoms.TARGETS, this.atoms.UTF8_STRING, STRING]);
    } else if (target === this.atoms.UTF8_STRING) {
      X.ChangeProperty(0, requestor, property, this.atoms.UTF8_STRING, 8, Buffer.from(text, 'utf8'));
    } else if (target === STRING) {
      X.ChangeProperty(0, requestor, property, STRING, 8, latin1(text));
    } else {
      answered = false;
    }
    X.SendEvent(requestor, 0, 0, {
      name: 'SelectionNotify',
      time: ev.time,
      requestor,
      selection: ev.selection,
      target,
      property: answered ? property : 0,
    });
  }
}
