import { describe, expect, it } from 'vitest';
import { CommandLineRecorder, MAX_LINE_CHARS } from './command-line.js';

const bytes = (s: string) => new TextEncoder().encode(s);

function typed(...chunks: (string | Uint8Array)[]): string[] {
  const r = new CommandLineRecorder();
  return chunks.flatMap((c) => r.feed(typeof c === 'string' ? bytes(c) : c));
}

describe('CommandLineRecorder', () => {
  it('reports each non-empty line once Enter is pressed, trimmed', () => {
    expect(typed('echo one\r', '  \r', 'ls -la\n', 'unfinished')).toEqual(['echo one', 'ls -la']);
  });

  it('applies Backspace and DEL, and drops lines abandoned with Ctrl-C or erased with Ctrl-U', () => {
    expect(typed('ls -lx\x7fa\r', 'rmm\x08 -r x\r', 'reboot\x03', 'shutdown\x15id\r')).toEqual(['ls -la', 'rm -r x', 'id']);
  });

  it('erases the last word on Ctrl-W', () => {
    expect(typed('rm -rf /tmp/x  \x17/tmp/y\r')).toEqual(['rm -rf /tmp/y']);
  });

  it('ignores escape sequences, so a line edited with the arrow keys is recorded as typed, not as run', () => {
    // Left arrow, then "c": the shell runs "acb"; history recall (up arrow) records nothing.
    expect(typed('ab\x1b[Dc\r', '\x1bOP\x1b[15~\x1b[I\x1b]0;title\x07\x1b]2;t\x1b\\pwd\r', '\x1b[A\r')).toEqual(['abc', 'pwd']);
  });

  it('records pasted text between bracketed-paste markers, one line per newline', () => {
    expect(typed('\x1b[200~apt update\napt upgrade\x1b[201~\r')).toEqual(['apt update', 'apt upgrade']);
  });

  it('joins a UTF-8 character split across two messages', () => {
    const all = bytes('echo ✓\r');
    expect(typed(all.subarray(0, 6), all.subarray(6))).toEqual(['echo ✓']);
  });

  it('cuts an endless line and marks the cut', () => {
    const [line] = typed(`${'x'.repeat(MAX_LINE_CHARS + 10)}\r`);
    expect(line).toBe(`${'x'.repeat(MAX_LINE_CHARS)}…`);
  });
});
