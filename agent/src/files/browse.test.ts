import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../shared/errors.js';
import { encodeFileMessage, MAX_LIST_ENTRIES, type Listing } from '../../../shared/files.js';
import { defaultFileRoots, FilesHost, type FileRootConfig } from './host.js';
import { TestFilesConsole, until, type Result } from './testing.js';

const amRoot = process.getuid?.() === 0;

describe('the remote file browser', () => {
  let hosts: FilesHost[] = [];
  let dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(hosts.map((h) => h.dispose()));
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    hosts = [];
    dirs = [];
  });

  /** A fresh folder; in memory when `fast` (where the machine has /dev/shm), for tests that make thousands of files. */
  function temp(fast = false): string {
    const base = fast && fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(base, 'lifeline-files-')));
    dirs.push(dir);
    return dir;
  }

  /** A host whose 'home' root is a fresh temp folder, and a folder outside it. */
  function setup(opts: { roots?: FileRootConfig[]; owner?: { uid: number; gid: number }; fast?: boolean } = {}) {
    const home = temp(opts.fast);
    const outside = temp();
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret');
    const console = new TestFilesConsole();
    const state = { refusal: null as ErrorCode | null };
    const logs: string[] = [];
    const host = new FilesHost({
      channel: console.channel,
      allowed: () => state.refusal,
      roots: opts.roots ?? [{ id: 'home', label: 'Home folder', path: home }],
      log: (m) => logs.push(m),
      owner: opts.owner,
    });
    console.to = (m) => host.receive(m);
    hosts.push(host);
    return { console, host, home, outside, state, logs };
  }

  function refused(r: Result, code: ErrorCode, text?: RegExp) {
    expect(r).toMatchObject({ ok: false, code });
    if (text && !r.ok) expect(r.message).toMatch(text);
  }

  it('says hello, and answers each hello', () => {
    const { console, host } = setup();
    host.hello();
    console.send({ t: 'hello' });
    expect(console.messages.filter((m) => m.t === 'hello')).toHaveLength(2);
  });

  it('lists the roots without their paths', async () => {
    const { console } = setup({ roots: defaultFileRoots('/home/someone') });
    const r = await console.request({ t: 'fs:roots' });
    expect(r).toEqual({ t: 'result', id: r.id, ok: true, value: [{ id: 'home', label: 'Home folder' }, { id: 'computer', label: 'Computer' }] });
  });

  it('lists a folder: folders first, then by name, symlinks as links with their target size when inside', async () => {
    const { console, home, outside } = setup();
    fs.mkdirSync(path.join(home, 'b-folder'));
    fs.mkdirSync(path.join(home, 'a-folder'));
    fs.writeFileSync(path.join(home, 'c.txt'), 'hello');
    fs.writeFileSync(path.join(home, 'A.txt'), '12');
    fs.symlinkSync(path.join(home, 'c.txt'), path.join(home, 'link-in'));
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(home, 'link-out'));
    fs.symlinkSync('/nonexistent', path.join(home, 'link-dangling'));
    const r = await console.request({ t: 'fs:list', root: 'home', path: '' });
    expect(r.ok).toBe(true);
    const listing = (r as { value: Listing }).value;
    expect(listing).toMatchObject({ root: 'home', path: '', truncated: false });
    expect(listing.entries.map((e) => [e.name, e.kind, e.size])).toEqual([
      ['a-folder', 'dir', 0],
      ['b-folder', 'dir', 0],
      ['A.txt', 'file', 2],
      ['c.txt', 'file', 5],
      ['link-dangling', 'link', 0],
      ['link-in', 'link', 5],
      ['link-out', 'link', 0],
    ]);
    expect(listing.entries[2]!.mtimeMs).toBe(fs.statSync(path.join(home, 'A.txt')).mtimeMs);
  });

  it('cuts a huge folder short, in several messages', async () => {
    const { console, home } = setup({ fast: true });
    const dir = path.join(home, 'many');
    fs.mkdirSync(dir);
    for (let i = 0; i < MAX_LIST_ENTRIES + 5; i++) fs.writeFileSync(path.join(dir, `file-${String(i).padStart(5, '0')}`), '');
    const r = await console.request({ t: 'fs:list', root: 'home', path: 'many' });
    const listing = (r as { value: Listing }).value;
    expect(listing.truncated).toBe(true);
    expect(listing.entries).toHaveLength(MAX_LIST_ENTRIES);
  });

  it('makes folders, renames and deletes, never overwriting', async () => {
    const { console, home } = setup();
    expect(await console.request({ t: 'fs:mkdir', root: 'home', path: 'new' })).toMatchObject({ ok: true });
    expect(fs.statSync(path.join(home, 'new')).isDirectory()).toBe(true);
    refused(await console.request({ t: 'fs:mkdir', root: 'home', path: 'new' }), 'ERR_EXISTS', /"new" already exists/);
    refused(await console.request({ t: 'fs:mkdir', root: 'home', path: 'missing/new' }), 'ERR_NOT_FOUND', /"missing" does not exist/);

    fs.writeFileSync(path.join(home, 'new', 'a.txt'), 'a');
    fs.writeFileSync(path.join(home, 'b.txt'), 'b');
    expect(await console.request({ t: 'fs:rename', root: 'home', from: 'new/a.txt', to: 'a2.txt' })).toMatchObject({ ok: true });
    expect(fs.readFileSync(path.join(home, 'a2.txt'), 'utf8')).toBe('a');
    refused(await console.request({ t: 'fs:rename', root: 'home', from: 'a2.txt', to: 'b.txt' }), 'ERR_EXISTS', /"b.txt" already exists/);
    expect(fs.readFileSync(path.join(home, 'b.txt'), 'utf8')).toBe('b');
    refused(await console.request({ t: 'fs:rename', root: 'home', from: 'gone.txt', to: 'c.txt' }), 'ERR_NOT_FOUND');
    refused(await console.request({ t: 'fs:rename', root: 'home', from: 'new', to: 'new/inner' }), 'ERR_BAD_MESSAGE', /into itself/);
    refused(await console.request({ t: 'fs:rename', root: 'home', from: 'a2.txt', to: '../a2.txt' }), 'ERR_PATH_REFUSED');

    fs.mkdirSync(path.join(home, 'new', 'deep', 'er'), { recursive: true });
    fs.writeFileSync(path.join(home, 'new', 'deep', 'er', 'f'), 'f');
    expect(await console.request({ t: 'fs:delete', root: 'home', path: 'new' })).toMatchObject({ ok: true });
    expect(await console.request({ t: 'fs:delete', root: 'home', path: 'b.txt' })).toMatchObject({ ok: true });
    expect(fs.readdirSync(home)).toEqual(['a2.txt']);
    refused(await console.request({ t: 'fs:delete', root: 'home', path: 'b.txt' }), 'ERR_NOT_FOUND');
    refused(await console.request({ t: 'fs:delete', root: 'home', path: '' }), 'ERR_PATH_REFUSED', /"Home folder" itself cannot be deleted/);
    expect(fs.existsSync(home)).toBe(true);
  });

  it('deletes a folder holding a symlink to outside without touching what it points to', async () => {
    const { console, home, outside } = setup();
    fs.mkdirSync(path.join(home, 'd'));
    fs.symlinkSync(outside, path.join(home, 'd', 'out-dir'));
    fs.symlinkSync(outside, path.join(home, 'out-link'));
    expect(await console.request({ t: 'fs:delete', root: 'home', path: 'd' })).toMatchObject({ ok: true });
    expect(await console.request({ t: 'fs:delete', root: 'home', path: 'out-link' })).toMatchObject({ ok: true });
    expect(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    expect(fs.readdirSync(home)).toEqual([]);
  });

  it.each([
    ['../x', /climbs out/],
    ['a/../../x', /climbs out/],
    ['/etc/passwd', /absolute path/],
    ['a//b', /empty/],
    ['a\0b', /NUL/],
  ])('refuses the path %j before touching the disk', async (p, why) => {
    const { console } = setup();
    for (const req of [
      { t: 'fs:list', root: 'home', path: p },
      { t: 'fs:mkdir', root: 'home', path: p },
      { t: 'fs:delete', root: 'home', path: p },
      { t: 'fs:rename', root: 'home', from: p, to: 'x' },
      { t: 'download:start', transfer: 1, root: 'home', path: p, offset: 0 },
      { t: 'upload:start', transfer: 2, root: 'home', path: p, size: 1, resume: false, overwrite: false },
    ]) refused(await console.request(req), 'ERR_PATH_REFUSED', why);
  });

  it('refuses symlinks that lead out of the root', async () => {
    const { console, home, outside } = setup();
    fs.symlinkSync(outside, path.join(home, 'escape'));
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(home, 'secret-link'));
    refused(await console.request({ t: 'fs:list', root: 'home', path: 'escape' }), 'ERR_PATH_REFUSED', /"escape" leads outside "Home folder" through a symbolic link/);
    refused(await console.request({ t: 'fs:mkdir', root: 'home', path: 'escape/x' }), 'ERR_PATH_REFUSED', /"escape" leads outside/);
    refused(await console.request({ t: 'fs:delete', root: 'home', path: 'escape/secret.txt' }), 'ERR_PATH_REFUSED');
    refused(await console.request({ t: 'fs:rename', root: 'home', from: 'escape/secret.txt', to: 'mine.txt' }), 'ERR_PATH_REFUSED');
    refused(await console.request({ t: 'download:start', transfer: 1, root: 'home', path: 'secret-link', offset: 0 }), 'ERR_PATH_REFUSED', /"secret-link" leads outside/);
    refused(await console.request({ t: 'download:start', transfer: 2, root: 'home', path: 'escape/secret.txt', offset: 0 }), 'ERR_PATH_REFUSED');
    refused(await console.request({ t: 'upload:start', transfer: 3, root: 'home', path: 'escape/new.txt', size: 3, resume: false, overwrite: false }), 'ERR_PATH_REFUSED');
    expect(fs.readdirSync(outside)).toEqual(['secret.txt']);
    expect(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret');
  });

  it('refuses devices and named pipes', async () => {
    const { console, home } = setup({ roots: [{ id: 'dev', label: 'Devices', path: '/dev' }] });
    refused(await console.request({ t: 'download:start', transfer: 1, root: 'dev', path: 'null', offset: 0 }), 'ERR_PATH_REFUSED', /"null" is a device, not a file/);
    refused(await console.request({ t: 'upload:start', transfer: 2, root: 'dev', path: 'null', size: 1, resume: false, overwrite: true }), 'ERR_PATH_REFUSED', /is a device/);
    expect(home).toBeTruthy();

    const other = setup();
    fs.symlinkSync('/dev/null', path.join(other.home, 'null-link'));
    refused(await other.console.request({ t: 'download:start', transfer: 1, root: 'home', path: 'null-link', offset: 0 }), 'ERR_PATH_REFUSED');
    const { execFileSync } = await import('node:child_process');
    execFileSync('mkfifo', [path.join(other.home, 'pipe')]);
    refused(await other.console.request({ t: 'download:start', transfer: 2, root: 'home', path: 'pipe', offset: 0 }), 'ERR_PATH_REFUSED', /"pipe" is a named pipe, not a file/);
  });

  it('refuses unknown roots and missing paths', async () => {
    const { console } = setup();
    refused(await console.request({ t: 'fs:list', root: 'nope', path: '' }), 'ERR_NOT_FOUND', /no folder "nope"/);
    refused(await console.request({ t: 'fs:list', root: 'home', path: 'missing' }), 'ERR_NOT_FOUND', /"missing" does not exist/);
    refused(await console.request({ t: 'download:start', transfer: 1, root: 'home', path: 'missing', offset: 0 }), 'ERR_NOT_FOUND');
    const gone = setup({ roots: [{ id: 'gone', label: 'USB stick', path: '/nonexistent/lifeline' }] });
    refused(await gone.console.request({ t: 'fs:list', root: 'gone', path: '' }), 'ERR_NOT_FOUND', /"USB stick" does not exist/);
  });

  // As root, permission bits stop nothing: paths.test.ts covers the sentences.
  it.skipIf(amRoot)('reports permission errors in a sentence (only as a non-root user: root reads everything)', async () => {
    const { console, home } = setup();
    fs.mkdirSync(path.join(home, 'locked'), { mode: 0o500 });
    refused(await console.request({ t: 'fs:mkdir', root: 'home', path: 'locked/x' }), 'ERR_IO', /Permission denied on "locked\/x"/);
  });

  it.runIf(amRoot)('gives what it creates to the owner', async () => {
    const { console, home } = setup({ owner: { uid: 65534, gid: 65534 } });
    expect(await console.request({ t: 'fs:mkdir', root: 'home', path: 'mine' })).toMatchObject({ ok: true });
    expect(fs.statSync(path.join(home, 'mine'))).toMatchObject({ uid: 65534, gid: 65534 });
  });

  it('asks for the grant and consent on every request', async () => {
    const { console, state } = setup();
    state.refusal = 'ERR_CONSENT';
    refused(await console.request({ t: 'fs:roots' }), 'ERR_CONSENT', /The user has not allowed you to transfer files/);
    refused(await console.request({ t: 'fs:list', root: 'home', path: '' }), 'ERR_CONSENT');
    state.refusal = 'ERR_PERMISSION';
    refused(await console.request({ t: 'fs:mkdir', root: 'home', path: 'x' }), 'ERR_PERMISSION', /You are not allowed to transfer files/);
    state.refusal = null;
    expect(await console.request({ t: 'fs:list', root: 'home', path: '' })).toMatchObject({ ok: true });
  });

  it('answers bad messages without crashing', async () => {
    const { console, host, logs } = setup();
    const json = (v: unknown) => new Uint8Array([0x01, ...new TextEncoder().encode(JSON.stringify(v))]);
    host.receive(json({ t: 'fs:list', id: 77, root: 'home' }));
    host.receive(json({ t: 'nonsense', id: 78 }));
    host.receive(json({ t: 'fs:list' }));
    host.receive(new Uint8Array([0x01, 0x7b]));
    host.receive(new Uint8Array([0x09, 1, 2]));
    host.receive(new Uint8Array(0));
    host.receive(new Uint8Array([0x02, 1, 0, 0, 0, 1]));
    host.receive(encodeFileMessage({ t: 'result', id: 5, ok: true, value: 1 })[0]!);
    host.receive(encodeFileMessage({ t: 'transfer:cancel', transfer: 99 })[0]!);
    host.receive(encodeFileMessage({ t: 'download:ack', transfer: 99, offset: 5 })[0]!);
    const answers = await until('answers', () => {
      const r = console.messages.filter((m) => m.t === 'result');
      return r.length === 2 && r;
    });
    expect(answers).toEqual([
      expect.objectContaining({ id: 77, ok: false, code: 'ERR_BAD_MESSAGE' }),
      expect.objectContaining({ id: 78, ok: false, code: 'ERR_BAD_MESSAGE' }),
    ]);
    expect(logs.some((l) => l.includes('dropped a files message'))).toBe(true);
    refused(await console.request({ t: 'upload:finish', transfer: 5, sha256: '0'.repeat(64) }), 'ERR_NOT_FOUND');
  });
});
