import { describe, expect, it } from 'vitest';
import { fitContain, mapToRemote, mapToView, placement } from './geometry.js';

const remote = { width: 1920, height: 1080 };

describe('fit to window', () => {
  it('a wider box gets bars left and right', () => {
    const f = fitContain({ width: 1000, height: 270 }, remote);
    expect(f.scale).toBeCloseTo(0.25);
    expect(f.offsetX).toBeCloseTo(260);
    expect(f.offsetY).toBeCloseTo(0);
  });

  it('a taller box gets bars top and bottom', () => {
    const f = fitContain({ width: 960, height: 1000 }, remote);
    expect(f.scale).toBeCloseTo(0.5);
    expect(f.offsetX).toBeCloseTo(0);
    expect(f.offsetY).toBeCloseTo(230);
  });

  it('maps a point in the picture to the remote pixel under it, through scale and bars', () => {
    const box = { width: 960, height: 1000 }; // scale 0.5, 230 px bars top and bottom
    expect(mapToRemote(0, 230, box, remote, false, 'fit')).toEqual({ x: 0, y: 0 });
    expect(mapToRemote(480, 500, box, remote, false, 'fit')).toEqual({ x: 960, y: 540 });
    expect(mapToRemote(959.9, 769.9, box, remote, false, 'fit')).toEqual({ x: 1919, y: 1079 });
  });

  it('a point on a bar is outside the picture, or its nearest edge when clamping', () => {
    const box = { width: 960, height: 1000 };
    expect(mapToRemote(100, 100, box, remote, false, 'fit')).toBeNull();
    expect(mapToRemote(100, 100, box, remote, true, 'fit')).toEqual({ x: 200, y: 0 });
    expect(mapToRemote(2000, 990, box, remote, true, 'fit')).toEqual({ x: 1919, y: 1079 });
  });

  it('maps nothing while the box or the remote screen has no size', () => {
    expect(mapToRemote(1, 1, { width: 0, height: 0 }, remote, true, 'fit')).toBeNull();
    expect(mapToRemote(1, 1, { width: 10, height: 10 }, { width: 0, height: 0 }, true, 'fit')).toBeNull();
  });

  it('upscales a small remote screen', () => {
    expect(mapToRemote(399, 299, { width: 800, height: 600 }, { width: 400, height: 300 }, false, 'fit')).toEqual({ x: 199, y: 149 });
  });
});

describe('1:1 with scrolling', () => {
  it('one CSS pixel is one remote pixel, from the canvas corner, without bars', () => {
    expect(placement('1:1', remote, remote)).toEqual({ scale: 1, offsetX: 0, offsetY: 0 });
    expect(mapToRemote(0, 0, remote, remote, false, '1:1')).toEqual({ x: 0, y: 0 });
    expect(mapToRemote(1234.7, 567.2, remote, remote, false, '1:1')).toEqual({ x: 1234, y: 567 });
  });

  it('scrolling is already in the canvas rect, so a point far down a big screen maps directly', () => {
    // The canvas rect starts above the viewport when scrolled; the caller passes coordinates relative to it.
    const big = { width: 3840, height: 2160 };
    expect(mapToRemote(3000, 2000, big, big, false, '1:1')).toEqual({ x: 3000, y: 2000 });
  });

  it('the box size does not scale the picture (a box still catching up after a resize)', () => {
    expect(mapToRemote(700, 500, { width: 800, height: 600 }, remote, false, '1:1')).toEqual({ x: 700, y: 500 });
  });

  it('outside the picture: null, or clamped to the edge during a drag', () => {
    expect(mapToRemote(-5, 10, remote, remote, false, '1:1')).toBeNull();
    expect(mapToRemote(-5, 2000, remote, remote, true, '1:1')).toEqual({ x: 0, y: 1079 });
  });

  it('has no placement before the remote size is known', () => {
    expect(placement('1:1', remote, { width: 0, height: 0 }).scale).toBe(0);
  });
});

describe('remote -> view (the cursor overlay)', () => {
  it('is the inverse of mapToRemote in both modes', () => {
    const box = { width: 960, height: 1000 };
    for (const mode of ['fit', '1:1'] as const) {
      const fit = placement(mode, box, remote);
      const v = mapToView(800, 600, fit);
      expect(mapToRemote(v.x, v.y, box, remote, true, mode)).toEqual({ x: 800, y: 600 });
    }
    expect(mapToView(100, 0, placement('fit', box, remote))).toEqual({ x: 50, y: 230 });
  });
});
