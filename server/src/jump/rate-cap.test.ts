import { describe, expect, it } from 'vitest';
import { ConnectionRateCap } from './rate-cap.js';

describe('ConnectionRateCap', () => {
  it('admits a burst at once, then refuses with a wait', () => {
    const cap = new ConnectionRateCap(200, 200, 60_000, 0);
    for (let i = 0; i < 200; i++) expect(cap.take(0)).toBe(0);
    expect(cap.take(0)).toBeGreaterThan(0);
  });

  it('admits at the configured rate once the burst is spent', () => {
    const cap = new ConnectionRateCap(100, 10, 60_000, 0);
    let admitted = 0;
    // Ten seconds of callers arriving every millisecond.
    for (let t = 0; t < 10_000; t++) if (cap.take(t) === 0) admitted++;
    expect(admitted).toBeGreaterThanOrEqual(10 + 999);
    expect(admitted).toBeLessThanOrEqual(10 + 1001);
  });

  it('gives each refused client its own later turn, so a crowd comes back spread out', () => {
    const cap = new ConnectionRateCap(200, 200, 60_000, 0);
    for (let i = 0; i < 200; i++) cap.take(0);
    const waits = Array.from({ length: 1000 }, () => cap.take(0));
    // One slot (5 ms at 200/s) apart, in order.
    expect(waits[0]).toBe(5);
    expect(waits[999]).toBe(5000);
    for (let i = 1; i < waits.length; i++) expect(waits[i]! - waits[i - 1]!).toBe(5);
  });

  it('never tells anyone to wait longer than the ceiling', () => {
    const cap = new ConnectionRateCap(10, 1, 2_000, 0);
    cap.take(0);
    const waits = Array.from({ length: 100 }, () => cap.take(0));
    expect(Math.max(...waits)).toBe(2_000);
    expect(Math.min(...waits)).toBe(100);
  });

  it('refills over time up to the burst size', () => {
    const cap = new ConnectionRateCap(10, 5, 60_000, 0);
    for (let i = 0; i < 5; i++) expect(cap.take(0)).toBe(0);
    expect(cap.take(0)).toBeGreaterThan(0);
    // An hour later the bucket holds the burst, not 36 000.
    let admitted = 0;
    for (let i = 0; i < 10; i++) if (cap.take(3_600_000) === 0) admitted++;
    expect(admitted).toBe(5);
  });
});
