/**
 * The agent's side of one peer connection to the console: what the console
 * may see and do, as the user allowed it. With `view`: the screen (of the
 * chosen monitor), the pointer and the monitor list; with `control`: input
 * and the clipboard, both ways. Nothing else reaches the console, whatever
 * it sends, and taking consent back stops it at once.
 *
 * The link says hello (its PROTOCOL_VERSION) first and starts nothing until
 * the console's hello shows the same version: a console of another version
 * would not understand the screen, nor the agent its input. A mismatch, or a
 * console that says no hello in time, ends the link with an error to both.
 */
import { decodeChannelMessage, encodeControl, helloProblem, PROTOCOL_VERSION, type ControlMessage, type QualityMode } from '../../shared/channel.js';
import { LIMITS } from '../../shared/limits.js';
import type { Consent } from '../../shared/protocol.js';
import type { ClipboardSelection, CopiedText, Desktop, Disposer, Layout, Rect } from './platform/types.js';
import { CursorRelay } from './screen/cursor-relay.js';
import { ScreenStreamer } from './screen/streamer.js';

export interface ConsoleLinkOptions {
  desktop: Desktop;
  send: (msg: Uint8Array) => void;
  /** Bytes queued on the channel (screen frames wait while it is high). */
  bufferedAmount?: () => number;
  log: (msg: string) => void;
  /** How long the console has to say hello (consoles from before hellos never do). */
  helloTimeoutMs?: number;
}

const HELLO_TIMEOUT_MS = 5000;

type Input = Extract<ControlMessage, { t: 'pointer' | 'button' | 'wheel' | 'key' | 'release-all' }>;

const ALL = 'all';

export class ConsoleLink {
  private consent: Consent = { view: false, control: false };
  private layout: Layout | null = null;
  private selected = ALL;
  private quality: QualityMode = 'auto';
  private streamer: ScreenStreamer | null = null;
  private cursor: CursorRelay | null = null;
  private viewDisposers: Disposer[] = [];
  /** Bumped when viewing stops: a start still waiting for the layout then does nothing. */
  private viewRun = 0;
  private stopClipboard: Disposer | null = null;
  /** The console's messages, handled in arrival order. */
  private inbox: Promise<void> = Promise.resolve();
  /** Per selection, the text last sent or received: it never goes back where it came from. */
  private readonly synced = new Map<ClipboardSelection, string>();
  private lastRefusal = 0;
  private notHolder = false;
  private closed = false;
  /** The console said hello in this link's version: what consent allows may start. */
  private agreed = false;
  private helloTimer: NodeJS.Timeout | null;

  constructor(private readonly opts: ConsoleLinkOptions) {
    this.sendControl({ t: 'hello', version: PROTOCOL_VERSION });
    this.helloTimer = setTimeout(() => {
      this.helloTimer = null;
      if (!this.agreed) this.mismatch(`The console sent no hello within ${opts.helloTimeoutMs ?? HELLO_TIMEOUT_MS} ms: it speaks an older screen protocol than version ${PROTOCOL_VERSION}. Update the older of the two.`);
    }, opts.helloTimeoutMs ?? HELLO_TIMEOUT_MS);
  }

  /**
   * Applies the user's consent (at once, in both directions) and tells the
   * console. `notHolder`: the user allowed control, but another technician of
   * a shared session holds it; refusals then say so.
   */
  setConsent(consent: Consent, notHolder = false): void {
    if (this.closed) return;
    this.notHolder = notHolder;
    const before = this.consent;
    this.consent = { ...consent };
    if (before.control && !consent.control) this.stopControl();
    if (before.view && !consent.view) this.stopView();
    this.sendControl({ t: 'consent', ...this.consent });
    if (!this.agreed) return; // the console's hello starts what consent allows
    if (!before.view && consent.view) void this.startView();
    if (!before.control && consent.control) this.startControl();
  }

  /**
   * One data-channel message from the console. Messages are handled one after
   * another, batches included: a key's release must not overtake its press
   * while the press waits on the X server.
   */
  receive(buf: Uint8Array): Promise<void> {
    const next = this.inbox.then(() => this.receiveNow(buf));
    this.inbox = next.catch((e: unknown) => this.opts.log(`a console message failed: ${e instanceof Error ? e.message : String(e)}`));
    return next;
  }

  private async receiveNow(buf: Uint8Array): Promise<void> {
    if (this.closed) return;
    const m = decodeChannelMessage(buf);
    if (!this.agreed) {
      const problem = helloProblem(m, 'console');
      if (problem) return this.mismatch(problem, m.kind === 'control' && m.msg.t === 'hello');
      this.agreed = true;
      this.clearHelloTimer();
      if (this.consent.view) void this.startView();
      if (this.consent.control) this.startControl();
      return;
    }
    if (m.kind === 'controls') {
      for (const msg of m.msgs) await this.handle(msg);
      return;
    }
    if (m.kind !== 'control') {
      this.opts.log(`dropped a data-channel message: ${m.kind === 'invalid' ? m.reason : `unexpected ${m.kind}`}`);
      return;
    }
    await this.handle(m.msg);
  }

  private async handle(msg: ControlMessage): Promise<void> {
    if (this.closed) return;
    try {
      switch (msg.t) {
        case 'ack':
          this.streamer?.ack(msg.frame, msg.heldMs);
          return;
        case 'refresh':
          this.streamer?.refresh();
          this.cursor?.refresh();
          return;
        case 'quality':
          this.quality = msg.mode;
          this.streamer?.setQuality(msg.mode);
          return;
        case 'monitor':
          await this.chooseMonitor(msg.id);
          return;
        case 'clipboard':
          if (!this.consent.control) {
            this.sendControl(this.notHolder
              ? { t: 'error', code: 'ERR_PERMISSION', message: 'Another technician has control, so the clipboard is not shared with you.' }
              : { t: 'error', code: 'ERR_CONSENT', message: 'The user has not allowed control, so the clipboard is not shared.' });
            return;
          }
          this.synced.set(msg.selection, msg.text);
          await this.opts.desktop.clipboard.write(msg.selection, msg.text);
          return;
        case 'pointer':
        case 'button':
        case 'wheel':
        case 'key':
        case 'release-all':
          if (!this.consent.control) return this.refuse();
          await this.inject(msg);
          return;
        default:
          return;
      }
    } catch (e) {
      this.opts.log(`${msg.t} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** The screen has a frame on its way (other traffic on the connection may want to let it pass). */
  screenBusy(): boolean {
    return this.streamer?.busy ?? false;
  }

  /** The peer connection is gone: stop everything and let go of held keys. */
  close(): void {
    if (this.closed) return;
    this.clearHelloTimer();
    this.stopView();
    // Only a link that had control has anything held down: a viewer's leaving must not release the holder's keys.
    if (this.consent.control) this.stopControl();
    this.closed = true;
  }

  /** The console speaks another protocol: says so to both and ends the link. */
  /**
   * `saidHello`: the console has hellos, so it knows ERR_PROTOCOL_VERSION; a
   * console from before them knows only the older codes, and would drop an
   * error with a code it does not have.
   */
  private mismatch(problem: string, saidHello = false): void {
    if (this.closed) return;
    this.opts.log(`console link closed: ${problem}`);
    this.sendControl({ t: 'error', code: saidHello ? 'ERR_PROTOCOL_VERSION' : 'ERR_BAD_MESSAGE', message: problem });
    this.close();
  }

  private clearHelloTimer(): void {
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.helloTimer = null;
  }

  private async startView(): Promise<void> {
    const run = ++this.viewRun;
    const { desktop } = this.opts;
    let layout: Layout;
    try {
      layout = await desktop.layout.query();
    } catch (e) {
      this.opts.log(`monitors unknown (${e instanceof Error ? e.message : String(e)}): streaming the whole screen`);
      layout = { width: desktop.screen.width, height: desktop.screen.height, monitors: [] };
    }
    if (run !== this.viewRun || this.closed) return;
    this.useLayout(layout);
    const area = this.area();
    this.streamer = new ScreenStreamer({
      source: desktop.screen,
      send: this.opts.send,
      bufferedAmount: this.opts.bufferedAmount,
      area,
      quality: this.quality,
    });
    this.cursor = new CursorRelay(desktop.cursor, this.opts.send, area);
    this.streamer.start();
    this.cursor.start();
    this.viewDisposers.push(desktop.layout.onChange((l) => this.relayout(l)));
  }

  private stopView(): void {
    this.viewRun++;
    this.streamer?.stop();
    this.cursor?.stop();
    this.streamer = null;
    this.cursor = null;
    for (const d of this.viewDisposers) d();
    this.viewDisposers = [];
  }

  /** Takes a layout and tells the console the monitors (the choice falls back to all when its monitor went away). */
  private useLayout(layout: Layout): void {
    this.layout = layout;
    if (!layout.monitors.some((m) => m.id === this.selected)) this.selected = ALL;
    this.sendControl({ t: 'monitors', monitors: layout.monitors.slice(0, 16), selected: this.selected });
  }

  private relayout(layout: Layout): void {
    if (!this.streamer) return;
    this.useLayout(layout);
    this.moveTo(this.area());
  }

  private async chooseMonitor(id: string): Promise<void> {
    if (!this.consent.view) return; // choosing is part of viewing
    if (!this.streamer) {
      // Viewing is starting: its layout check keeps the choice if the monitor exists.
      this.selected = id;
      return;
    }
    const run = this.viewRun;
    // Monitors defined by hand (xrandr --setmonitor) change without notice.
    const layout = await this.opts.desktop.layout.query();
    if (run !== this.viewRun || !this.streamer) return;
    if (id !== ALL && !layout.monitors.some((m) => m.id === id)) {
      this.sendControl({ t: 'error', code: 'ERR_NOT_FOUND', message: `There is no monitor "${id}" (any more).` });
    } else {
      this.selected = id;
    }
    this.useLayout(layout);
    this.moveTo(this.area());
  }

  private moveTo(area: Rect): void {
    this.streamer?.setArea(area);
    this.cursor?.setArea(area);
  }

  /** The streamed area: the chosen monitor, or the whole screen. */
  private area(): Rect {
    const layout = this.layout;
    const screen = this.opts.desktop.screen;
    const m = layout?.monitors.find((mon) => mon.id === this.selected);
    if (m) return { x: m.x, y: m.y, w: m.width, h: m.height };
    return { x: 0, y: 0, w: layout?.width ?? screen.width, h: layout?.height ?? screen.height };
  }

  private startControl(): void {
    this.stopClipboard = this.opts.desktop.clipboard.onCopy((c) => this.copied(c));
  }

  private stopControl(): void {
    this.stopClipboard?.();
    this.stopClipboard = null;
    void this.opts.desktop.input.releaseAll().catch(() => {});
  }

  /** Refusing a too-long text whole: a truncated paste (half a config file, a cut command) is worse than none. */
  private copied({ selection, text, truncated }: CopiedText): void {
    if (!this.consent.control || this.closed) return;
    if (truncated || text.length > LIMITS.clipboardChars) return this.tooLarge();
    if (this.synced.get(selection) === text) return;
    // JSON escapes control characters six bytes each: rare text of LIMITS.clipboardChars can outgrow a message.
    const msg = encodeControl({ t: 'clipboard', selection, text });
    if (msg.length > LIMITS.channelMessageBytes) return this.tooLarge();
    this.synced.set(selection, text);
    this.opts.send(msg);
  }

  private tooLarge(): void {
    this.sendControl({
      t: 'error',
      code: 'ERR_MESSAGE_TOO_LARGE',
      message: `The user copied more than ${LIMITS.clipboardChars} characters; the clipboard is shared only up to that size.`,
    });
  }

  private async inject(msg: Input): Promise<void> {
    const input = this.opts.desktop.input;
    switch (msg.t) {
      case 'pointer': {
        // Pointer coordinates are the streamed area's.
        const a = this.area();
        return input.pointerMove(a.x + Math.min(msg.x, a.w - 1), a.y + Math.min(msg.y, a.h - 1));
      }
      case 'button': return input.button(msg.button, msg.down);
      case 'wheel': return input.wheel(msg.dx, msg.dy);
      case 'key': return input.key(msg.keysym, msg.down);
      case 'release-all': return input.releaseAll();
    }
  }

  /** Tells the console (at most once a second) that input was refused. */
  private refuse(): void {
    const now = Date.now();
    if (now - this.lastRefusal < 1000) return;
    this.lastRefusal = now;
    this.sendControl(this.notHolder
      ? { t: 'error', code: 'ERR_PERMISSION', message: 'Another technician has control of this session.' }
      : { t: 'error', code: 'ERR_CONSENT', message: 'The user has not allowed remote control.' });
  }

  private sendControl(msg: ControlMessage): void {
    this.opts.send(encodeControl(msg));
  }
}
