import { describe, expect, it } from 'vitest';
import { fitContain, mapToRemote } from './geometry.js';

const remote = { width: 1920, height: 1080 };

describe('fit and pointer mapping', () => {
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
    expect(mapToRemote(0, 230, box, remote, false)).toEqual({ x: 0, y: 0 });
    expect(mapToRemote(480, 500, box, remote, false)).toEqual({ x: 960, y: 540 });
    expect(mapToRemote(959.9, 769.9, box, remote, false)).toEqual({ x: 1919, y: 1079 });
  });

  it('a point on a bar is outside the picture, or its nearest edge when clamping', () => {
    const box = { width: 960, height: 1000 };
    expect(mapToRemote(100, 100, box, remote, false)).toBeNull();
    expect(mapToRemote(100, 100, box, remote, true)).toEqual({ x: 200, y: 0 });
    expect(mapToRemote(2000, 990, box, remote, true)).toEqual({ x: 1919, y: 1079 });
  });

  it('maps nothing while the box or the remote screen has no size', () => {
    expect(mapToRemote(1, 1, { width: 0, height: 0 }, remote, true)).toBeNull();
    expect(mapToRemote(1, 1, { width: 10, height: 10 }, { width: 0, height: 0 }, true)).toBeNull();
  });

  it('upscales a small remote screen', () => {
    expect(mapToRemote(399, 299, { width: 800, height: 600 }, { width: 400, height: 300 }, false)).toEqual({ x: 199, y: 149 });
  });
});
