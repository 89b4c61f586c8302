/**
 * The figures of the files panel: sizes, transfer speed measured over the
 * last few seconds, and the time left, in the console's one set of units
 * (binary, as the system panel shows memory and disks): "12.3 MiB/s".
 */
import { formatBytes } from '../sysinfo/sysinfo.js';

/** Sizes in the units the system panel uses (binary: KiB, MiB). */
export { formatBytes as formatSize } from '../sysinfo/sysinfo.js';

export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** "45 s left", "1 min 20 s left", "2 h 5 min left"; '' when unknown. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s} s left`;
  if (s < 3600) {
    const m = Math.floor(s / 60);
    const rest = s % 60;
    return rest === 0 ? `${m} min left` : `${m} min ${rest} s left`;
  }
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return m === 0 ? `${h} h left` : `${h} h ${m} min left`;
}

/** Seconds until `remaining` bytes are through at `speed`; null when the speed is unknown or nothing moves. */
export function etaSeconds(remaining: number, speed: number | null): number | null {
  if (speed === null || speed <= 0 || remaining < 0) return null;
  return remaining / speed;
}

const SAMPLE_SPACING_MS = 100;

/**
 * Bytes per second over the last `windowMs`: progress is recorded as the
 * running total with its time, and the speed is what the total gained since
 * the oldest record still in the window (or the last one before it), divided
 * by the time since then, so a stall brings it down to 0.
 */
export class SpeedMeter {
  private samples: Array<{ at: number; bytes: number }> = [];

  constructor(
    private readonly windowMs = 5000,
    /** Shorter than this since the first record, there is no speed yet. */
    private readonly minSpanMs = 500,
  ) {}

  /** Starts over from `bytes` at `at` (a new connection, a resumed transfer). */
  reset(at: number, bytes: number): void {
    this.samples = [{ at, bytes }];
  }

  record(at: number, bytes: number): void {
    const n = this.samples.length;
    const last = this.samples[n - 1];
    if (last && at <= last.at) {
      last.bytes = bytes;
      return;
    }
    // Records closer than SAMPLE_SPACING_MS to the one before replace the newest (a chunk every few microseconds adds up).
    if (n >= 2 && at - this.samples[n - 2]!.at < SAMPLE_SPACING_MS) this.samples[n - 1] = { at, bytes };
    else this.samples.push({ at, bytes });
    this.prune(at);
  }

  speed(now: number): number | null {
    this.prune(now);
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || now - first.at < this.minSpanMs) return null;
    return Math.max(0, (last.bytes - first.bytes) / ((now - first.at) / 1000));
  }

  private prune(now: number): void {
    // Keep the newest record older than the window as the base the window is measured from.
    const cutoff = now - this.windowMs;
    let drop = 0;
    while (drop + 1 < this.samples.length && this.samples[drop + 1]!.at <= cutoff) drop++;
    if (drop > 0) this.samples.splice(0, drop);
  }
}
