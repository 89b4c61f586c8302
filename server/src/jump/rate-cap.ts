/**
 * Caps how fast jump clients may (re)connect, so a server restart with
 * thousands of installed clients does not melt under their simultaneous
 * return. A token bucket admits `ratePerSecond` on average with bursts up to
 * `burst`; each refused client is given its own later turn (one slot of
 * 1/rate each, queued after the turns already handed out), so the crowd
 * comes back spread over time instead of all at the same instant.
 */
export class ConnectionRateCap {
  private tokens: number;
  private last: number;
  /** When the last refused client was told to come back. */
  private horizon = 0;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst = ratePerSecond,
    /** No one is told to wait longer than this (the backoff ceiling of the clients). */
    private readonly maxWaitMs = 60_000,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** 0 when admitted now; otherwise how long (ms) this caller should wait before trying again. */
  take(now = Date.now()): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    const slot = 1000 / this.ratePerSecond;
    // Past the ceiling everyone gets the ceiling (their own jitter spreads them); the queue of turns stops growing.
    this.horizon = Math.min(Math.max(this.horizon, now) + slot, now + this.maxWaitMs);
    return Math.max(1, Math.ceil(this.horizon - now));
  }
}
