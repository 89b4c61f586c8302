/** The remote file browser's requests: list, make a folder, rename, delete. */
import type { Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { LifelineError } from '../../../shared/errors.js';
import { MAX_LIST_ENTRIES, type FileEntry, type Listing } from '../../../shared/files.js';
import { MAX_JSON_RESULT_BYTES } from '../../../shared/frames.js';
import { fsError, inside, io, shown, type FileRoots, type Root } from './paths.js';
import type { Owner } from './transfer.js';

/** Entries described at once (each is an lstat, and a realpath for a symlink). */
const LIST_CONCURRENCY = 32;
/** A listing stops short of what the console's decoder accepts (odd names escape to several JSON characters each). */
const LIST_JSON_BUDGET = MAX_JSON_RESULT_BYTES / 2;

export async function list(roots: FileRoots, rootId: string, rel: string): Promise<Listing> {
  const found = await roots.follow(rootId, rel);
  if (!found.stat.isDirectory()) throw new LifelineError('ERR_NOT_FOUND', `${found.what} is not a folder.`);
  const names: string[] = [];
  let truncated = false;
  const dir = await io(found.what, fs.opendir(found.real));
  try {
    for (let d = await dir.read(); d; d = await dir.read()) {
      if (names.length === MAX_LIST_ENTRIES) {
        truncated = true;
        break;
      }
      names.push(d.name);
    }
  } catch (e) {
    throw fsError(e, found.what);
  } finally {
    await dir.close().catch(() => {});
  }

  const entries: FileEntry[] = new Array<FileEntry>(names.length);
  for (let i = 0; i < names.length; i += LIST_CONCURRENCY) {
    await Promise.all(names.slice(i, i + LIST_CONCURRENCY).map(async (name, j) => {
      entries[i + j] = await describe(found.root, path.join(found.real, name), name);
    }));
  }
  entries.sort((a, b) => Number(b.kind === 'dir') - Number(a.kind === 'dir') || byName(a.name, b.name));

  let json = 0;
  for (let i = 0; i < entries.length; i++) {
    json += JSON.stringify(entries[i]).length + 1;
    if (json > LIST_JSON_BUDGET) {
      entries.length = i;
      truncated = true;
      break;
    }
  }
  return { root: rootId, path: rel, entries, truncated };
}

/** One folder entry from lstat: a symlink is a 'link', with its target's size when that is a file inside the root. */
async function describe(root: Root, abs: string, name: string): Promise<FileEntry> {
  let st: Stats;
  try {
    st = await fs.lstat(abs);
  } catch {
    // Gone since the folder was read, or a name that is not valid UTF-8.
    return { name, kind: 'other', size: 0, mtimeMs: 0 };
  }
  const mtimeMs = Number.isFinite(st.mtimeMs) ? st.mtimeMs : 0;
  if (st.isDirectory()) return { name, kind: 'dir', size: 0, mtimeMs };
  if (st.isFile()) return { name, kind: 'file', size: st.size, mtimeMs };
  if (!st.isSymbolicLink()) return { name, kind: 'other', size: 0, mtimeMs };
  let size = 0;
  try {
    const target = await fs.realpath(abs);
    if (inside(target, root.real)) {
      const tst = await fs.stat(target);
      if (tst.isFile()) size = tst.size;
    }
  } catch {
    // A dangling link: no size.
  }
  return { name, kind: 'link', size, mtimeMs };
}

function byName(a: string, b: string): number {
  return a.localeCompare(b) || (a < b ? -1 : a > b ? 1 : 0);
}

export async function mkdir(roots: FileRoots, rootId: string, rel: string, owner: Owner | undefined): Promise<null> {
  if (rel === '') throw new LifelineError('ERR_EXISTS', `${shown(roots.config(rootId), '')} already exists.`);
  const entry = await roots.entry(rootId, rel);
  if (entry.stat) throw new LifelineError('ERR_EXISTS', `${entry.what} already exists.`);
  await io(entry.what, fs.mkdir(entry.full));
  if (owner) await io(entry.what, fs.lchown(entry.full, owner.uid, owner.gid));
  return null;
}

/** Renames or moves within one root; never replaces anything. */
export async function rename(roots: FileRoots, rootId: string, from: string, to: string): Promise<null> {
  if (from === '' || to === '') throw new LifelineError('ERR_PATH_REFUSED', `${shown(roots.config(rootId), '')} itself cannot be renamed or replaced.`);
  const src = await roots.entry(rootId, from);
  if (!src.stat) throw new LifelineError('ERR_NOT_FOUND', `${src.what} does not exist.`);
  const dst = await roots.entry(rootId, to);
  if (dst.stat) throw new LifelineError('ERR_EXISTS', `${dst.what} already exists.`);
  if (src.stat.isDirectory() && inside(dst.full, src.full)) throw new LifelineError('ERR_BAD_MESSAGE', `${src.what} cannot be moved into itself.`);
  await io(src.what, fs.rename(src.full, dst.full));
  return null;
}

/** Deletes a file, a symlink (never what it points to) or a folder with everything in it. */
export async function remove(roots: FileRoots, rootId: string, rel: string): Promise<null> {
  if (rel === '') throw new LifelineError('ERR_PATH_REFUSED', `${shown(roots.config(rootId), '')} itself cannot be deleted.`);
  const entry = await roots.entry(rootId, rel);
  if (!entry.stat) throw new LifelineError('ERR_NOT_FOUND', `${entry.what} does not exist.`);
  if (!entry.stat.isDirectory()) {
    await io(entry.what, fs.unlink(entry.full));
    return null;
  }
  try {
    // fs.rm looks at each entry with lstat: a symlink inside is removed as a link, its target is left alone.
    await fs.rm(entry.full, { recursive: true });
  } catch (e) {
    // Name the file that could not be deleted, when it is one inside the folder.
    const failed = (e as NodeJS.ErrnoException).path;
    const what = failed && inside(failed, entry.full) ? shown(entry.root.config, path.join(rel, path.relative(entry.full, failed))) : entry.what;
    throw fsError(e, what);
  }
  return null;
}
