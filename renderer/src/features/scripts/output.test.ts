import { describe, expect, it } from 'vitest';
import { plainOutput } from './output.js';

describe('plainOutput', () => {
  it('keeps text, newlines and tabs', () => {
    expect(plainOutput('a\tb\nc\n')).toBe('a\tb\nc\n');
  });

  it('removes colours, cursor moves and window titles', () => {
    expect(plainOutput('\x1b[1;31mred\x1b[0m \x1b[2Kok\x1b]0;title\x07!\x1b]8;;http://x\x1b\\link')).toBe('red ok!link');
  });

  it('treats CRLF as a line end and keeps the last drawing of a redrawn line', () => {
    expect(plainOutput('one\r\n10%\r50%\r100%\ndone')).toBe('one\n100%\ndone');
  });

  it('drops other control characters, and a sequence cut off at the end', () => {
    expect(plainOutput('a\x00b\x08c\x7fd\x1b[')).toBe('abcd');
  });
});
