/**
 * Script output is shown as plain text, not in a terminal: terminal control
 * sequences (colours, cursor moves, titles) are removed rather than shown as
 * garbage, a carriage return that redraws a line (progress bars) keeps only
 * the last drawing, and other control characters are dropped.
 */
const ESC = 0x1b;
const BEL = 0x07;

/** Index just past the escape sequence that starts at `i` (an ESC). */
function skipEscape(s: string, i: number): number {
  const next = s.charCodeAt(i + 1);
  if (next === 0x5b) {
    // CSI: parameters and intermediates, then one final byte in @..~.
    let j = i + 2;
    while (j < s.length && (s.charCodeAt(j) < 0x40 || s.charCodeAt(j) > 0x7e)) j++;
    return j + 1;
  }
  if (next === 0x5d || next === 0x50 || next === 0x5f || next === 0x5e) {
    // OSC, DCS, APC, PM: up to BEL or ESC \.
    let j = i + 2;
    while (j < s.length && s.charCodeAt(j) !== BEL && !(s.charCodeAt(j) === ESC && s.charCodeAt(j + 1) === 0x5c)) j++;
    return s.charCodeAt(j) === BEL ? j + 1 : j + 2;
  }
  return i + 2;
}

export function plainOutput(raw: string): string {
  const lines: string[] = [];
  let line = '';
  for (let i = 0; i < raw.length; ) {
    const c = raw.charCodeAt(i);
    if (c === ESC) {
      i = skipEscape(raw, i);
      continue;
    }
    if (c === 0x0a) {
      lines.push(line);
      line = '';
    } else if (c === 0x0d) {
      // "\r\n" ends the line; a lone "\r" starts drawing it again.
      if (raw.charCodeAt(i + 1) !== 0x0a) line = '';
    } else if (c === 0x09 || c >= 0x20) {
      if (c !== 0x7f) line += raw[i];
    }
    i++;
  }
  lines.push(line);
  return lines.join('\n');
}
