/**
 * Rebuilds the command lines a technician types into an elevated shell from
 * the raw keystrokes, for the audit log. It sees only input, never the
 * shell's line editor, so it records what was typed, not what ran:
 * history recall (arrow keys), tab completion and cursor movement inside a
 * line are not reconstructed (their escape sequences and control keys are
 * dropped); text typed into full-screen programs (an editor, a pager) is
 * recorded line by line like commands.
 */

/** Longer lines (a big paste without a newline) are cut here, marked with an ellipsis. */
export const MAX_LINE_CHARS = 4096;

const ESC = 0x1b;
const BEL = 0x07;
const CTRL_C = 0x03;
const CTRL_U = 0x15;
const CTRL_W = 0x17;
const BACKSPACE = 0x08;
const DEL = 0x7f;

type EscapeState = 'none' | 'esc' | 'ss3' | 'csi' | 'string' | 'string-esc';

export class CommandLineRecorder {
  private readonly utf8 = new TextDecoder('utf-8', { fatal: false });
  private chars: string[] = [];
  private truncated = false;
  private escape: EscapeState = 'none';

  /** Feeds input bytes; returns the non-empty lines they complete (trimmed). */
  feed(bytes: Uint8Array): string[] {
    const lines: string[] = [];
    // Streaming decode: a character split across two messages is joined.
    for (const ch of this.utf8.decode(bytes, { stream: true })) {
      const code = ch.codePointAt(0)!;
      if (this.escape !== 'none') {
        this.skipEscape(code);
        continue;
      }
      if (code === 0x0d || code === 0x0a) {
        const line = this.chars.join('').trim();
        if (line) lines.push(this.truncated ? `${line}…` : line);
        this.clear();
      } else if (code === BACKSPACE || code === DEL) {
        this.chars.pop();
      } else if (code === CTRL_C || code === CTRL_U) {
        // Ctrl-C abandons the line in a shell, Ctrl-U erases it: either way it never runs.
        this.clear();
      } else if (code === CTRL_W) {
        while (this.chars.at(-1) === ' ') this.chars.pop();
        while (this.chars.length > 0 && this.chars.at(-1) !== ' ') this.chars.pop();
      } else if (code === ESC) {
        this.escape = 'esc';
      } else if (code >= 0x20 && (code < 0x80 || code > 0x9f)) {
        if (this.chars.length < MAX_LINE_CHARS) this.chars.push(ch);
        else this.truncated = true;
      }
    }
    return lines;
  }

  private clear(): void {
    this.chars = [];
    this.truncated = false;
  }

  /** Consumes one character of an escape sequence (ECMA-48: CSI, OSC/DCS strings, two-character escapes). */
  private skipEscape(code: number): void {
    switch (this.escape) {
      case 'esc':
        if (code === 0x5b) this.escape = 'csi'; // ESC [
        else if (code === 0x5d || code === 0x50 || code === 0x5f || code === 0x5e) this.escape = 'string'; // OSC, DCS, APC, PM
        else if (code === 0x4f) this.escape = 'ss3'; // one more character: F1–F4, arrows in application cursor mode
        else this.escape = 'none';
        return;
      case 'csi':
        if (code >= 0x40 && code <= 0x7e) this.escape = 'none';
        return;
      case 'string':
        if (code === BEL) this.escape = 'none';
        else if (code === ESC) this.escape = 'string-esc';
        return;
      case 'string-esc':
        this.escape = code === 0x5c ? 'none' : 'string';
        return;
      case 'ss3':
        this.escape = 'none';
        return;
    }
  }
}
