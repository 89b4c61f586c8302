import { describe, expect, it } from 'vitest';
import { FailureLimiter } from './rate-limit.js';

const MINUTE = 60_000;

describe('FailureLimiter', () => {
  it('blocks a key once it reaches the allowed number of failures in the window', () => {
    const limiter = new FailureLimiter(3, MINUTE);
    limiter.recordFailure('10.0.0.1', 0);
    limiter.recordFailure('10.0.0.1', 1000);
    expect(limiter.isBlocked('10.0.0.1', 2000)).toBe(false);
    limiter.recordFailure('10.0.0.1', 2000);
    expect(limiter.isBlocked('10.0.0.1', 2000)).toBe(true);
  });

  it('unblocks once the window has passed since the failures', () => {
    const limiter = new FailureLimiter(3, MINUTE);
    for (let i = 0; i < 3; i++) limiter.recordFailure('10.0.0.1', 5000);
    expect(limiter.isBlocked('10.0.0.1', 5000 + MINUTE - 1)).toBe(true);
    expect(limiter.isBlocked('10.0.0.1', 5000 + MINUTE)).toBe(false);
  });

  it('the window slides: old failures drop out one by one', () => {
    const limiter = new FailureLimiter(3, MINUTE);
    for (const t of [0, 30_000, 50_000]) limiter.recordFailure('k', t);
    expect(limiter.isBlocked('k', 50_000)).toBe(true);
    // The failure at 0 has left the window; two remain.
    expect(limiter.isBlocked('k', MINUTE)).toBe(false);
    limiter.recordFailure('k', MINUTE);
    expect(limiter.isBlocked('k', MINUTE)).toBe(true);
  });

  it('counts each key on its own', () => {
    const limiter = new FailureLimiter(2, MINUTE);
    limiter.recordFailure('a', 0);
    limiter.recordFailure('a', 0);
    limiter.recordFailure('b', 0);
    expect(limiter.isBlocked('a', 0)).toBe(true);
    expect(limiter.isBlocked('b', 0)).toBe(false);
    expect(limiter.isBlocked('c', 0)).toBe(false);
  });

  it('uses the clock when no time is given', () => {
    const limiter = new FailureLimiter(1, MINUTE);
    limiter.recordFailure('k');
    expect(limiter.isBlocked('k')).toBe(true);
    expect(limiter.isBlocked('k', Date.now() + MINUTE)).toBe(false);
  });
});
