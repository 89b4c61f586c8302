import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../shared/errors.js';
import { CHUNK_BYTES, FILE_ACK_BYTES, FILE_WINDOW_BYTES } from '../../../shared/files.js';
import { FilesHost, MAX_TRANSFERS } from './host.js';
import { sha256, sleep, TestFilesConsole, until } from './testing.js';

const amRoot = process.getuid?.() === 0;

describe('uploads', () => {
  let hosts: FilesHost[] = [];
  let dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(hosts.map((h) => h.dispose()));
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    hosts = [];
    dirs = [];
  });

  function temp(): string {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-upload-')));
    dirs.push(dir);
    return dir;
  }

  /** A host on `home` (a fresh temp folder unless given). */
  function setup(opts: { home?: string; owner?: { uid: number; gid: number } } = {}) {
    const home = opts.home ?? temp();
    const console = new TestFilesConsole();
    const state = { refusal: null as ErrorCode | null };
    const logs: string[] = [];
    const host = new FilesHost({
      channel: console.channel,
      allowed: () => state.refusal,
      roots: [{ id: 'home', label: 'Home folder', path: home }],
      log: (m) => logs.push(m),
      owner: opts.owner,
    });
    console.to = (m) => host.receive(m);
    hosts.push(host);
    return { console, host, home, state, logs };
  }

  const partialOf = (home: string, name: string) => path.join(home, `.${name}.lifeline-part`);

  it('uploads a few MB: the file has the same hash, acks come at least every FILE_ACK_BYTES', async () => {
    const { console, home } = setup();
    fs.mkdirSync(path.join(home, 'in'));
    const data = randomBytes(3 * 1024 * 1024 + 12_345);
    const { start, finish } = await console.upload({ transfer: 1, root: 'home', path: 'in/data.bin', data });
    expect(start).toMatchObject({ ok: true, value: { offset: 0 } });
    expect(finish).toMatchObject({ ok: true, value: { sha256: sha256(data) } });
    expect(sha256(fs.readFileSync(path.join(home, 'in', 'data.bin')))).toBe(sha256(data));
    expect(fs.readdirSync(path.join(home, 'in'))).toEqual(['data.bin']);
    const acks = console.messages.filter((m) => m.t === 'upload:ack').map((m) => (m as { offset: number }).offset);
    expect(acks.at(-1)).toBe(data.length);
    for (let i = 1; i < acks.length; i++) expect(acks[i]! - acks[i - 1]!).toBeLessThanOrEqual(FILE_ACK_BYTES + CHUNK_BYTES);
    expect(acks[0]).toBeLessThanOrEqual(FILE_ACK_BYTES + CHUNK_BYTES);
  });

  it('uploads an empty file', async () => {
    const { console, home } = setup();
    const { finish } = await console.upload({ transfer: 1, root: 'home', path: 'empty', data: new Uint8Array(0) });
    expect(finish).toMatchObject({ ok: true });
    expect(fs.statSync(path.join(home, 'empty')).size).toBe(0);
  });

  it('goes on after the connection dropped: a new host hashes the partial file and asks for the rest', async () => {
    const first = setup();
    const data = randomBytes(2 * 1024 * 1024 + 999);
    const stopAt = 20 * CHUNK_BYTES + 77;
    await first.console.upload({ transfer: 4, root: 'home', path: 'big.bin', data, stopAt });
    await until('all written', () => first.console.uploadAcked(4) === stopAt || fs.statSync(partialOf(first.home, 'big.bin')).size === stopAt);
    await first.host.dispose();
    const kept = fs.statSync(partialOf(first.home, 'big.bin')).size;
    expect(kept).toBe(stopAt);

    const second = setup({ home: first.home });
    const { start, finish } = await second.console.upload({ transfer: 4, root: 'home', path: 'big.bin', data, resume: true });
    expect(start).toMatchObject({ ok: true, value: { offset: kept } });
    expect(finish).toMatchObject({ ok: true, value: { sha256: sha256(data) } });
    expect(fs.readFileSync(path.join(first.home, 'big.bin')).equals(data)).toBe(true);
    expect(fs.existsSync(partialOf(first.home, 'big.bin'))).toBe(false);
  });

  it('waits for the old host to close the partial file when the new one resumes at once', async () => {
    const first = setup();
    const data = randomBytes(3 * 1024 * 1024);
    const stopAt = 2 * 1024 * 1024 + 5;
    await first.console.upload({ transfer: 1, root: 'home', path: 'f.bin', data, stopAt });
    // Dropped with writes still queued, and not waited for.
    void first.host.dispose();
    const second = setup({ home: first.home });
    const { start, finish } = await second.console.upload({ transfer: 1, root: 'home', path: 'f.bin', data, resume: true });
    expect(start).toMatchObject({ ok: true, value: { offset: expect.any(Number) } });
    expect((start as { value: { offset: number } }).value.offset).toBeLessThanOrEqual(stopAt);
    expect(finish).toMatchObject({ ok: true });
    expect(fs.readFileSync(path.join(first.home, 'f.bin')).equals(data)).toBe(true);
  });

  it('refuses to resume through a partial file with other names (a hard link)', async () => {
    const { console, home } = setup();
    const other = path.join(home, 'other.txt');
    fs.writeFileSync(other, 'precious');
    fs.linkSync(other, partialOf(home, 'h.txt'));
    const data = Buffer.from('precious and more');
    expect(await console.upload({ transfer: 1, root: 'home', path: 'h.txt', data, resume: true })).toMatchObject({ start: { value: { offset: 0 } }, finish: { ok: true } });
    expect(fs.readFileSync(other, 'utf8')).toBe('precious');
    expect(fs.readFileSync(path.join(home, 'h.txt'), 'utf8')).toBe('precious and more');
  });

  it('starts afresh without resume, or when the partial file is longer than the upload', async () => {
    const { console, home } = setup();
    fs.writeFileSync(partialOf(home, 'a.txt'), 'old bytes, too many of them');
    const data = Buffer.from('new');
    expect(await console.upload({ transfer: 1, root: 'home', path: 'a.txt', data, resume: true })).toMatchObject({ start: { value: { offset: 0 } }, finish: { ok: true } });
    fs.writeFileSync(partialOf(home, 'b.txt'), 'ne');
    expect(await console.upload({ transfer: 2, root: 'home', path: 'b.txt', data, resume: false })).toMatchObject({ start: { value: { offset: 0 } }, finish: { ok: true } });
    expect(fs.readFileSync(path.join(home, 'a.txt'), 'utf8')).toBe('new');
    expect(fs.readFileSync(path.join(home, 'b.txt'), 'utf8')).toBe('new');
  });

  it('keeps a file whose hash does not match aside, and says where', async () => {
    const { console, home } = setup();
    const data = randomBytes(100_000);
    const { finish } = await console.upload({ transfer: 1, root: 'home', path: 'report.pdf', data, sha256: 'ab'.repeat(32) });
    expect(finish).toMatchObject({ ok: false, code: 'ERR_CHECKSUM' });
    expect((finish as { message: string }).message).toMatch(/kept aside as "report.pdf.lifeline-mismatch"/);
    expect(fs.readFileSync(path.join(home, 'report.pdf.lifeline-mismatch')).equals(data)).toBe(true);
    expect(fs.existsSync(path.join(home, 'report.pdf'))).toBe(false);
    expect(fs.existsSync(partialOf(home, 'report.pdf'))).toBe(false);
  });

  it('replaces an existing file only when asked to', async () => {
    const { console, home } = setup();
    fs.writeFileSync(path.join(home, 'x.txt'), 'old');
    fs.mkdirSync(path.join(home, 'folder'));
    const data = Buffer.from('new');
    expect((await console.upload({ transfer: 1, root: 'home', path: 'x.txt', data })).start).toMatchObject({ ok: false, code: 'ERR_EXISTS', message: '"x.txt" already exists.' });
    expect((await console.upload({ transfer: 2, root: 'home', path: 'folder', data, overwrite: true })).start).toMatchObject({ ok: false, code: 'ERR_EXISTS' });
    expect(fs.readFileSync(path.join(home, 'x.txt'), 'utf8')).toBe('old');
    expect((await console.upload({ transfer: 3, root: 'home', path: 'x.txt', data, overwrite: true })).finish).toMatchObject({ ok: true });
    expect(fs.readFileSync(path.join(home, 'x.txt'), 'utf8')).toBe('new');
  });

  it('replaces a symlink, never what it points to', async () => {
    const { console, home } = setup();
    const outside = temp();
    fs.writeFileSync(path.join(outside, 'target'), 'keep');
    fs.symlinkSync(path.join(outside, 'target'), path.join(home, 'link'));
    // A partial file planted as a symlink is not written through either.
    fs.symlinkSync(path.join(outside, 'target'), partialOf(home, 'other'));
    expect((await console.upload({ transfer: 1, root: 'home', path: 'link', data: Buffer.from('new'), overwrite: true })).finish).toMatchObject({ ok: true });
    expect(fs.lstatSync(path.join(home, 'link')).isFile()).toBe(true);
    expect((await console.upload({ transfer: 2, root: 'home', path: 'other', data: Buffer.from('new'), resume: true })).start).toMatchObject({ ok: false, code: 'ERR_PATH_REFUSED' });
    expect(fs.readFileSync(path.join(outside, 'target'), 'utf8')).toBe('keep');
  });

  it('deletes the partial file when the console cancels', async () => {
    const { console, home } = setup();
    const data = randomBytes(1024 * 1024);
    await console.upload({ transfer: 1, root: 'home', path: 'c.bin', data, stopAt: 300_000 });
    await until('partial written', () => fs.existsSync(partialOf(home, 'c.bin')) && fs.statSync(partialOf(home, 'c.bin')).size === 300_000);
    console.send({ t: 'transfer:cancel', transfer: 1 });
    await until('partial gone', () => !fs.existsSync(partialOf(home, 'c.bin')));
    expect(fs.readdirSync(home)).toEqual([]);
    expect(await console.request({ t: 'upload:finish', transfer: 1, sha256: sha256(data) })).toMatchObject({ ok: false, code: 'ERR_NOT_FOUND' });
  });

  it('stops writing when consent is taken back, at the next chunk', async () => {
    const { console, home, state } = setup();
    const data = randomBytes(1024 * 1024);
    await console.upload({ transfer: 1, root: 'home', path: 'c.bin', data, stopAt: 200_000 });
    await until('written', () => fs.statSync(partialOf(home, 'c.bin')).size === 200_000);
    state.refusal = 'ERR_CONSENT';
    console.chunk(1, 200_000, data.subarray(200_000, 210_000));
    const error = await until('transfer error', () => console.errorOf(1));
    expect(error).toMatchObject({ code: 'ERR_CONSENT', message: 'The user has not allowed you to transfer files.' });
    await sleep(20);
    expect(fs.statSync(partialOf(home, 'c.bin')).size).toBe(200_000);
  });

  it('fails running uploads at once when revoked', async () => {
    const { console, host, state } = setup();
    await console.upload({ transfer: 1, root: 'home', path: 'c.bin', data: randomBytes(100_000), stopAt: 50_000 });
    host.revoked(); // still allowed: nothing happens
    await sleep(10);
    expect(console.errorOf(1)).toBeUndefined();
    state.refusal = 'ERR_PERMISSION';
    host.revoked();
    expect(console.errorOf(1)).toMatchObject({ code: 'ERR_PERMISSION' });
  });

  it('ignores chunks at an unexpected offset, refuses bytes beyond the size or the window', async () => {
    const { console, home, logs } = setup();
    const data = randomBytes(200_000);
    await console.upload({ transfer: 1, root: 'home', path: 'a.bin', data, stopAt: 100_000 });
    console.chunk(1, 50_000, data.subarray(50_000, 60_000)); // sent again
    console.chunk(1, 150_000, data.subarray(150_000, 160_000)); // ahead
    console.chunk(1, 100_000, data.subarray(100_000, 160_000));
    console.chunk(1, 160_000, data.subarray(160_000));
    const finish = await console.request({ t: 'upload:finish', transfer: 1, sha256: sha256(data) });
    expect(finish).toMatchObject({ ok: true });
    expect(fs.readFileSync(path.join(home, 'a.bin')).equals(data)).toBe(true);
    expect(logs.filter((l) => l.includes('ignored a chunk'))).toHaveLength(1);

    await console.upload({ transfer: 2, root: 'home', path: 'b.bin', data: Buffer.alloc(10), stopAt: 0 });
    console.chunk(2, 0, Buffer.alloc(11));
    expect(await until('error', () => console.errorOf(2))).toMatchObject({ code: 'ERR_BAD_MESSAGE', message: expect.stringMatching(/beyond its size/) });

    const big = FILE_WINDOW_BYTES * 2;
    await console.upload({ transfer: 3, root: 'home', path: 'c.bin', data: Buffer.alloc(big), stopAt: 0 });
    const chunk = Buffer.alloc(CHUNK_BYTES);
    for (let off = 0; off <= FILE_WINDOW_BYTES && !console.errorOf(3); off += CHUNK_BYTES) console.chunk(3, off, chunk);
    expect(console.errorOf(3)).toMatchObject({ code: 'ERR_BAD_MESSAGE', message: expect.stringMatching(/beyond the last acknowledgement/) });
  });

  it(`runs at most ${MAX_TRANSFERS} uploads at once, and refuses a transfer id in use`, async () => {
    const { console } = setup();
    for (let i = 1; i <= MAX_TRANSFERS; i++) {
      expect((await console.upload({ transfer: i, root: 'home', path: `f${i}`, data: Buffer.alloc(10), stopAt: 0 })).start).toMatchObject({ ok: true });
    }
    expect((await console.upload({ transfer: 1, root: 'home', path: 'again', data: Buffer.alloc(10), stopAt: 0 })).start).toMatchObject({ ok: false, code: 'ERR_BAD_MESSAGE' });
    const refused = (await console.upload({ transfer: 99, root: 'home', path: 'more', data: Buffer.alloc(10), stopAt: 0 })).start;
    expect(refused).toMatchObject({ ok: false, code: 'ERR_RATE_LIMITED', message: `At most ${MAX_TRANSFERS} uploads can run at once. Wait for one to finish.` });
    console.send({ t: 'transfer:cancel', transfer: 2 });
    expect((await console.upload({ transfer: 99, root: 'home', path: 'more', data: Buffer.alloc(10) })).finish).toMatchObject({ ok: true });
  });

  it('refuses a second upload writing the same file', async () => {
    const { console } = setup();
    await console.upload({ transfer: 1, root: 'home', path: 'same', data: Buffer.alloc(10), stopAt: 0 });
    expect((await console.upload({ transfer: 2, root: 'home', path: 'same', data: Buffer.alloc(10), stopAt: 0 })).start).toMatchObject({ ok: false, code: 'ERR_EXISTS', message: expect.stringMatching(/Another upload/) });
  });

  it.runIf(amRoot)('gives the uploaded file to the owner', async () => {
    const { console, home } = setup({ owner: { uid: 65534, gid: 65534 } });
    expect((await console.upload({ transfer: 1, root: 'home', path: 'mine', data: Buffer.from('x') })).finish).toMatchObject({ ok: true });
    expect(fs.statSync(path.join(home, 'mine'))).toMatchObject({ uid: 65534, gid: 65534 });
  });
});
