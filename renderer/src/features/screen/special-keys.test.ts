import { describe, expect, it } from 'vitest';
import { chordMessages, SPECIAL_KEYS } from './special-keys.js';

const sequence = (id: string) => chordMessages(SPECIAL_KEYS.find((k) => k.id === id)!.keys).map((m) => m.t === 'key' ? `${m.down ? '+' : '-'}${m.keysym.toString(16)}` : m.t);

describe('special keys', () => {
  it('Ctrl+Alt+Del presses Control_L, Alt_L, Delete and releases them in reverse', () => {
    expect(sequence('ctrl-alt-del')).toEqual(['+ffe3', '+ffe9', '+ffff', '-ffff', '-ffe9', '-ffe3']);
  });

  it('Alt+Tab, Super, Ctrl+Esc and Print Screen send their X keysyms', () => {
    expect(sequence('alt-tab')).toEqual(['+ffe9', '+ff09', '-ff09', '-ffe9']);
    expect(sequence('super')).toEqual(['+ffeb', '-ffeb']);
    expect(sequence('ctrl-esc')).toEqual(['+ffe3', '+ff1b', '-ff1b', '-ffe3']);
    expect(sequence('print')).toEqual(['+ff61', '-ff61']);
  });

  it('every chord releases every key it pressed', () => {
    for (const k of SPECIAL_KEYS) {
      const msgs = chordMessages(k.keys);
      const held = new Set<number>();
      for (const m of msgs) {
        if (m.t !== 'key') continue;
        if (m.down) held.add(m.keysym);
        else held.delete(m.keysym);
      }
      expect(held.size).toBe(0);
    }
  });
});
