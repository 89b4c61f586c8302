import { describe, expect, it } from 'vitest';
import { AUTO_LADDER, LinkMeter, LOSSLESS, QualityControl } from './quality.js';

/** Sends frames of `bytes` one after another (each after the previous ack), each acked `ms` after it went out. */
function feed(q: QualityControl, clock: { now: number; frame: number }, frames: number, bytes: number, ms: number) {
  for (let i = 0; i < frames; i++) {
    const frame = ++clock.frame;
    q.link.sent(frame, bytes, clock.now);
    clock.now += ms;
    q.link.acked(frame, clock.now);
    q.current(clock.now);
    clock.now += 50; // idle before the next change
  }
}

describe('QualityControl', () => {
  it('keeps the fixed modes whatever the link does', () => {
    for (const [mode, effective] of [['best', 'lossless'], ['low', 'jpeg'], ['grey', 'grey']] as const) {
      const q = new QualityControl(mode);
      feed(q, { now: 0, frame: 0 }, 5, 500_000, 5000);
      expect(q.current(100_000).effective).toBe(effective);
    }
  });

  it('starts auto lossless, before anything is measured', () => {
    expect(new QualityControl('auto').current(0)).toEqual(LOSSLESS);
  });

  it('stays lossless on a fast link however small the frames', () => {
    const q = new QualityControl('auto');
    const clock = { now: 0, frame: 0 };
    feed(q, clock, 3, 300_000, 20); // 15 MB/s
    feed(q, clock, 200, 300, 1); // typing: tiny frames say nothing about bandwidth
    clock.now += 60_000; // and a long pause
    feed(q, clock, 5, 300, 1);
    expect(q.current(clock.now)).toEqual(LOSSLESS);
  });

  it.each([
    [3_000_000, 100],
    [1_000_000, 85],
    [500_000, 75],
    [250_000, 60],
    [120_000, 45],
    [30_000, 30],
  ])('at %i bytes/s, picks JPEG quality %i (100: lossless)', (rate, quality) => {
    const q = new QualityControl('auto');
    const bytes = 100_000;
    feed(q, { now: 0, frame: 0 }, 3, bytes, (bytes / rate) * 1000);
    expect(q.current(1e9).jpegQuality).toBe(quality);
  });

  it('steps down at once and back up only after the link stayed better for a while', () => {
    const q = new QualityControl('auto');
    const clock = { now: 0, frame: 0 };
    feed(q, clock, 1, 200_000, 2000); // 100 KB/s
    expect(q.current(clock.now).jpegQuality).toBe(45);

    feed(q, clock, 1, 200_000, 20); // 10 MB/s, once: not yet
    expect(q.current(clock.now).effective).toBe('jpeg');
    const since = clock.now;
    while (clock.now - since < 2100) feed(q, clock, 1, 200_000, 20);
    expect(q.current(clock.now)).toEqual(LOSSLESS);
  });

  it('does not flap between two settings at a threshold', () => {
    const q = new QualityControl('auto');
    const clock = { now: 0, frame: 0 };
    const needs = AUTO_LADDER[1]!.needs;
    feed(q, clock, 1, 100_000, (100_000 / (needs * 0.9)) * 1000);
    const settled = q.current(clock.now);
    // Just above the threshold of the better setting: not enough margin to move up.
    for (let i = 0; i < 50; i++) feed(q, clock, 1, 100_000, (100_000 / (needs * 1.05)) * 1000);
    expect(q.current(clock.now)).toEqual(settled);
  });
});

describe('LinkMeter', () => {
  it('takes the round trip from small frames and the throughput from large ones', () => {
    const m = new LinkMeter();
    m.sent(1, 200, 0);
    m.acked(1, 80);
    m.sent(2, 500_000, 100);
    m.acked(2, 100 + 80 + 1000); // one round trip, then a second of transfer
    expect(m.rttMs).toBe(80);
    expect(m.throughput(2000)).toBeCloseTo(500_000, -3);
  });

  it('measures a frame queued behind another by the gap between their acks', () => {
    const m = new LinkMeter();
    m.sent(1, 100_000, 0);
    m.sent(2, 100_000, 1);
    m.acked(1, 1000);
    m.acked(2, 1500); // half a second for 100 KB
    expect(m.throughput(1500)).toBeCloseTo(200_000, -3);
  });

  it('forgets frames written off', () => {
    const m = new LinkMeter();
    m.sent(1, 100_000, 0);
    m.forget();
    m.acked(1, 10);
    expect(m.throughput(10)).toBeNull();
  });
});
