import { describe, expect, it } from 'vitest';
import { Keymap, pickSpareKeycode } from './keymap.js';

const a = 0x61;
const A = 0x41;
const less = 0x3c;
const greater = 0x3e;
const bar = 0x7c;
const comma = 0x2c;
const eacute = 0xe9;

// keycodes 8..13, 4 columns each, like a tiny US layout
const rows = () => [
  [0, 0, 0, 0], // 8: empty
  [a, A, a, A], // 9
  [comma, less, comma, less], // 10
  [less, greater, bar, 0], // 11: "less" again, unshifted this time
  [0, 0, 0, 0], // 12: empty
  [0, 0, eacute, 0], // 13: only in group 2, which we do not switch to
];

describe('Keymap', () => {
  it('finds keysyms in the unshifted and shifted columns, preferring unshifted', () => {
    const map = new Keymap(8, rows());
    expect(map.locate(a)).toEqual({ keycode: 9, shift: false });
    expect(map.locate(A)).toEqual({ keycode: 9, shift: true });
    expect(map.locate(less)).toEqual({ keycode: 11, shift: false });
    expect(map.locate(greater)).toEqual({ keycode: 11, shift: true });
    expect(map.locate(bar)).toBeUndefined();
    expect(map.locate(eacute)).toBeUndefined();
    expect(map.keysymsPerKeycode).toBe(4);
    expect(map.maxKeycode).toBe(13);
  });

  it('sees rows it was told about', () => {
    const map = new Keymap(8, rows());
    map.set(12, [eacute, eacute, 0, 0]);
    expect(map.locate(eacute)).toEqual({ keycode: 12, shift: false });
    map.set(12, [0, 0, 0, 0]);
    expect(map.locate(eacute)).toBeUndefined();
  });
});

describe('pickSpareKeycode', () => {
  it('takes the highest empty keycode that is not held', () => {
    const map = new Keymap(8, rows());
    expect(pickSpareKeycode(map, [], new Set())).toBe(12);
    expect(pickSpareKeycode(map, [], new Set([12]))).toBe(8);
  });

  it('recycles the least recently used binding once no keycode is empty, never a held one', () => {
    const map = new Keymap(8, rows());
    map.set(8, [bar, bar, 0, 0]);
    map.set(12, [eacute, eacute, 0, 0]);
    expect(pickSpareKeycode(map, [12, 8], new Set())).toBe(12);
    expect(pickSpareKeycode(map, [12, 8], new Set([12]))).toBe(8);
    expect(pickSpareKeycode(map, [12, 8], new Set([12, 8]))).toBeUndefined();
  });
});
