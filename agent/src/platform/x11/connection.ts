import x11 from 'x11';
import type { XClient, XDisplay, XEvent, XScreen } from 'x11';

/**
 * One X connection shared by capture and input, with promise-returning
 * requests. The package only calls back on a reply, so a request issued just
 * before the server goes away would never settle: pending requests are failed
 * when the connection ends instead.
 */
export class XConnection {
  private readonly pending = new Set<(err: Error) => void>();
  private lost: Error | null = null;

  private constructor(
    readonly X: XClient,
    readonly display: XDisplay,
    readonly name: string,
  ) {
    X.on('error', (err: Error) => console.error(`x11 ${name}:`, err.message));
    // 'close' comes after an orderly end and after a reset alike.
    X.stream.once('close', () => this.fail(new Error(`connection to X display ${name} lost`)));
  }

  /** `sharedMemory: false` turns MIT-SHM off, as on a display where it cannot work. */
  static open(display = process.env.DISPLAY, { sharedMemory = true } = {}): Promise<XConnection> {
    if (!display) return Promise.reject(new Error('no X display: DISPLAY is not set and none was given'));
    return new Promise((resolve, reject) => {
      const client = x11.createClient({ display, shm: sharedMemory }, (err, info) => {
        if (err) reject(new Error(`cannot connect to X display ${display}: ${err.message}`));
        else resolve(new XConnection(info.client, info, display));
      });
      // Connection-phase failures are also emitted; the callback above reports them.
      client.on('error', () => {});
    });
  }

  get screen(): XScreen {
    return this.display.screen[0]!;
  }

  /**
   * RandR resized the root window: the connection setup's numbers, which
   * capture and input clip to, are stale from now on.
   */
  resized(width: number, height: number): void {
    this.screen.pixel_width = width;
    this.screen.pixel_height = height;
  }

  get closed(): boolean {
    return this.lost !== null;
  }

  /** Throws once the connection is gone: requests without a reply would vanish silently. */
  assertOpen(): void {
    if (this.lost) throw this.lost;
  }

  request<T>(what: string, issue: (cb: (err: Error | null, result: T) => unknown) => void): Promise<T> {
    if (this.lost) return Promise.reject(this.lost);
    return new Promise<T>((resolve, reject) => {
      const fail = (err: Error) => reject(new Error(`${what}: ${err.message}`));
      this.pending.add(fail);
      issue((err, result) => {
        this.pending.delete(fail);
        if (err) fail(err);
        else resolve(result);
        return true; // handled: keeps the package from re-emitting it as 'error'
      });
    });
  }

  onEvent(listener: (ev: XEvent) => void): () => void {
    this.X.on('event', listener);
    return () => this.X.off('event', listener);
  }

  async close(): Promise<void> {
    if (this.lost) return;
    await new Promise<void>((resolve) => this.X.close(() => resolve()));
    this.fail(new Error(`X display ${this.name}: connection closed`));
  }

  private fail(err: Error): void {
    if (this.lost) return;
    this.lost = err;
    for (const reject of this.pending) reject(err);
    this.pending.clear();
  }
}
