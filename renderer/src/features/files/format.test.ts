import { describe, expect, it } from 'vitest';
import { etaSeconds, formatEta, formatSize, formatSpeed, SpeedMeter } from './format.js';

describe('transfer figures', () => {
  it('sizes and speeds in the units of the system panel', () => {
    expect(formatSize(0)).toBe('0 B');
    expect(formatSize(1536)).toBe('1.5 KiB');
    expect(formatSize(12.3 * 1024 * 1024)).toBe('12.3 MiB');
    expect(formatSpeed(12.3 * 1024 * 1024)).toBe('12.3 MiB/s');
  });

  it('time left in words', () => {
    expect(formatEta(null)).toBe('');
    expect(formatEta(0.2)).toBe('1 s left');
    expect(formatEta(45)).toBe('45 s left');
    expect(formatEta(80)).toBe('1 min 20 s left');
    expect(formatEta(120)).toBe('2 min left');
    expect(formatEta(3600 + 5 * 60 + 9)).toBe('1 h 5 min left');
    expect(formatEta(Number.POSITIVE_INFINITY)).toBe('');
  });

  it('eta is what is left at the current speed, unknown without one', () => {
    expect(etaSeconds(10_000_000, 2_000_000)).toBe(5);
    expect(etaSeconds(10, null)).toBeNull();
    expect(etaSeconds(10, 0)).toBeNull();
  });

  it('measures speed over the last few seconds', () => {
    const m = new SpeedMeter(5000, 1000);
    m.reset(0, 0);
    m.record(500, 1_000_000);
    expect(m.speed(500)).toBeNull();
    for (let t = 1000; t <= 10_000; t += 1000) m.record(t, t * 1000);
    // 1 MB/s throughout.
    expect(m.speed(10_000)).toBeCloseTo(1_000_000, -3);
    // Then 10 MB/s for three seconds: the window still holds two slow seconds.
    for (let t = 11_000; t <= 13_000; t += 1000) m.record(t, 10_000_000 + (t - 10_000) * 10_000);
    expect(m.speed(13_000)).toBeCloseTo((40_000_000 - 8_000_000) / 5, -3);
    // Later it is all fast.
    for (let t = 14_000; t <= 20_000; t += 1000) m.record(t, 10_000_000 + (t - 10_000) * 10_000);
    expect(m.speed(20_000)).toBeCloseTo(10_000_000, -3);
  });

  it('a stall brings the speed down to nothing', () => {
    const m = new SpeedMeter(5000, 1000);
    m.reset(0, 0);
    m.record(2000, 4_000_000);
    expect(m.speed(2000)).toBe(2_000_000);
    expect(m.speed(4000)).toBe(1_000_000);
    expect(m.speed(20_000)).toBe(0);
  });

  it('keeps few records however often it is told', () => {
    const m = new SpeedMeter(5000, 1000);
    m.reset(0, 0);
    for (let t = 1; t <= 5000; t++) m.record(t, t * 100);
    expect((m as unknown as { samples: unknown[] }).samples.length).toBeLessThan(60);
    expect(m.speed(5000)).toBeCloseTo(100_000, -3);
  });
});
