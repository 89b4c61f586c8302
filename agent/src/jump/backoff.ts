/**
 * Reconnect delays for an installed jump client: 1 s doubling to 60 s, each
 * multiplied by a random factor in [0.5, 1.5]. Thousands of clients that lost
 * the server at the same moment (a restart) then come back spread over time
 * instead of in waves at 1, 2, 4... seconds.
 */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  /** ±this share of the delay (0.5 = ±50 %). */
  jitter?: number;
  random?: () => number;
}

/** The delay before reconnect attempt `attempt` (0-based), for a random draw `r` in [0, 1). */
export function backoffDelay(attempt: number, r: number, opts: Omit<BackoffOptions, 'random'> = {}): number {
  const initial = opts.initialMs ?? 1000;
  const max = opts.maxMs ?? 60_000;
  const jitter = opts.jitter ?? 0.5;
  // 2^attempt overflows to Infinity long after the cap applies; min() keeps it finite.
  const base = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return Math.round(base * (1 + jitter * (2 * r - 1)));
}

export class Backoff {
  private attempt = 0;
  constructor(private readonly opts: BackoffOptions = {}) {}

  /** The next delay; each call doubles the base until the ceiling. */
  next(): number {
    return backoffDelay(this.attempt++, (this.opts.random ?? Math.random)(), this.opts);
  }

  /** After a successful connection: the next loss starts again from the initial delay. */
  reset(): void {
    this.attempt = 0;
  }
}

/**
 * How long to wait when the server said "retry after": at least what it
 * asked, plus up to 10 % so clients told the same turn do not collide again.
 */
export function retryAfterDelay(retryAfterMs: number, r: number): number {
  return Math.round(retryAfterMs * (1 + 0.1 * r));
}
