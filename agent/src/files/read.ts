/**
 * Reading a regular file for a download (on its own or inside a tar): never
 * through a symlink, never a device, and exactly the size announced up front,
 * because the console was told that size and hashes what it gets.
 */
import { constants } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import { LifelineError } from '../../../shared/errors.js';
import { io } from './paths.js';

/** Bytes read from disk at a time; one such buffer per running download. */
export const READ_BYTES = 1024 * 1024;

/**
 * O_NOFOLLOW: a symlink swapped in after the path was checked is refused.
 * O_NONBLOCK: a FIFO swapped in does not block the open (it is refused after).
 */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export function changed(what: string): LifelineError {
  return new LifelineError('ERR_IO', `${what} changed while it was being read. Download it again.`);
}

/** Opens the regular file at `real` (a path without symlinks) for reading. */
export async function openRegular(real: string, what: string): Promise<FileHandle> {
  const handle = await io(what, fs.open(real, READ_FLAGS));
  try {
    if (!(await handle.stat()).isFile()) throw changed(what);
    return handle;
  } catch (e) {
    await handle.close();
    throw e;
  }
}

/**
 * Exactly `size` bytes of `handle` from its start, in pieces of `buf` (which
 * is reused: the caller is done with a piece before it asks for the next).
 * ERR_IO when the file turns out shorter or longer.
 */
export async function* readExactly(handle: FileHandle, size: number, what: string, buf: Uint8Array): AsyncGenerator<Uint8Array> {
  let pos = 0;
  while (pos < size) {
    const { bytesRead } = await io(what, handle.read(buf, 0, Math.min(buf.length, size - pos), pos));
    if (bytesRead === 0) throw changed(what);
    pos += bytesRead;
    yield buf.subarray(0, bytesRead);
  }
  if ((await io(what, handle.stat())).size !== size) throw changed(what);
}

/** `readExactly` on the file at `real`, opened here and closed when done (or when the reader stops early). */
export async function* readFile(real: string, size: number, what: string, buf: Uint8Array): AsyncGenerator<Uint8Array> {
  let handle: FileHandle;
  try {
    handle = await openRegular(real, what);
  } catch (e) {
    // Gone or replaced by a symlink since the folder was listed.
    if (e instanceof LifelineError && (e.code === 'ERR_NOT_FOUND' || e.code === 'ERR_PATH_REFUSED')) throw changed(what);
    throw e;
  }
  try {
    yield* readExactly(handle, size, what, buf);
  } finally {
    await handle.close();
  }
}
