/**
 * Frames per second and kilobytes per second received, from two monotonic
 * counters sampled about once a second: nothing runs per frame but a counter
 * increment, and the display updates at sampling rate, outside React.
 */
export interface StreamTotals {
  frames: number;
  bytes: number;
}

export interface StreamRates {
  fps: number;
  /** Kilobytes (1000 bytes) per second. */
  kBps: number;
}

export const STATS_PERIOD_MS = 1000;

export class RateMeter {
  private last: (StreamTotals & { at: number }) | null = null;

  /** Rates since the previous sample; zero for the first one. */
  sample(at: number, totals: StreamTotals): StreamRates {
    const last = this.last;
    this.last = { at, ...totals };
    const seconds = last ? (at - last.at) / 1000 : 0;
    if (!last || seconds <= 0) return { fps: 0, kBps: 0 };
    // A counter that went backwards was reset (a new painter): count from zero.
    const frames = totals.frames >= last.frames ? totals.frames - last.frames : totals.frames;
    const bytes = totals.bytes >= last.bytes ? totals.bytes - last.bytes : totals.bytes;
    return { fps: round1(frames / seconds), kBps: round1(bytes / 1000 / seconds) };
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** "24 fps · 310 kB/s"; one decimal only for small rates, where it matters. */
export function formatRates({ fps, kBps }: StreamRates): string {
  const n = (v: number) => (v >= 10 ? String(Math.round(v)) : v.toFixed(1).replace(/\.0$/, ''));
  return `${n(fps)} fps · ${n(kBps)} kB/s`;
}
