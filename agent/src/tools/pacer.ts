/**
 * Keeps the tools channel's send buffer bounded (simple-peer checks
 * `bufferedAmount` the same way): producers stop when more than
 * MAX_CHANNEL_BACKLOG is queued and go on once it has drained to half.
 * Data channels here report no "buffered amount low" event through our
 * interface, so a waiting producer polls — only while one is waiting.
 */

export const MAX_CHANNEL_BACKLOG = 1024 * 1024;
const POLL_MS = 10;

export interface ToolsChannel {
  send(msg: Uint8Array): void;
  /** Bytes queued on the channel and not yet handed to the network. */
  bufferedAmount(): number;
}

export class ChannelPacer {
  private waiters: (() => void)[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly channel: ToolsChannel,
    private readonly log: (msg: string) => void,
    /** Queued bytes above which producers wait. */
    private readonly maxBacklog = MAX_CHANNEL_BACKLOG,
  ) {}

  /** Never throws: a closing channel must not take a pty's data handler down with it. */
  send(msg: Uint8Array): void {
    try {
      this.channel.send(msg);
    } catch (e) {
      this.log(`could not send on the tools channel: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  backlogged(): boolean {
    return this.channel.bufferedAmount() > this.maxBacklog;
  }

  /** Resolves once the backlog is at most half the maximum (at once if it already is). */
  drained(): Promise<void> {
    if (this.isDrained()) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.timer ??= setInterval(() => this.poll(), POLL_MS);
    });
  }

  /** Stops polling; pending waiters never resolve (their producers are gone). */
  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.waiters = [];
  }

  private isDrained(): boolean {
    return this.channel.bufferedAmount() <= this.maxBacklog / 2;
  }

  private poll(): void {
    if (!this.isDrained()) return;
    const waiters = this.waiters;
    this.dispose();
    for (const w of waiters) w();
  }
}
