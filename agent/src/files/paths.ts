/**
 * Where a request's (root id, relative path) lands on this machine, and why
 * it may not. The console is never trusted: the path's syntax is checked
 * before any file system call (shared/files.ts), then its real path (every
 * symlink resolved) must stay inside the root's real path. Only regular
 * files and folders are read or written; devices, FIFOs and sockets are
 * refused, because opening one can block or reach hardware.
 *
 * Messages name paths as the technician sees them (relative to the root),
 * never the machine's absolute paths.
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { LifelineError } from '../../../shared/errors.js';
import { checkName, checkRelativePath, parentPath, type FileRoot } from '../../../shared/files.js';

/** A folder the technician may browse. */
export interface FileRootConfig {
  id: string;
  label: string;
  /** Absolute folder on this machine. */
  path: string;
}

export function defaultFileRoots(home: string): FileRootConfig[] {
  return [
    { id: 'home', label: 'Home folder', path: home },
    { id: 'computer', label: 'Computer', path: '/' },
  ];
}

/** A root as found on disk now. */
export interface Root {
  config: FileRootConfig;
  /** Its real path (the configured path may itself go through symlinks). */
  real: string;
}

/** An existing file or folder, symlinks followed, inside its root. */
export interface Found {
  root: Root;
  rel: string;
  real: string;
  /** Of `real`, which has no symlinks left. */
  stat: Stats;
  /** `rel` as messages name it. */
  what: string;
}

/** The entry a path names itself (a symlink is not followed), in a folder inside the root. */
export interface Entry {
  root: Root;
  rel: string;
  name: string;
  /** Real path of the folder it is in. */
  folder: string;
  /** `folder`/`name`. */
  full: string;
  /** lstat of `full`; null when nothing has that name yet. */
  stat: Stats | null;
  what: string;
}

/** Longest path shown in a message; error messages must stay within the protocol's 2048 characters. */
const SHOWN_CHARS = 200;

/** How messages name `rel` in `root`: quoted, the root's label for the root itself, long paths cut short. */
export function shown(root: FileRootConfig, rel: string): string {
  if (rel === '') return `"${root.label}"`;
  return `"${rel.length > SHOWN_CHARS ? `…${rel.slice(-(SHOWN_CHARS - 1))}` : rel}"`;
}

/** Whether `real` is `root` or inside it (both real paths). */
export function inside(real: string, root: string): boolean {
  return real === root || real.startsWith(root.endsWith('/') ? root : `${root}/`);
}

export class FileRoots {
  constructor(private readonly configs: readonly FileRootConfig[]) {}

  /** What `fs:roots` answers: never the machine's paths. */
  list(): FileRoot[] {
    return this.configs.map(({ id, label }) => ({ id, label }));
  }

  config(id: string): FileRootConfig {
    const config = this.configs.find((r) => r.id === id);
    if (!config) throw new LifelineError('ERR_NOT_FOUND', `There is no folder "${id.slice(0, 64)}" to browse.`);
    return config;
  }

  /** The root with its real path, after `rel` passed the syntax check (so a bad path is refused before any file system call). */
  async root(id: string, rel: string): Promise<Root> {
    const config = this.config(id);
    const why = checkRelativePath(rel);
    if (why) throw new LifelineError('ERR_PATH_REFUSED', why);
    let real: string;
    try {
      real = await fs.realpath(config.path);
      if (!(await fs.stat(real)).isDirectory()) throw new Error('not a folder');
    } catch {
      throw new LifelineError('ERR_NOT_FOUND', `The folder "${config.label}" does not exist on this computer.`);
    }
    return { config, real };
  }

  /** The existing file or folder `rel` names, every symlink followed; refused when its real path leaves the root. */
  async follow(id: string, rel: string): Promise<Found> {
    const root = await this.root(id, rel);
    return followIn(root, rel);
  }

  /** The entry `rel` names, not followed; its folder must exist and be inside the root. `rel` must not be ''. */
  async entry(id: string, rel: string): Promise<Entry> {
    const root = await this.root(id, rel);
    if (rel === '') throw new LifelineError('ERR_BAD_MESSAGE', 'That needs a name inside the folder.');
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    const why = checkName(name);
    if (why) throw new LifelineError('ERR_PATH_REFUSED', why);
    const parent = await followIn(root, parentPath(rel));
    if (!parent.stat.isDirectory()) throw new LifelineError('ERR_NOT_FOUND', `${parent.what} is not a folder.`);
    const full = path.join(parent.real, name);
    const what = shown(root.config, rel);
    const stat = await fs.lstat(full).catch((e: unknown) => {
      if (errno(e) === 'ENOENT') return null;
      throw fsError(e, what);
    });
    return { root, rel, name, folder: parent.real, full, stat, what };
  }
}

async function followIn(root: Root, rel: string): Promise<Found> {
  const what = shown(root.config, rel);
  const real = await io(what, fs.realpath(path.join(root.real, rel)));
  if (!inside(real, root.real)) throw new LifelineError('ERR_PATH_REFUSED', `${what} leads outside "${root.config.label}" through a symbolic link.`);
  const stat = await io(what, fs.lstat(real));
  return { root, rel, real, stat, what };
}

/** Refuses anything but a regular file or a folder. */
export function refuseSpecial(stat: Stats, what: string): void {
  if (stat.isFile() || stat.isDirectory()) return;
  const kind = stat.isFIFO() ? 'a named pipe' : stat.isSocket() ? 'a socket' : stat.isSymbolicLink() ? 'a symbolic link' : 'a device';
  throw new LifelineError('ERR_PATH_REFUSED', `${what} is ${kind}, not a file.`);
}

export function errno(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** A file system error as a sentence about `what`. Errors without an errno code (bugs) are passed on unchanged. */
export function fsError(e: unknown, what: string): unknown {
  if (e instanceof LifelineError) return e;
  const code = errno(e);
  switch (code) {
    case undefined:
      return e;
    case 'ENOENT':
    case 'ENOTDIR':
      return new LifelineError('ERR_NOT_FOUND', `${what} does not exist.`);
    case 'EEXIST':
    case 'ENOTEMPTY':
      return new LifelineError('ERR_EXISTS', `${what} already exists.`);
    case 'EACCES':
    case 'EPERM':
      return new LifelineError('ERR_IO', `Permission denied on ${what}.`);
    case 'ENOSPC':
    case 'EDQUOT':
      return new LifelineError('ERR_IO', `Could not write ${what}: the disk is full.`);
    case 'EROFS':
      return new LifelineError('ERR_IO', `${what} is on a read-only disk.`);
    case 'ELOOP':
      return new LifelineError('ERR_PATH_REFUSED', `${what} is a symbolic link that is not followed here (or a loop of links).`);
    case 'EISDIR':
      return new LifelineError('ERR_IO', `${what} is a folder.`);
    case 'ENAMETOOLONG':
      return new LifelineError('ERR_IO', `The name of ${what} is too long.`);
    case 'EBUSY':
    case 'ETXTBSY':
      return new LifelineError('ERR_IO', `${what} is in use.`);
    case 'EXDEV':
      return new LifelineError('ERR_IO', `${what} cannot be moved to another disk.`);
    case 'EIO':
      return new LifelineError('ERR_IO', `The disk reported an error on ${what}.`);
    default:
      return new LifelineError('ERR_IO', `${what} could not be read or written (${code}).`);
  }
}

/** `op`, with a failure described by `fsError`. */
export async function io<T>(what: string, op: Promise<T>): Promise<T> {
  try {
    return await op;
  } catch (e) {
    throw fsError(e, what);
  }
}

/**
 * `prefix + name + suffix` for a file kept next to `name` (a partial
 * upload, a mismatch kept aside), shortened with a hash of the name when it
 * would pass the 255-byte limit on names, so it stays the same every time.
 */
export function sidecarName(name: string, prefix: string, suffix: string): string {
  const full = `${prefix}${name}${suffix}`;
  if (Buffer.byteLength(full) <= 255) return full;
  const tag = `~${createHash('sha256').update(name).digest('hex').slice(0, 16)}`;
  const chars = [...name];
  while (Buffer.byteLength(`${prefix}${chars.join('')}${tag}${suffix}`) > 255) chars.pop();
  return `${prefix}${chars.join('')}${tag}${suffix}`;
}
