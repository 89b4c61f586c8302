import { describe, expect, it } from 'vitest';
import { LifelineError } from '../../../shared/errors.js';
import { fsError, inside, shown, sidecarName } from './paths.js';

const errno = (code: string) => Object.assign(new Error(code), { code });

describe('file paths', () => {
  it('says what went wrong on the disk in a sentence', () => {
    expect(fsError(errno('EACCES'), '"a/b"')).toMatchObject({ code: 'ERR_IO', message: 'Permission denied on "a/b".' });
    expect(fsError(errno('ENOSPC'), '"a/b"')).toMatchObject({ code: 'ERR_IO', message: 'Could not write "a/b": the disk is full.' });
    expect(fsError(errno('ENOENT'), '"a/b"')).toMatchObject({ code: 'ERR_NOT_FOUND' });
    expect(fsError(errno('EEXIST'), '"a/b"')).toMatchObject({ code: 'ERR_EXISTS' });
    expect(fsError(errno('ELOOP'), '"a/b"')).toMatchObject({ code: 'ERR_PATH_REFUSED' });
    expect(fsError(errno('EWHATEVER'), '"a/b"')).toMatchObject({ code: 'ERR_IO', message: '"a/b" could not be read or written (EWHATEVER).' });
    const bug = new TypeError('oops');
    expect(fsError(bug, '"a"')).toBe(bug);
    const known = new LifelineError('ERR_CHECKSUM');
    expect(fsError(known, '"a"')).toBe(known);
  });

  it('tells inside from outside by whole path parts', () => {
    expect(inside('/home/a', '/home/a')).toBe(true);
    expect(inside('/home/a/b', '/home/a')).toBe(true);
    expect(inside('/home/ab', '/home/a')).toBe(false);
    expect(inside('/etc', '/')).toBe(true);
  });

  it('names paths shortly', () => {
    const root = { id: 'home', label: 'Home folder', path: '/home/x' };
    expect(shown(root, '')).toBe('"Home folder"');
    expect(shown(root, 'a/b')).toBe('"a/b"');
    expect(shown(root, 'x/'.repeat(1000)).length).toBeLessThan(210);
  });

  it('fits the names of partial files within 255 bytes, the same every time', () => {
    expect(sidecarName('report.pdf', '.', '.lifeline-part')).toBe('.report.pdf.lifeline-part');
    const long = 'é'.repeat(127);
    const a = sidecarName(long, '.', '.lifeline-part');
    expect(Buffer.byteLength(a)).toBeLessThanOrEqual(255);
    expect(a).toBe(sidecarName(long, '.', '.lifeline-part'));
    expect(a).not.toBe(sidecarName(`${'é'.repeat(126)}x`, '.', '.lifeline-part'));
    expect(a.endsWith('.lifeline-part')).toBe(true);
  });
});
