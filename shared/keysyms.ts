/**
 * Browser KeyboardEvent -> X11 keysym. The console sends keysyms, not
 * scancodes, so what the technician's layout produces is what the remote
 * machine receives, whatever its own layout.
 */

/** Named keys, by KeyboardEvent.key. */
const NAMED: Record<string, number> = {
  Backspace: 0xff08, Tab: 0xff09, Enter: 0xff0d, Escape: 0xff1b, Delete: 0xffff,
  Home: 0xff50, ArrowLeft: 0xff51, ArrowUp: 0xff52, ArrowRight: 0xff53, ArrowDown: 0xff54,
  PageUp: 0xff55, PageDown: 0xff56, End: 0xff57, Insert: 0xff63, Pause: 0xff13,
  ScrollLock: 0xff14, PrintScreen: 0xff61, ContextMenu: 0xff67, NumLock: 0xff7f, CapsLock: 0xffe5,
  F1: 0xffbe, F2: 0xffbf, F3: 0xffc0, F4: 0xffc1, F5: 0xffc2, F6: 0xffc3,
  F7: 0xffc4, F8: 0xffc5, F9: 0xffc6, F10: 0xffc7, F11: 0xffc8, F12: 0xffc9,
  Dead: 0xfe50, Compose: 0xff20,
};

/** Modifiers and keys whose left/right side matters, by KeyboardEvent.code. */
const BY_CODE: Record<string, number> = {
  ShiftLeft: 0xffe1, ShiftRight: 0xffe2, ControlLeft: 0xffe3, ControlRight: 0xffe4,
  AltLeft: 0xffe9, AltRight: 0xffea, MetaLeft: 0xffeb, MetaRight: 0xffec,
  OSLeft: 0xffeb, OSRight: 0xffec,
  NumpadEnter: 0xff8d,
};

export const KEYSYM = {
  shiftL: 0xffe1, controlL: 0xffe3, altL: 0xffe9, superL: 0xffeb, delete: 0xffff, tab: 0xff09,
} as const;

/** Unicode code point -> keysym (Latin-1 maps directly; the rest use the 0x01000000 plane). */
export function keysymForCodePoint(cp: number): number {
  if ((cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff)) return cp;
  return 0x01000000 + cp;
}

/** Keysym -> Unicode code point, or null for keysyms that are not characters. */
export function codePointForKeysym(keysym: number): number | null {
  if ((keysym >= 0x20 && keysym <= 0x7e) || (keysym >= 0xa0 && keysym <= 0xff)) return keysym;
  if (keysym >= 0x01000100 && keysym <= 0x0110ffff) return keysym - 0x01000000;
  return null;
}

/** The keysym for a key event, or null for keys we do not forward (e.g. "Unidentified"). */
export function keysymFromKeyEvent(e: { key: string; code: string }): number | null {
  // AltGr arrives as code AltRight; forwarding it as Alt_R would turn AltGr+Q = "@"
  // into Alt+@ remotely. The character it produces travels as its own keysym instead.
  if (e.key === 'AltGraph') return null;
  const byCode = BY_CODE[e.code];
  if (byCode !== undefined) return byCode;
  const named = NAMED[e.key];
  if (named !== undefined) return named;
  const chars = Array.from(e.key);
  if (chars.length === 1) return keysymForCodePoint(chars[0]!.codePointAt(0)!);
  return null;
}
