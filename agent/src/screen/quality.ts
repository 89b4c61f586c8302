/**
 * Picks how screen rectangles are encoded: the console's chosen mode, and in
 * `auto` a link meter that watches acknowledgements. Pure: time comes in as
 * arguments.
 */
import type { QualityMode } from '../../../shared/channel.js';

export interface QualitySetting {
  effective: 'lossless' | 'jpeg' | 'grey';
  /** JPEG quality for content with more than 256 colours; 100 when lossless. */
  jpegQuality: number;
}

export const LOSSLESS: QualitySetting = { effective: 'lossless', jpegQuality: 100 };
const jpeg = (q: number): QualitySetting => ({ effective: 'jpeg', jpegQuality: q });
const FIXED: Record<Exclude<QualityMode, 'auto'>, QualitySetting> = {
  best: LOSSLESS,
  low: jpeg(30),
  grey: { effective: 'grey', jpegQuality: 30 },
};

/**
 * Auto's settings, best first, with the throughput (bytes/s) each needs. A
 * screen of text is palette PNG in every setting, so these steps only change
 * photographic content (~2 MB as a lossless 1080p frame, ~150 KB at q70).
 */
export const AUTO_LADDER: readonly { setting: QualitySetting; needs: number }[] = [
  { setting: LOSSLESS, needs: 1_500_000 },
  { setting: jpeg(85), needs: 750_000 },
  { setting: jpeg(75), needs: 400_000 },
  { setting: jpeg(60), needs: 200_000 },
  { setting: jpeg(45), needs: 100_000 },
  { setting: jpeg(30), needs: 0 },
];

/** A better setting must look affordable by this margin... */
const UPGRADE_MARGIN = 1.25;
/** ...for this long before auto switches to it; a worse one is taken at once. */
const UPGRADE_AFTER_MS = 2000;
/** Smaller frames are acked in about a round trip whatever the bandwidth: they measure the round trip only. */
const MIN_SAMPLE_BYTES = 16 * 1024;
const RATE_WINDOW_MS = 5000;
const RTT_SAMPLES = 32;

/**
 * Measures the link from frame acknowledgements: round-trip time (the
 * smallest recent ack latency of small frames, whose transfer takes next to
 * nothing) and throughput as a delivery rate of large ones. A frame sent
 * while the previous one was still unacknowledged queued behind it, so its
 * transfer time is the gap between the two acks; a frame sent to an idle link
 * took its latency less one round trip. Every sample is at most the link's
 * capacity (the sender may simply have had little to send), so the estimate
 * is the largest recent one.
 */
export class LinkMeter {
  private readonly inFlight = new Map<number, { bytes: number; at: number }>();
  private readonly latencies: number[] = [];
  private rates: { at: number; rate: number }[] = [];
  private lastAckAt = -Infinity;

  sent(frame: number, bytes: number, now: number): void {
    this.inFlight.set(frame, { bytes, at: now });
  }

  /** Acks are cumulative: `frame` and every frame before it arrived. */
  acked(frame: number, now: number): void {
    let bytes = 0;
    let firstAt = Infinity;
    let lastAt = -Infinity;
    for (const [f, s] of this.inFlight) {
      if (f > frame) continue;
      this.inFlight.delete(f);
      bytes += s.bytes;
      firstAt = Math.min(firstAt, s.at);
      lastAt = Math.max(lastAt, s.at);
    }
    if (bytes === 0) return;
    if (bytes < MIN_SAMPLE_BYTES) {
      this.latencies.push(now - lastAt);
      if (this.latencies.length > RTT_SAMPLES) this.latencies.shift();
    }
    const rtt = this.rttMs ?? 0;
    const queued = firstAt < this.lastAckAt;
    const transferMs = queued ? now - this.lastAckAt : now - firstAt - rtt;
    this.lastAckAt = now;
    if (bytes >= MIN_SAMPLE_BYTES) this.rates.push({ at: now, rate: (bytes * 1000) / Math.max(1, transferMs) });
  }

  /** Frames that will never be acknowledged (the console lost them). */
  forget(): void {
    this.inFlight.clear();
  }

  get rttMs(): number | null {
    return this.latencies.length ? Math.min(...this.latencies) : null;
  }

  /** Bytes per second, or null before any frame large enough to tell. Without recent samples, the last estimate stands. */
  throughput(now: number): number | null {
    if (this.rates.length === 0) return null;
    const recent = this.rates.filter((s) => now - s.at <= RATE_WINDOW_MS);
    this.rates = recent.length ? recent : [this.rates[this.rates.length - 1]!];
    return Math.max(...this.rates.map((s) => s.rate));
  }
}

export class QualityControl {
  private level = 0;
  private betterSince: number | null = null;
  readonly link = new LinkMeter();

  constructor(public mode: QualityMode = 'auto') {}

  /**
   * The setting to encode with now. `auto` starts lossless (a loopback or LAN
   * link proves itself with the first frame; a slow one shows within a frame
   * or two) and moves along AUTO_LADDER as the measured throughput changes.
   */
  current(now: number): QualitySetting {
    if (this.mode !== 'auto') return FIXED[this.mode];
    const rate = this.link.throughput(now);
    if (rate !== null) this.adapt(rate, now);
    return AUTO_LADDER[this.level]!.setting;
  }

  private adapt(rate: number, now: number): void {
    const fits = AUTO_LADDER.findIndex((step) => rate >= step.needs);
    if (fits > this.level) {
      this.level = fits;
      this.betterSince = null;
      return;
    }
    const better = AUTO_LADDER.findIndex((step) => rate >= step.needs * UPGRADE_MARGIN);
    if (better >= this.level) {
      this.betterSince = null;
      return;
    }
    this.betterSince ??= now;
    if (now - this.betterSince >= UPGRADE_AFTER_MS) {
      this.level = better;
      this.betterSince = null;
    }
  }
}
