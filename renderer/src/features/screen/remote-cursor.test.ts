import { describe, expect, it } from 'vitest';
import { placement } from './geometry.js';
import { cursorBox, ShapeCache } from './remote-cursor.js';

class FakeBitmap {
  closed = false;
  close() {
    this.closed = true;
  }
}

const shape = (bitmap: FakeBitmap | null = new FakeBitmap()) => ({ hotX: 4, hotY: 2, w: 16, h: 16, bitmap });
const remote = { width: 1920, height: 1080 };

describe('remote cursor placement', () => {
  it('puts the shape at the position minus its hotspot, at 1:1', () => {
    const fit = placement('1:1', remote, remote);
    expect(cursorBox({ x: 100, y: 50, visible: true }, shape(), fit, remote)).toEqual({ x: 96, y: 48, scale: 1 });
  });

  it('scales position and shape with the fitted view, bars included', () => {
    const fit = placement('fit', { width: 960, height: 1000 }, remote); // scale 0.5, 230 px bars
    expect(cursorBox({ x: 100, y: 50, visible: true }, shape(), fit, remote)).toEqual({ x: 48, y: 254, scale: 0.5 });
  });

  it('draws nothing when hidden, off the streamed area, without a decoded shape, or without a picture', () => {
    const fit = placement('1:1', remote, remote);
    expect(cursorBox({ x: 10, y: 10, visible: false }, shape(), fit, remote)).toBeNull();
    expect(cursorBox({ x: -1, y: 10, visible: true }, shape(), fit, remote)).toBeNull();
    expect(cursorBox({ x: 1920, y: 10, visible: true }, shape(), fit, remote)).toBeNull();
    expect(cursorBox({ x: 10, y: 10, visible: true }, shape(null), fit, remote)).toBeNull();
    expect(cursorBox({ x: 10, y: 10, visible: true }, undefined, fit, remote)).toBeNull();
    expect(cursorBox({ x: 10, y: 10, visible: true }, shape(), placement('fit', { width: 0, height: 0 }, remote), remote)).toBeNull();
  });
});

describe('cursor shape cache', () => {
  it('keeps shapes by serial and evicts the least recently used, closing its bitmap', () => {
    const cache = new ShapeCache<FakeBitmap>(2);
    const a = shape();
    const b = shape();
    const c = shape();
    cache.set(1, a);
    cache.set(2, b);
    cache.get(1);
    cache.set(3, c);
    expect(cache.get(2)).toBeUndefined();
    expect(b.bitmap!.closed).toBe(true);
    expect(cache.get(1)).toBe(a);
    expect(cache.get(3)).toBe(c);
  });

  it('a shape sent again under the same serial replaces the old one, and clear closes everything', () => {
    const cache = new ShapeCache<FakeBitmap>();
    const old = shape();
    cache.set(7, old);
    cache.set(7, shape());
    expect(old.bitmap!.closed).toBe(true);
    const kept = cache.get(7)!;
    cache.clear();
    expect(kept.bitmap!.closed).toBe(true);
    expect(cache.get(7)).toBeUndefined();
  });
});
