import { describe, expect, it } from 'vitest';
import { CHUNK_BYTES, checkName, checkRelativePath, encodeChunk, encodeFileMessage, FileDecoder, joinPath, parentPath } from './files.js';
import { LIMITS } from './limits.js';

describe('checkRelativePath', () => {
  it('accepts the root and plain relative paths', () => {
    expect(checkRelativePath('')).toBeNull();
    expect(checkRelativePath('Documents/report 1.pdf')).toBeNull();
    expect(checkRelativePath('.hidden/..dots..')).toBeNull();
  });

  it('refuses climbing out, absolute paths, empty or "." parts and NUL, in a sentence', () => {
    expect(checkRelativePath('../etc')).toMatch(/climbs out/);
    expect(checkRelativePath('a/../../b')).toMatch(/climbs out/);
    expect(checkRelativePath('/etc/passwd')).toMatch(/absolute/);
    expect(checkRelativePath('C:\\Windows')).toMatch(/absolute/);
    expect(checkRelativePath('a//b')).toMatch(/empty/);
    expect(checkRelativePath('a/./b')).toMatch(/empty/);
    expect(checkRelativePath('a\0b')).toMatch(/NUL/);
  });
});

describe('names and joining', () => {
  it('checks single names', () => {
    expect(checkName('report.pdf')).toBeNull();
    expect(checkName('..')).not.toBeNull();
    expect(checkName('a/b')).not.toBeNull();
    expect(checkName('é'.repeat(128))).toMatch(/255 bytes/);
  });

  it('joins and splits relative paths', () => {
    expect(joinPath('', 'a')).toBe('a');
    expect(joinPath('a/b', 'c')).toBe('a/b/c');
    expect(parentPath('a/b/c')).toBe('a/b');
    expect(parentPath('a')).toBe('');
  });
});

describe('FileDecoder', () => {
  it('round-trips messages and chunks, offsets beyond 4 GiB included', () => {
    const d = new FileDecoder();
    const [frame] = encodeFileMessage({ t: 'download:ack', transfer: 7, offset: 5 * 2 ** 30 });
    expect(d.decode(frame!)).toEqual({ kind: 'message', msg: { t: 'download:ack', transfer: 7, offset: 5 * 2 ** 30 } });
    const bytes = new Uint8Array(CHUNK_BYTES).fill(9);
    const chunk = encodeChunk(3, 6 * 2 ** 30, bytes);
    expect(chunk.length).toBe(LIMITS.channelMessageBytes);
    const got = d.decode(chunk);
    expect(got).toMatchObject({ kind: 'chunk', transfer: 3, offset: 6 * 2 ** 30 });
    expect(got?.kind === 'chunk' && got.bytes.length).toBe(CHUNK_BYTES);
  });

  it('refuses oversized chunks when encoding, and reports bad input without throwing', () => {
    expect(() => encodeChunk(1, 0, new Uint8Array(CHUNK_BYTES + 1))).toThrow();
    const d = new FileDecoder();
    expect(d.decode(new Uint8Array([2, 1, 0, 0, 0, 1]))).toMatchObject({ kind: 'invalid', reason: /truncated/ });
    const negative = encodeChunk(1, 0, new Uint8Array(1));
    new DataView(negative.buffer).setFloat64(5, -1, true);
    expect(d.decode(negative)).toMatchObject({ kind: 'invalid' });
    expect(d.decode(new Uint8Array([1, ...new TextEncoder().encode('{"t":"fs:list","id":1,"root":"home","path":5}')]))).toMatchObject({ kind: 'invalid' });
    expect(d.decode(new Uint8Array([9]))).toMatchObject({ kind: 'invalid' });
  });
});
