import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay, retryAfterDelay } from './backoff.js';

describe('jump client backoff', () => {
  it('starts at 1 s and doubles to a 60 s ceiling (middle of the jitter range)', () => {
    const bases = Array.from({ length: 10 }, (_, n) => backoffDelay(n, 0.5));
    expect(bases).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000]);
  });

  it('spreads each delay by ±50 %', () => {
    expect(backoffDelay(0, 0)).toBe(500);
    expect(backoffDelay(0, 0.999_999)).toBe(1500);
    expect(backoffDelay(3, 0)).toBe(4000);
    expect(backoffDelay(3, 0.75)).toBe(10_000);
    expect(backoffDelay(20, 0)).toBe(30_000);
    expect(backoffDelay(20, 0.999_999)).toBe(90_000);
  });

  it('stays finite and capped however long the server is away', () => {
    expect(backoffDelay(10_000, 0.5)).toBe(60_000);
  });

  it('a crowd of clients with random draws spreads over the whole range', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const first = Array.from({ length: 1000 }, () => new Backoff({ random }).next());
    expect(Math.min(...first)).toBeGreaterThanOrEqual(500);
    expect(Math.max(...first)).toBeLessThanOrEqual(1500);
    // Not bunched: every tenth of the range gets some clients.
    const buckets = new Set(first.map((d) => Math.floor((d - 500) / 100)));
    expect(buckets.size).toBe(10);
  });

  it('starts over after a successful connection', () => {
    const b = new Backoff({ random: () => 0.5 });
    expect([b.next(), b.next(), b.next()]).toEqual([1000, 2000, 4000]);
    b.reset();
    expect(b.next()).toBe(1000);
  });

  it('honours the server\'s retry-after, adding at most 10 %', () => {
    expect(retryAfterDelay(5000, 0)).toBe(5000);
    expect(retryAfterDelay(5000, 0.999_999)).toBe(5500);
  });
});
