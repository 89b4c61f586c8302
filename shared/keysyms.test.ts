import { describe, expect, it } from 'vitest';
import { codePointForKeysym, keysymForCodePoint, keysymFromKeyEvent } from './keysyms.js';

const key = (k: string, code = '') => keysymFromKeyEvent({ key: k, code });

describe('keysymFromKeyEvent', () => {
  it('sends letters as their own case', () => {
    expect(key('a', 'KeyA')).toBe(0x61);
    expect(key('A', 'KeyA')).toBe(0x41);
    expect(key('z', 'KeyZ')).toBe(0x7a);
  });

  it('sends the character a shifted key produced, not the key under it', () => {
    expect(key('!', 'Digit1')).toBe(0x21);
    expect(key('@', 'Digit2')).toBe(0x40);
    expect(key('{', 'BracketLeft')).toBe(0x7b);
    expect(key(' ', 'Space')).toBe(0x20);
  });

  it('sends Latin-1 characters as their code point', () => {
    expect(key('é', 'Digit2')).toBe(0xe9);
    expect(key('ß', 'Minus')).toBe(0xdf);
    expect(key('£')).toBe(0xa3);
  });

  it('sends other characters in the Unicode keysym plane', () => {
    expect(key('€', 'KeyE')).toBe(0x010020ac);
    expect(key('ж')).toBe(0x01000436);
  });

  it('sends a character outside the BMP as one keysym, not two surrogates', () => {
    expect(key('😀')).toBe(0x0101f600);
  });

  it('maps named keys', () => {
    expect(key('Enter', 'Enter')).toBe(0xff0d);
    expect(key('Backspace', 'Backspace')).toBe(0xff08);
    expect(key('Tab', 'Tab')).toBe(0xff09);
    expect(key('Escape', 'Escape')).toBe(0xff1b);
    expect(key('Delete', 'Delete')).toBe(0xffff);
    expect([key('ArrowLeft'), key('ArrowUp'), key('ArrowRight'), key('ArrowDown')]).toEqual([0xff51, 0xff52, 0xff53, 0xff54]);
    expect([key('Home'), key('End'), key('PageUp'), key('PageDown')]).toEqual([0xff50, 0xff57, 0xff55, 0xff56]);
  });

  it('maps F1 to F12 onto consecutive keysyms', () => {
    for (let n = 1; n <= 12; n++) expect(key(`F${n}`, `F${n}`)).toBe(0xffbe + n - 1);
  });

  it('tells left and right modifiers apart by their physical code', () => {
    expect(key('Shift', 'ShiftLeft')).toBe(0xffe1);
    expect(key('Shift', 'ShiftRight')).toBe(0xffe2);
    expect(key('Control', 'ControlLeft')).toBe(0xffe3);
    expect(key('Control', 'ControlRight')).toBe(0xffe4);
    expect(key('Alt', 'AltLeft')).toBe(0xffe9);
    expect(key('Alt', 'AltRight')).toBe(0xffea);
    expect(key('Meta', 'MetaLeft')).toBe(0xffeb);
    expect(key('Meta', 'MetaRight')).toBe(0xffec);
  });

  it('tells the keypad Enter from the main Enter', () => {
    expect(key('Enter', 'NumpadEnter')).toBe(0xff8d);
  });

  it('forwards nothing for keys it cannot name', () => {
    expect(key('Unidentified', '')).toBeNull();
    expect(key('Unidentified', 'IntlRo')).toBeNull();
    expect(key('', '')).toBeNull();
  });
});

describe('codePointForKeysym', () => {
  it('inverts keysymForCodePoint for printable characters', () => {
    for (const ch of ['a', 'Z', '~', ' ', 'é', 'ÿ', '\u00a0', 'Ā', '€', 'ж', '中', '😀', '\u{10ffff}']) {
      const cp = ch.codePointAt(0)!;
      expect(codePointForKeysym(keysymForCodePoint(cp)), ch).toBe(cp);
    }
  });

  it('returns null for keysyms that are not characters', () => {
    for (const k of [0xff0d, 0xff08, 0xffe1, 0xffbe, 0xfe03, 0x00, 0x1f, 0x7f, 0x9f, 0x01110000]) {
      expect(codePointForKeysym(k), k.toString(16)).toBeNull();
    }
  });
});

describe('AltGr', () => {
  it('is not forwarded as Alt: the character it produces travels as its own keysym', () => {
    expect(keysymFromKeyEvent({ key: 'AltGraph', code: 'AltRight' })).toBeNull();
    expect(keysymFromKeyEvent({ key: '@', code: 'KeyQ' })).toBe(0x40);
  });
});
