/**
 * A folder as one tar stream: POSIX ustar, with a pax extended header for
 * what ustar cannot hold (names or link targets over 100 bytes, sizes from
 * 8 GiB, large ids), written by hand.
 *
 * The stream is planned up front from lstat, so its exact size is known
 * before the first byte, and it is deterministic: entries depth first in
 * name order, mode/uid/gid/mtime from lstat, no atime, no user names. Planning
 * the same unchanged folder again gives the same bytes, so a download can
 * resume at any offset. Symlinks are stored as symlinks, never followed;
 * devices, FIFOs and sockets are left out.
 */
import { constants } from 'node:fs';
import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { LifelineError } from '../../../shared/errors.js';
import { errno, fsError, io } from './paths.js';
import { readFile, READ_BYTES } from './read.js';

/** A larger folder is refused: the plan is kept in memory. */
export const MAX_TAR_ENTRIES = 250_000;

const BLOCK = 512;
const ZEROS = new Uint8Array(2 * BLOCK);
/** Largest values the ustar octal fields hold. */
const MAX_OCTAL_11 = 0o77777777777;
const MAX_OCTAL_7 = 0o7777777;

export interface TarEntry {
  /** Name in the archive, '/'-separated; a folder's ends with '/'. */
  name: string;
  type: 'file' | 'dir' | 'symlink';
  /** Where it is on disk. */
  path: string;
  /** Content bytes (0 but for files). */
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** Whole seconds. */
  mtime: number;
  /** A symlink's target, as stored. */
  link: string;
}

export interface TarPlan {
  entries: TarEntry[];
  /** Bytes of the whole stream. */
  size: number;
}

export interface PlanOptions {
  /** How messages name an entry, from its name in the archive. */
  what: (name: string) => string;
  /** Checked between folders: planning a large tree stops early when the download was cancelled. */
  stopped: () => boolean;
  log: (msg: string) => void;
}

/** Plans the archive of the folder at `dir` (a real path), whose entries go under `top/`. */
export async function planTar(dir: string, top: string, opts: PlanOptions): Promise<TarPlan> {
  const entries: TarEntry[] = [];
  let size = ZEROS.length; // the end-of-archive marker
  let skipped = 0;
  const add = (entry: TarEntry) => {
    if (entries.length >= MAX_TAR_ENTRIES) {
      throw new LifelineError('ERR_IO', `${opts.what(`${top}/`)} holds more than ${MAX_TAR_ENTRIES.toLocaleString('en')} files and folders. Download the folders in it one by one.`);
    }
    entries.push(entry);
    size += tarHeader(entry).length + padded(entry.size);
  };

  const walk = async (abs: string, name: string, st: Stats): Promise<void> => {
    if (opts.stopped()) throw new LifelineError('ERR_CANCELLED');
    add(entryOf(`${name}/`, 'dir', abs, st, ''));
    const names = (await io(opts.what(`${name}/`), fs.readdir(abs))).sort();
    for (const child of names) {
      const childAbs = path.join(abs, child);
      const childName = `${name}/${child}`;
      const what = opts.what(childName);
      let cst: Stats;
      try {
        cst = await fs.lstat(childAbs);
      } catch (e) {
        // Deleted meanwhile (or a name that is not valid UTF-8, which Node cannot name again): nothing to archive.
        if (errno(e) === 'ENOENT') {
          opts.log(`left ${what} out of the archive: it could not be found`);
          continue;
        }
        throw fsError(e, what);
      }
      if (cst.isDirectory()) await walk(childAbs, childName, cst);
      else if (cst.isSymbolicLink()) add(entryOf(childName, 'symlink', childAbs, cst, await io(what, fs.readlink(childAbs))));
      else if (cst.isFile()) {
        // Found now rather than half way through the stream.
        await io(what, fs.access(childAbs, constants.R_OK));
        add(entryOf(childName, 'file', childAbs, cst, ''));
      } else skipped++;
    }
  };

  const st = await io(opts.what(`${top}/`), fs.lstat(dir));
  await walk(dir, top, st);
  if (skipped > 0) opts.log(`left ${skipped} devices, FIFOs or sockets out of the archive of ${opts.what(`${top}/`)}`);
  return { entries, size };
}

/** The archive's bytes, in pieces; each piece may be reused once the next is asked for. */
export async function* tarStream(plan: TarPlan, what: (name: string) => string): AsyncGenerator<Uint8Array> {
  const buf = new Uint8Array(READ_BYTES);
  for (const entry of plan.entries) {
    yield tarHeader(entry);
    if (entry.type !== 'file') continue;
    yield* readFile(entry.path, entry.size, what(entry.name), buf);
    const pad = padded(entry.size) - entry.size;
    if (pad > 0) yield ZEROS.subarray(0, pad);
  }
  yield ZEROS;
}

function entryOf(name: string, type: TarEntry['type'], abs: string, st: Stats, link: string): TarEntry {
  return {
    name,
    type,
    path: abs,
    size: type === 'file' ? st.size : 0,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    mtime: Math.floor(st.mtimeMs / 1000),
    link,
  };
}

function padded(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

const encoder = new TextEncoder();

/** The header block(s) of an entry: a pax extended header first when ustar cannot hold it. */
export function tarHeader(entry: TarEntry): Uint8Array {
  const name = encoder.encode(entry.name);
  const link = encoder.encode(entry.link);
  const pax: [string, string][] = [];
  if (name.length > 100) pax.push(['path', entry.name]);
  if (link.length > 100) pax.push(['linkpath', entry.link]);
  if (entry.size > MAX_OCTAL_11) pax.push(['size', String(entry.size)]);
  if (entry.uid > MAX_OCTAL_7) pax.push(['uid', String(entry.uid)]);
  if (entry.gid > MAX_OCTAL_7) pax.push(['gid', String(entry.gid)]);
  const main = ustar({
    name,
    mode: entry.mode,
    uid: entry.uid > MAX_OCTAL_7 ? 0 : entry.uid,
    gid: entry.gid > MAX_OCTAL_7 ? 0 : entry.gid,
    size: entry.size > MAX_OCTAL_11 ? 0 : entry.size,
    mtime: Math.min(Math.max(entry.mtime, 0), MAX_OCTAL_11),
    type: entry.type === 'file' ? '0' : entry.type === 'dir' ? '5' : '2',
    link,
  });
  if (pax.length === 0) return main;

  const records = encoder.encode(pax.map(([k, v]) => paxRecord(k, v)).join(''));
  const base = entry.name.replace(/\/$/, '');
  const header = ustar({
    name: encoder.encode(`PaxHeader/${base.slice(base.lastIndexOf('/') + 1)}`),
    mode: 0o644,
    uid: 0,
    gid: 0,
    size: records.length,
    mtime: Math.min(Math.max(entry.mtime, 0), MAX_OCTAL_11),
    type: 'x',
    link: new Uint8Array(0),
  });
  const out = new Uint8Array(BLOCK + padded(records.length) + BLOCK);
  out.set(header, 0);
  out.set(records, BLOCK);
  out.set(main, out.length - BLOCK);
  return out;
}

/** "<length> <key>=<value>\n", where the length counts its own digits too. */
function paxRecord(key: string, value: string): string {
  const rest = encoder.encode(` ${key}=${value}\n`).length;
  let len = rest + String(rest).length;
  while (String(len).length + rest !== len) len = String(len).length + rest;
  return `${len} ${key}=${value}\n`;
}

interface UstarFields {
  name: Uint8Array;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  type: string;
  link: Uint8Array;
}

function ustar(f: UstarFields): Uint8Array {
  const h = new Uint8Array(BLOCK);
  h.set(clip(f.name, 100), 0);
  octal(h, 100, 8, f.mode);
  octal(h, 108, 8, f.uid);
  octal(h, 116, 8, f.gid);
  octal(h, 124, 12, f.size);
  octal(h, 136, 12, f.mtime);
  h.fill(0x20, 148, 156); // the checksum counts its own field as spaces
  h[156] = f.type.charCodeAt(0);
  h.set(clip(f.link, 100), 157);
  h.set(encoder.encode('ustar\x0000'), 257);
  octal(h, 329, 8, 0); // devmajor
  octal(h, 337, 8, 0); // devminor
  let sum = 0;
  for (const b of h) sum += b;
  h.set(encoder.encode(`${sum.toString(8).padStart(6, '0')}\x00 `), 148);
  return h;
}

/** A zero-padded octal number and a NUL, in `width` bytes. */
function octal(h: Uint8Array, at: number, width: number, n: number): void {
  h.set(encoder.encode(`${n.toString(8).padStart(width - 1, '0')}\x00`), at);
}

/** At most `max` bytes, not cutting a UTF-8 sequence (the full name is then in the pax header). */
function clip(bytes: Uint8Array, max: number): Uint8Array {
  if (bytes.length <= max) return bytes;
  let end = max;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}
