/**
 * Frame acks, held back a little when that costs nothing. Every data-channel
 * message is an SCTP packet of its own plus the peer's acknowledgement of it
 * (~100 bytes on the wire for an ack of ~20), and a technician who types
 * sends a key soon after the echo of the last one has been painted: the
 * ack of that small frame rides along with the key instead (PeerLink sends
 * what one task produced as one message).
 *
 * It costs no latency: only one ack is ever held, and only for a small
 * frame, so the agent (which keeps up to two frames unacknowledged) can
 * always send the next frame at once; a second frame is acked as soon as it
 * is painted, and a held ack goes after HOLD_MS anyway. The ack says how long
 * it was held, and the agent's link meter takes that off.
 */
import type { ControlMessage } from '../../../../shared/channel.js';

/** Longer than the gap between keys of someone typing, so the ack goes with the next one. */
export const HOLD_MS = 150;
/** A frame of a few typed characters; bigger ones are acked at once (their timing measures throughput). */
export const HOLD_BELOW_BYTES = 4096;

export interface AckHolderOptions {
  send(msg: Extract<ControlMessage, { t: 'ack' }>): void;
  now?: () => number;
  setTimer?: (cb: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export class AckHolder {
  private held: { frame: number; at: number } | null = null;
  private timer: unknown = null;
  private readonly now: () => number;
  private readonly setTimer: (cb: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly options: AckHolderOptions) {
    this.now = options.now ?? (() => performance.now());
    this.setTimer = options.setTimer ?? ((cb, ms) => setTimeout(cb, ms));
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  /** The console painted `frame`, which carried `bytes` of rects. */
  frameDone(frame: number, bytes: number): void {
    if (this.held || bytes >= HOLD_BELOW_BYTES) {
      // Acks are cumulative: this one covers the held frame too.
      this.drop();
      this.options.send({ t: 'ack', frame });
      return;
    }
    this.held = { frame, at: this.now() };
    this.timer = this.setTimer(() => this.flush(), HOLD_MS);
  }

  /** Something else is about to be sent: the held ack goes with it. */
  flush(): void {
    const held = this.held;
    if (!held) return;
    this.drop();
    this.options.send({ t: 'ack', frame: held.frame, heldMs: Math.max(0, Math.round(this.now() - held.at)) });
  }

  /** Forgets the held ack (its peer is gone); idempotent. */
  drop(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    this.held = null;
  }
}
