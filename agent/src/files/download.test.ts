import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../shared/errors.js';
import { CHUNK_BYTES, CHUNK_HEADER_BYTES, FILE_WINDOW_BYTES } from '../../../shared/files.js';
import { FILES_CHANNEL_BACKLOG, FilesHost, MAX_TRANSFERS } from './host.js';
import { sha256, sleep, TestFilesConsole, until } from './testing.js';

describe('downloads', () => {
  let hosts: FilesHost[] = [];
  let dirs: string[] = [];
  afterEach(async () => {
    await Promise.all(hosts.map((h) => h.dispose()));
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
    hosts = [];
    dirs = [];
  });

  function temp(): string {
    const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-download-')));
    dirs.push(dir);
    return dir;
  }

  function setup(opts: { home?: string } = {}) {
    const home = opts.home ?? temp();
    const console = new TestFilesConsole();
    const state = { refusal: null as ErrorCode | null, screenBusy: () => false };
    const logs: string[] = [];
    const host = new FilesHost({
      channel: console.channel,
      allowed: () => state.refusal,
      roots: [{ id: 'home', label: 'Home folder', path: home }],
      log: (m) => logs.push(m),
      screenBusy: () => state.screenBusy(),
    });
    console.to = (m) => host.receive(m);
    hosts.push(host);
    return { console, host, home, state, logs };
  }

  /** A folder with nested files, a long name, a symlink, an empty file and a FIFO (left out). */
  function tree(home: string): Map<string, Buffer> {
    const files = new Map<string, Buffer>([
      ['docs/a.txt', Buffer.from('hello\n')],
      ['docs/sub/b.bin', randomBytes(70_000)],
      ['docs/sub/exact.bin', randomBytes(1024)],
      ['docs/empty', Buffer.alloc(0)],
      [`docs/${'long-name-'.repeat(12)}/${'x'.repeat(120)}.txt`, Buffer.from('long')],
      ['docs/ünïcödé.txt', Buffer.from('utf-8')],
    ]);
    for (const [rel, data] of files) {
      fs.mkdirSync(path.dirname(path.join(home, rel)), { recursive: true });
      fs.writeFileSync(path.join(home, rel), data);
    }
    fs.mkdirSync(path.join(home, 'docs', 'empty-folder'));
    fs.symlinkSync('sub/b.bin', path.join(home, 'docs', 'link-to-b'));
    fs.symlinkSync('/etc/passwd', path.join(home, 'docs', 'link-out'));
    execFileSync('mkfifo', [path.join(home, 'docs', 'pipe')]);
    return files;
  }

  it('downloads a file: name, size, bytes and hash', async () => {
    const { console, home } = setup();
    const data = randomBytes(3 * 1024 * 1024 + 5);
    fs.writeFileSync(path.join(home, 'big.bin'), data);
    const r = await console.download({ transfer: 1, root: 'home', path: 'big.bin' });
    expect(r.start).toMatchObject({ ok: true, value: { name: 'big.bin', size: data.length, kind: 'file' } });
    expect(r.error).toBeUndefined();
    expect(r.data.equals(data)).toBe(true);
    expect(r.sha256).toBe(sha256(data));
    expect(console.outOfOrder(1)).toBe(0);
  });

  it('downloads an empty file', async () => {
    const { console, home } = setup();
    fs.writeFileSync(path.join(home, 'empty'), '');
    const r = await console.download({ transfer: 1, root: 'home', path: 'empty' });
    expect(r).toMatchObject({ start: { ok: true, value: { size: 0 } }, sha256: sha256(new Uint8Array(0)) });
  });

  it('resumes a file at an offset: only the rest is sent, the hash is of the whole file', async () => {
    const { console, home } = setup();
    const data = randomBytes(1024 * 1024 + 3);
    fs.writeFileSync(path.join(home, 'f.bin'), data);
    const offset = 3 * CHUNK_BYTES + 1234;
    const r = await console.download({ transfer: 1, root: 'home', path: 'f.bin', offset });
    expect(r.data.equals(data.subarray(offset))).toBe(true);
    expect(r.sha256).toBe(sha256(data));
    const end = await console.download({ transfer: 2, root: 'home', path: 'f.bin', offset: data.length });
    expect(end).toMatchObject({ sha256: sha256(data) });
    expect(end.data.length).toBe(0);
    expect((await console.download({ transfer: 3, root: 'home', path: 'f.bin', offset: data.length + 1 })).start).toMatchObject({ ok: false, code: 'ERR_BAD_MESSAGE' });
  });

  it('downloads a folder as a tar that tar reads back, symlinks as symlinks, FIFOs left out', async () => {
    const { console, home } = setup();
    const files = tree(home);
    const r = await console.download({ transfer: 1, root: 'home', path: 'docs' });
    expect(r.start).toMatchObject({ ok: true, value: { name: 'docs.tar', kind: 'tar' } });
    expect(r.data.length).toBe((r.start as { value: { size: number } }).value.size);
    expect(r.sha256).toBe(sha256(r.data));

    const out = temp();
    fs.writeFileSync(path.join(out, 'docs.tar'), r.data);
    const listing = execFileSync('tar', ['-tvf', path.join(out, 'docs.tar')], { encoding: 'utf8' });
    expect(listing).toContain('docs/link-to-b -> sub/b.bin');
    expect(listing).not.toContain('pipe');
    execFileSync('tar', ['-xf', path.join(out, 'docs.tar'), '-C', out]);
    for (const [rel, data] of files) expect(fs.readFileSync(path.join(out, rel)).equals(data), rel).toBe(true);
    expect(fs.readlinkSync(path.join(out, 'docs', 'link-to-b'))).toBe('sub/b.bin');
    expect(fs.readlinkSync(path.join(out, 'docs', 'link-out'))).toBe('/etc/passwd');
    expect(fs.statSync(path.join(out, 'docs', 'empty-folder')).isDirectory()).toBe(true);
    expect(fs.existsSync(path.join(out, 'docs', 'pipe'))).toBe(false);
    expect(fs.statSync(path.join(out, 'docs', 'a.txt')).mtimeMs).toBe(Math.floor(fs.statSync(path.join(home, 'docs', 'a.txt')).mtimeMs / 1000) * 1000);
  });

  it('generates the same tar every time, so a folder download resumes at any offset', async () => {
    const { console, home } = setup();
    tree(home);
    const whole = await console.download({ transfer: 1, root: 'home', path: 'docs' });
    const again = await console.download({ transfer: 2, root: 'home', path: 'docs' });
    expect(again.data.equals(whole.data)).toBe(true);
    for (const [i, offset] of [1000, 512 * 3 + 7, whole.data.length - 1].entries()) {
      const rest = await console.download({ transfer: 10 + i, root: 'home', path: 'docs', offset });
      expect(rest.data.equals(whole.data.subarray(offset))).toBe(true);
      expect(rest.sha256).toBe(whole.sha256);
    }
  });

  it('names the root folder itself after its folder', async () => {
    const { console, home } = setup();
    fs.writeFileSync(path.join(home, 'a'), 'a');
    const r = await console.download({ transfer: 1, root: 'home', path: '' });
    expect(r.start).toMatchObject({ ok: true, value: { name: `${path.basename(home)}.tar`, kind: 'tar' } });
  });

  it('never has more than FILE_WINDOW_BYTES unacknowledged in flight', async () => {
    const { console, home } = setup();
    const data = randomBytes(FILE_WINDOW_BYTES + 3 * 1024 * 1024);
    fs.writeFileSync(path.join(home, 'big.bin'), data);
    console.autoAck = false;
    const download = console.download({ transfer: 1, root: 'home', path: 'big.bin' });
    await until('a full window', () => console.receivedUpTo(1) > FILE_WINDOW_BYTES - CHUNK_BYTES);
    await sleep(50);
    expect(console.receivedUpTo(1)).toBeLessThanOrEqual(FILE_WINDOW_BYTES);
    console.ack(1);
    await until('more', () => console.receivedUpTo(1) > FILE_WINDOW_BYTES);
    console.autoAck = true;
    console.ack(1);
    const r = await download;
    expect(r.sha256).toBe(sha256(data));
    expect(console.maxUnacked(1)).toBeLessThanOrEqual(FILE_WINDOW_BYTES);
  });

  it('waits while the channel is backlogged, so other channels keep flowing', async () => {
    const { console, home } = setup();
    const data = randomBytes(4 * 1024 * 1024);
    fs.writeFileSync(path.join(home, 'big.bin'), data);
    console.holding = true;
    const done = console.download({ transfer: 1, root: 'home', path: 'big.bin' });
    // The start's result is held too: let it through, then hold the chunks.
    await until('the result', () => console.channel.bufferedAmount() > 0);
    console.deliver();
    await until('a backlog', () => console.channel.bufferedAmount() > FILES_CHANNEL_BACKLOG);
    await sleep(30);
    expect(console.maxHeld).toBeLessThanOrEqual(FILES_CHANNEL_BACKLOG + CHUNK_BYTES + CHUNK_HEADER_BYTES);
    expect(console.receivedUpTo(1)).toBeLessThan(data.length);
    const pump = setInterval(() => console.deliver(), 2);
    try {
      const r = await done;
      expect(r.sha256).toBe(sha256(data));
    } finally {
      clearInterval(pump);
    }
    expect(console.maxHeld).toBeLessThanOrEqual(FILES_CHANNEL_BACKLOG + CHUNK_BYTES + CHUNK_HEADER_BYTES);
  });

  it('asks about the screen before every chunk, and still finishes while the screen stays busy', async () => {
    const { console, home, state } = setup();
    const data = randomBytes(2 * 1024 * 1024);
    fs.writeFileSync(path.join(home, 'big.bin'), data);
    let asked = 0;
    state.screenBusy = () => {
      asked++;
      return true;
    };
    const r = await console.download({ transfer: 1, root: 'home', path: 'big.bin' });
    expect(r.sha256).toBe(sha256(data));
    expect(asked).toBeGreaterThan(Math.floor(data.length / CHUNK_BYTES));
  });

  it('stops with ERR_CONSENT when consent is taken back mid-way', async () => {
    const { console, host, home, state } = setup();
    fs.writeFileSync(path.join(home, 'big.bin'), randomBytes(FILE_WINDOW_BYTES + 1024 * 1024));
    console.autoAck = false;
    const download = console.download({ transfer: 1, root: 'home', path: 'big.bin' });
    await until('some bytes', () => console.receivedUpTo(1) > 0);
    state.refusal = 'ERR_CONSENT';
    host.revoked();
    const r = await download;
    expect(r.error).toMatchObject({ code: 'ERR_CONSENT', message: 'The user has not allowed you to transfer files.' });
    const got = console.receivedUpTo(1);
    console.ack(1);
    await sleep(20);
    expect(console.receivedUpTo(1)).toBe(got);
  });

  it('stops before the next chunk when consent is gone, even without revoked()', async () => {
    const { console, home, state } = setup();
    fs.writeFileSync(path.join(home, 'big.bin'), randomBytes(FILE_WINDOW_BYTES + 1024 * 1024));
    console.autoAck = false;
    const download = console.download({ transfer: 1, root: 'home', path: 'big.bin' });
    await until('a full window', () => console.receivedUpTo(1) > FILE_WINDOW_BYTES - CHUNK_BYTES);
    state.refusal = 'ERR_PERMISSION';
    console.ack(1);
    expect((await download).error).toMatchObject({ code: 'ERR_PERMISSION' });
  });

  it('fails with ERR_IO when the file changes size while being read', async () => {
    const { console, home } = setup();
    const file = path.join(home, 'growing.log');
    fs.writeFileSync(file, randomBytes(FILE_WINDOW_BYTES + 1024 * 1024));
    console.autoAck = false;
    const download = console.download({ transfer: 1, root: 'home', path: 'growing.log' });
    await until('a full window', () => console.receivedUpTo(1) > FILE_WINDOW_BYTES - CHUNK_BYTES);
    fs.truncateSync(file, 1024);
    console.autoAck = true;
    console.ack(1);
    const r = await download;
    expect(r.error).toMatchObject({ code: 'ERR_IO', message: '"growing.log" changed while it was being read. Download it again.' });
  });

  it('fails a folder download with ERR_IO when a file in it changes', async () => {
    const { console, home } = setup();
    fs.mkdirSync(path.join(home, 'd'));
    // The window fills while `a` is read: `b` is opened only after it changed.
    fs.writeFileSync(path.join(home, 'd', 'a'), Buffer.alloc(FILE_WINDOW_BYTES + 2 * 1024 * 1024));
    fs.writeFileSync(path.join(home, 'd', 'b'), randomBytes(1000));
    console.autoAck = false;
    const download = console.download({ transfer: 1, root: 'home', path: 'd' });
    await until('a full window', () => console.receivedUpTo(1) > FILE_WINDOW_BYTES - CHUNK_BYTES);
    fs.appendFileSync(path.join(home, 'd', 'b'), 'more');
    console.autoAck = true;
    console.ack(1);
    expect((await download).error).toMatchObject({ code: 'ERR_IO', message: '"d/b" changed while it was being read. Download it again.' });
  });

  it('stops when the console cancels, and when the host is disposed', async () => {
    const { console, host, home } = setup();
    fs.writeFileSync(path.join(home, 'big.bin'), randomBytes(FILE_WINDOW_BYTES + 1024 * 1024));
    console.autoAck = false;
    void console.download({ transfer: 1, root: 'home', path: 'big.bin' });
    void console.download({ transfer: 2, root: 'home', path: 'big.bin' });
    await until('windows', () => console.receivedUpTo(1) > FILE_WINDOW_BYTES - CHUNK_BYTES && console.receivedUpTo(2) > FILE_WINDOW_BYTES - CHUNK_BYTES);
    console.send({ t: 'transfer:cancel', transfer: 1 });
    const got = console.receivedUpTo(1);
    console.ack(1);
    await sleep(20);
    expect(console.receivedUpTo(1)).toBe(got);
    await host.dispose();
    await host.dispose();
    const got2 = console.receivedUpTo(2);
    console.ack(2);
    await sleep(20);
    expect(console.receivedUpTo(2)).toBe(got2);
    expect(console.messages.filter((m) => m.t === 'download:done' || m.t === 'transfer:error')).toEqual([]);
  });

  it(`runs at most ${MAX_TRANSFERS} downloads at once`, async () => {
    const { console, home } = setup();
    fs.writeFileSync(path.join(home, 'big.bin'), randomBytes(FILE_WINDOW_BYTES + CHUNK_BYTES));
    console.autoAck = false;
    for (let i = 1; i <= MAX_TRANSFERS; i++) void console.download({ transfer: i, root: 'home', path: 'big.bin' });
    await until('all started', () => console.messages.filter((m) => m.t === 'result').length === MAX_TRANSFERS);
    const r = await console.download({ transfer: 9, root: 'home', path: 'big.bin' });
    expect(r.start).toMatchObject({ ok: false, code: 'ERR_RATE_LIMITED', message: `At most ${MAX_TRANSFERS} downloads can run at once. Wait for one to finish.` });
  });
});
