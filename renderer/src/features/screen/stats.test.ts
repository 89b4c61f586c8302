import { describe, expect, it } from 'vitest';
import { formatRates, RateMeter } from './stats.js';

describe('stream rates', () => {
  it('the first sample has nothing to compare with', () => {
    expect(new RateMeter().sample(0, { frames: 10, bytes: 1e6 })).toEqual({ fps: 0, kBps: 0 });
  });

  it('frames and kilobytes per second between two samples, over the real time elapsed', () => {
    const m = new RateMeter();
    m.sample(1000, { frames: 10, bytes: 50_000 });
    expect(m.sample(2000, { frames: 40, bytes: 350_000 })).toEqual({ fps: 30, kBps: 300 });
    // A late timer (1.5 s) does not inflate the rate.
    expect(m.sample(3500, { frames: 55, bytes: 500_000 })).toEqual({ fps: 10, kBps: 100 });
  });

  it('rounds to one decimal', () => {
    const m = new RateMeter();
    m.sample(0, { frames: 0, bytes: 0 });
    expect(m.sample(3000, { frames: 1, bytes: 1234 })).toEqual({ fps: 0.3, kBps: 0.4 });
  });

  it('an idle screen reads zero, and a counter that restarted counts from zero', () => {
    const m = new RateMeter();
    m.sample(0, { frames: 100, bytes: 9000 });
    expect(m.sample(1000, { frames: 100, bytes: 9000 })).toEqual({ fps: 0, kBps: 0 });
    expect(m.sample(2000, { frames: 5, bytes: 2000 })).toEqual({ fps: 5, kBps: 2 });
  });

  it('two samples at the same instant give zero, not infinity', () => {
    const m = new RateMeter();
    m.sample(5, { frames: 0, bytes: 0 });
    expect(m.sample(5, { frames: 3, bytes: 10 })).toEqual({ fps: 0, kBps: 0 });
  });

  it('reads compactly', () => {
    expect(formatRates({ fps: 24.4, kBps: 310.2 })).toBe('24 fps · 310 kB/s');
    expect(formatRates({ fps: 0.3, kBps: 2 })).toBe('0.3 fps · 2 kB/s');
  });
});
