/**
 * Acknowledges shell output as the terminal processes it (the xterm.js
 * flow-control guide): the agent pauses a shell while SHELL_OUTPUT_WINDOW
 * bytes are unacknowledged, so a flood stalls the remote program instead of
 * filling the console's memory. One ack per `batchBytes` keeps the acks few
 * under a flood; whatever is left goes as soon as the terminal has caught
 * up, so a quiet shell never keeps processed bytes counted against it.
 */
export const ACK_BATCH_BYTES = 32 * 1024;

export class AckBatcher {
  /** Handed to the terminal and not processed yet. */
  private inTerminal = 0;
  /** Processed and not acknowledged yet. */
  private unacked = 0;

  constructor(
    private readonly sendAck: (bytes: number) => void,
    private readonly batchBytes = ACK_BATCH_BYTES,
  ) {}

  /** `bytes` of output went into the terminal's write queue. */
  queued(bytes: number): void {
    this.inTerminal += bytes;
  }

  /** The terminal has processed `bytes` of what was queued (its write callback). */
  processed(bytes: number): void {
    this.inTerminal -= bytes;
    this.unacked += bytes;
    if (this.unacked >= this.batchBytes || this.inTerminal <= 0) this.flush();
  }

  private flush(): void {
    if (this.unacked <= 0) return;
    const bytes = this.unacked;
    this.unacked = 0;
    this.sendAck(bytes);
  }
}
