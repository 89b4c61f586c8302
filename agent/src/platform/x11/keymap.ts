/** Where a keysym can be typed: the key, and whether Shift must be down. */
export interface KeyLocation {
  keycode: number;
  shift: boolean;
}

/**
 * The core keyboard mapping (GetKeyboardMapping): one row of keysyms per
 * keycode. Column 0 is the unshifted symbol, column 1 the shifted one (group
 * 1); the other columns need group or level-3 switches that would depend on
 * the layout's modifier setup, so keysyms only found there are treated as
 * missing and get a spare keycode instead.
 */
export class Keymap {
  private readonly index = new Map<number, KeyLocation>();

  constructor(
    readonly minKeycode: number,
    private readonly rows: number[][],
  ) {
    this.reindex();
  }

  get keysymsPerKeycode(): number {
    return this.rows[0]?.length ?? 0;
  }

  get maxKeycode(): number {
    return this.minKeycode + this.rows.length - 1;
  }

  locate(keysym: number): KeyLocation | undefined {
    return this.index.get(keysym);
  }

  keysyms(keycode: number): number[] {
    return this.rows[keycode - this.minKeycode] ?? [];
  }

  /** Records a row the server was told to change (ChangeKeyboardMapping), before it confirms. */
  set(keycode: number, keysyms: number[]): void {
    this.rows[keycode - this.minKeycode] = keysyms;
    this.reindex();
  }

  private reindex(): void {
    this.index.clear();
    // Unshifted first, so a keysym on two keys is typed without Shift when possible.
    for (const column of [0, 1]) {
      this.rows.forEach((row, i) => {
        const keysym = row[column];
        if (keysym && !this.index.has(keysym)) this.index.set(keysym, { keycode: this.minKeycode + i, shift: column === 1 });
      });
    }
  }
}

/**
 * Picks a keycode to bind a keysym the layout lacks: a keycode with no symbols
 * (highest first: low ones are the likeliest to get real keys), else the least
 * recently used of our own bindings (`bound`, oldest first). Never one that is
 * held down, whose release must still mean what its press meant.
 */
export function pickSpareKeycode(keymap: Keymap, bound: Iterable<number>, held: Set<number>): number | undefined {
  for (let keycode = keymap.maxKeycode; keycode >= keymap.minKeycode; keycode--) {
    if (!held.has(keycode) && keymap.keysyms(keycode).every((s) => s === 0)) return keycode;
  }
  for (const keycode of bound) if (!held.has(keycode)) return keycode;
  return undefined;
}
