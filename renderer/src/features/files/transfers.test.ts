import { afterEach, describe, expect, it, vi } from 'vitest';
import { CHUNK_BYTES, FILE_ACK_BYTES, FILE_WINDOW_BYTES } from '../../../../shared/files.js';
import { FilesLink } from './files-link.js';
import { DAMAGED, MAX_RUNNING, READ_BYTES, TransferManager, type Transfer } from './transfers.js';
import { FakeAgent, FakeFilesPeer, MemoryDownloadStore, pattern, PatternFile, sha256Hex } from './testing.js';

const MiB = 1024 * 1024;

const disposers: Array<() => void> = [];
afterEach(() => {
  for (const d of disposers.splice(0)) d();
});

function setup(now?: () => number) {
  const peer = new FakeFilesPeer();
  const log = { warn: vi.fn(), info: vi.fn() };
  const link = new FilesLink({ peer, log });
  const store = new MemoryDownloadStore();
  const saved: Array<{ name: string; file: Blob }> = [];
  let id = 100;
  const manager = new TransferManager({
    link, store, log, emitEveryMs: 0, keepDoneMs: 1000,
    save: (file, name) => saved.push({ file, name }),
    nextId: () => ++id,
    now,
  });
  const agent = new FakeAgent();
  const connect = () => {
    const channel = peer.connect();
    agent.use(channel);
    channel.open();
    return channel;
  };
  disposers.push(() => {
    manager.dispose();
    link.dispose();
  });
  return { peer, link, store, saved, manager, agent, connect, log };
}

const state = (m: TransferManager, id: number): Transfer => m.get(id)!;

async function until(check: () => void): Promise<void> {
  await vi.waitFor(check, { timeout: 10_000, interval: 2 });
}

/** Lets every queued microtask and a few timer turns run. */
const settle = () => new Promise((r) => setTimeout(r, 20));

describe('TransferManager uploads', () => {
  it('uploads a file in chunks, finishes with its SHA-256 and says which folder changed', async () => {
    const { manager, agent, connect } = setup();
    connect();
    const uploaded: string[] = [];
    manager.onUploaded((root, dir) => uploaded.push(`${root}:${dir}`));
    const file = new PatternFile('report.pdf', 3 * CHUNK_BYTES + 17);
    const id = manager.upload(file, 'home', 'Documents');
    expect(state(manager, id)).toMatchObject({ direction: 'upload', name: 'report.pdf', root: 'home', path: 'Documents/report.pdf', size: file.size });
    await until(() => expect(state(manager, id).state).toBe('done'));
    expect(agent.written.get('Documents/report.pdf')).toEqual(pattern(file.size));
    expect(agent.uploadStarts).toEqual([{ transfer: id, resume: false }]);
    expect(state(manager, id).bytesDone).toBe(file.size);
    expect(uploaded).toEqual(['home:Documents']);
  });

  it('uploads an empty file', async () => {
    const { manager, agent, connect } = setup();
    connect();
    const id = manager.upload(new PatternFile('empty', 0), 'home', '');
    await until(() => expect(state(manager, id).state).toBe('done'));
    expect(agent.written.get('empty')).toEqual(new Uint8Array(0));
  });

  it('never sends more than the window beyond the last acknowledgement, and reads no further ahead than that', async () => {
    const { manager, agent, connect } = setup();
    connect();
    agent.autoAck = false;
    const file = new PatternFile('big.iso', 3 * FILE_WINDOW_BYTES + 5);
    const id = manager.upload(file, 'home', '');
    await until(() => expect(agent.upload(id)?.length ?? 0).toBeGreaterThan(FILE_WINDOW_BYTES - CHUNK_BYTES));
    await settle();
    const u = agent.upload(id)!;
    expect(u.length).toBeLessThanOrEqual(FILE_WINDOW_BYTES);
    expect(file.maxEnd).toBeLessThanOrEqual(FILE_WINDOW_BYTES + READ_BYTES);
    expect(state(manager, id)).toMatchObject({ state: 'running', bytesDone: 0 });

    const first = u.length;
    agent.ack(id);
    await until(() => expect(state(manager, id).bytesDone).toBe(first));
    await until(() => expect(agent.upload(id)!.length).toBeGreaterThan(first + FILE_WINDOW_BYTES - CHUNK_BYTES));
    await settle();
    expect(agent.upload(id)!.length - u.acked).toBeLessThanOrEqual(FILE_WINDOW_BYTES);
    expect(file.maxEnd - u.acked).toBeLessThanOrEqual(FILE_WINDOW_BYTES + READ_BYTES);

    agent.autoAck = true;
    agent.ack(id);
    await until(() => expect(state(manager, id).state).toBe('done'));
    expect(sha256Hex(agent.written.get('big.iso')!)).toBe(sha256Hex(pattern(file.size)));
  });

  it('refuses to replace an existing file: the agent\'s sentence, no bytes sent', async () => {
    const { manager, agent, connect } = setup();
    connect();
    agent.existing.add('notes.txt');
    const id = manager.upload(new PatternFile('notes.txt', 10), 'home', '');
    await until(() => expect(state(manager, id).state).toBe('failed'));
    expect(state(manager, id).error).toBe('"notes.txt" already exists.');
    expect(agent.written.size).toBe(0);
    expect(agent.cancels).toEqual([]);
  });

  it('fails with the agent\'s words when the hashes differ at the end', async () => {
    const { manager, agent, connect } = setup();
    connect();
    agent.corruptUploadAt = 5;
    const id = manager.upload(new PatternFile('a.bin', 1000), 'home', '');
    await until(() => expect(state(manager, id).state).toBe('failed'));
    expect(state(manager, id).error).toContain('lifeline-mismatch');
  });

  it('refuses a name that cannot be a file name', async () => {
    const { manager, connect } = setup();
    connect();
    const id = manager.upload(new PatternFile('..', 10), 'home', '');
    expect(state(manager, id)).toMatchObject({ state: 'failed', error: 'A name cannot be empty, "." or "..".' });
  });

  it('waits when the connection drops, and goes on from the agent\'s partial file, hashing the start again', async () => {
    const { manager, agent, connect, peer } = setup();
    connect();
    agent.autoAck = false;
    const file = new PatternFile('video.mp4', 2 * FILE_WINDOW_BYTES + 1234);
    const id = manager.upload(file, 'home', 'Videos');
    await until(() => expect(agent.upload(id)?.length ?? 0).toBeGreaterThan(FILE_WINDOW_BYTES - CHUNK_BYTES));
    agent.ack(id);
    await until(() => expect(state(manager, id).bytesDone).toBeGreaterThan(0));
    const acked = state(manager, id).bytesDone;

    peer.status('reconnecting');
    expect(state(manager, id)).toMatchObject({ state: 'waiting', bytesDone: acked, error: null });
    await settle();
    expect(state(manager, id).state).toBe('waiting');

    const readsBefore = file.reads;
    agent.autoAck = true;
    connect();
    await until(() => expect(state(manager, id).state).toBe('done'));
    expect(agent.uploadStarts).toEqual([{ transfer: id, resume: false }, { transfer: id, resume: true }]);
    // The agent's bytes were read (and hashed) again before the rest went.
    expect(file.reads - readsBefore).toBeGreaterThan(Math.floor(acked / READ_BYTES));
    expect(sha256Hex(agent.written.get('Videos/video.mp4')!)).toBe(sha256Hex(pattern(file.size)));
  });

  it('an upload whose last answer was lost with the connection is checked again on the next one', async () => {
    const { manager, agent, connect, peer } = setup();
    connect();
    agent.holdFinish = true;
    const file = new PatternFile('c.txt', 3 * CHUNK_BYTES);
    const id = manager.upload(file, 'home', '');
    await until(() => expect(state(manager, id).state).toBe('verifying'));
    peer.status('reconnecting');
    expect(state(manager, id).state).toBe('waiting');
    agent.holdFinish = false;
    connect();
    await until(() => expect(state(manager, id).state).toBe('done'));
    expect(agent.uploadStarts.map((s) => s.resume)).toEqual([false, true]);
    expect(agent.written.get('c.txt')).toEqual(pattern(file.size));
  });

  it('a transfer added while the channel is down waits in the queue and starts once it opens', async () => {
    const { manager, agent, connect } = setup();
    const id = manager.upload(new PatternFile('a', 100), 'home', '');
    await settle();
    expect(state(manager, id).state).toBe('queued');
    connect();
    await until(() => expect(state(manager, id).state).toBe('done'));
    expect(agent.written.get('a')).toEqual(pattern(100));
  });
});

describe('TransferManager downloads', () => {
  it('writes a download through the store, acknowledging as it goes, and hands the file over', async () => {
    const { manager, agent, connect, store, saved } = setup();
    connect();
    const content = pattern(2 * FILE_WINDOW_BYTES + 999);
    agent.files.set('Pictures/cat.jpg', content);
    const id = manager.download('home', 'Pictures/cat.jpg', 'file');
    expect(state(manager, id)).toMatchObject({ direction: 'download', name: 'cat.jpg', size: null, state: 'running' });
    await until(() => expect(state(manager, id).state).toBe('done'));
    expect(state(manager, id)).toMatchObject({ size: content.length, bytesDone: content.length });
    expect(sha256Hex(store.bytes(id))).toBe(sha256Hex(content));
    expect(saved).toHaveLength(1);
    expect(saved[0]!.name).toBe('cat.jpg');
    expect(sha256Hex(new Uint8Array(await saved[0]!.file.arrayBuffer()))).toBe(sha256Hex(content));
  });

  it('names a downloaded folder <folder>.tar', async () => {
    const { manager, connect } = setup();
    connect();
    const id = manager.download('home', 'Projects/site', 'dir');
    expect(state(manager, id).name).toBe('site.tar');
  });

  it('fails on a hash mismatch and keeps the damaged file, which can still be saved', async () => {
    const { manager, agent, connect, store, saved } = setup();
    connect();
    agent.files.set('a.bin', pattern(3 * CHUNK_BYTES));
    agent.corruptAt = CHUNK_BYTES + 1;
    const id = manager.download('home', 'a.bin', 'file');
    await until(() => expect(state(manager, id).state).toBe('failed'));
    expect(state(manager, id)).toMatchObject({ error: DAMAGED, damagedKept: true });
    expect(DAMAGED).toBe('SHA-256 does not match; the damaged file was kept aside.');
    expect(saved).toEqual([]);
    expect(store.files.get(id)!.removed).toBe(false);
    await manager.saveDamaged(id);
    expect(saved.map((s) => s.name)).toEqual(['damaged-a.bin']);
    manager.clearFinished();
    expect(store.files.get(id)!.removed).toBe(true);
    expect(manager.snapshot()).toEqual([]);
  });

  it('waits when the connection drops and asks for the rest from what it wrote; the hash goes on', async () => {
    const { manager, agent, connect, peer, store, saved } = setup();
    connect();
    const content = pattern(12 * MiB + 77);
    agent.files.set('disk.img', content);
    agent.downloadLimit = 5 * MiB + 3;
    const id = manager.download('home', 'disk.img', 'file');
    await until(() => expect(state(manager, id).bytesDone).toBe(5 * MiB + 3));
    peer.status('reconnecting');
    expect(state(manager, id)).toMatchObject({ state: 'waiting', bytesDone: 5 * MiB + 3 });

    agent.release();
    connect();
    await until(() => expect(state(manager, id).state).toBe('done'));
    expect(agent.downloadStarts).toEqual([{ transfer: id, offset: 0 }, { transfer: id, offset: 5 * MiB + 3 }]);
    expect(sha256Hex(store.bytes(id))).toBe(sha256Hex(content));
    expect(store.files.get(id)!.finished!.sha256).toBe(sha256Hex(content));
    expect(saved).toHaveLength(1);
  });

  it('acknowledges at least every FILE_ACK_BYTES', async () => {
    const { manager, agent, connect } = setup();
    const channel = connect();
    const acks: number[] = [];
    const onSent = channel.onSent!;
    channel.onSent = (frame) => {
      if (frame[0] === 0x01) {
        const msg = JSON.parse(new TextDecoder().decode(frame.subarray(1))) as { t: string; offset: number };
        if (msg.t === 'download:ack') acks.push(msg.offset);
      }
      onSent(frame);
    };
    const content = pattern(3 * MiB + 5);
    agent.files.set('x', content);
    const id = manager.download('home', 'x', 'file');
    await until(() => expect(state(manager, id).state).toBe('done'));
    expect(acks.at(-1)).toBe(content.length);
    let prev = 0;
    for (const a of acks) {
      // Every acknowledgement but the last (at the end) comes after FILE_ACK_BYTES more, within a chunk.
      if (a !== content.length) expect(a - prev).toBeGreaterThanOrEqual(FILE_ACK_BYTES);
      expect(a - prev).toBeLessThan(FILE_ACK_BYTES + CHUNK_BYTES);
      prev = a;
    }
  });

  it('fails with the agent\'s sentence when the start is refused or the agent reports an error mid-way', async () => {
    const { manager, agent, connect, store } = setup();
    const channel = connect();
    const missing = manager.download('home', 'gone.txt', 'file');
    await until(() => expect(state(manager, missing)).toMatchObject({ state: 'failed', error: '"gone.txt" does not exist.' }));

    agent.files.set('b', pattern(4 * MiB));
    agent.downloadLimit = MiB;
    const id = manager.download('home', 'b', 'file');
    await until(() => expect(state(manager, id).bytesDone).toBe(MiB));
    channel.deliver({ t: 'transfer:error', transfer: id, code: 'ERR_CONSENT', message: 'The user took back file transfer.' });
    expect(state(manager, id)).toMatchObject({ state: 'failed', error: 'The user took back file transfer.' });
    await settle();
    expect(store.files.get(id)!.removed).toBe(true);
  });

  it('fails when bytes go missing on the way', async () => {
    const { manager, agent, connect } = setup();
    const channel = connect();
    agent.files.set('c', pattern(4 * MiB));
    agent.downloadLimit = CHUNK_BYTES;
    const id = manager.download('home', 'c', 'file');
    await until(() => expect(state(manager, id).bytesDone).toBe(CHUNK_BYTES));
    channel.deliverChunk(id, 3 * CHUNK_BYTES, new Uint8Array(10));
    expect(state(manager, id)).toMatchObject({ state: 'failed', error: expect.stringContaining('went missing') });
    expect(agent.cancels).toEqual([id]);
  });

  it('fails when the browser storage cannot take the bytes', async () => {
    const { manager, agent, connect, store } = setup();
    connect();
    store.failWrites = 'QuotaExceededError';
    agent.files.set('d', pattern(100));
    const id = manager.download('home', 'd', 'file');
    await until(() => expect(state(manager, id).state).toBe('failed'));
    expect(state(manager, id).error).toContain('QuotaExceededError');
  });
});

describe('TransferManager cancel, queue and end', () => {
  it('cancels a running download: the agent hears it and the partial file goes', async () => {
    const { manager, agent, connect, store } = setup();
    connect();
    agent.files.set('e', pattern(4 * MiB));
    agent.downloadLimit = MiB;
    const id = manager.download('home', 'e', 'file');
    await until(() => expect(state(manager, id).bytesDone).toBe(MiB));
    manager.cancel(id);
    expect(state(manager, id).state).toBe('cancelled');
    await settle();
    expect(agent.cancels).toEqual([id]);
    expect(store.files.get(id)!.removed).toBe(true);
    manager.cancel(id);
    expect(agent.cancels).toEqual([id]);
  });

  it('cancels a waiting upload and tells the agent once a channel is back', async () => {
    const { manager, agent, connect, peer } = setup();
    connect();
    agent.autoAck = false;
    const id = manager.upload(new PatternFile('f', 3 * FILE_WINDOW_BYTES), 'home', '');
    await until(() => expect(agent.upload(id)?.length ?? 0).toBeGreaterThan(0));
    peer.status('reconnecting');
    expect(state(manager, id).state).toBe('waiting');
    manager.cancel(id);
    expect(state(manager, id).state).toBe('cancelled');
    connect();
    await settle();
    expect(agent.cancels).toEqual([id]);
    expect(agent.uploadStarts).toHaveLength(1);
  });

  it('cancels a queued transfer without a word to the agent', async () => {
    const { manager, agent, connect } = setup();
    const id = manager.upload(new PatternFile('g', 10), 'home', '');
    manager.cancel(id);
    connect();
    await settle();
    expect(state(manager, id).state).toBe('cancelled');
    expect(agent.uploadStarts).toEqual([]);
    expect(agent.cancels).toEqual([]);
  });

  it('the agent may cancel too', async () => {
    const { manager, agent, connect } = setup();
    const channel = connect();
    agent.autoAck = false;
    const id = manager.upload(new PatternFile('h', 3 * FILE_WINDOW_BYTES), 'home', '');
    await until(() => expect(agent.upload(id)?.length ?? 0).toBeGreaterThan(0));
    channel.deliver({ t: 'transfer:cancel', transfer: id });
    expect(state(manager, id)).toMatchObject({ state: 'cancelled', error: 'The remote computer cancelled the transfer.' });
  });

  it(`runs at most ${MAX_RUNNING} per direction and queues the rest`, async () => {
    const { manager, agent, connect } = setup();
    connect();
    agent.autoAck = false;
    const ups = [1, 2, 3].map((i) => manager.upload(new PatternFile(`u${i}`, 2 * FILE_WINDOW_BYTES), 'home', ''));
    agent.files.set('d1', pattern(100));
    const down = manager.download('home', 'd1', 'file');
    await until(() => expect(state(manager, down).state).toBe('done'));
    expect(ups.map((id) => state(manager, id).state)).toEqual(['running', 'running', 'queued']);
    manager.cancel(ups[0]!);
    await until(() => expect(state(manager, ups[2]!).state).toBe('running'));
    expect(state(manager, ups[1]!).state).toBe('running');
  });

  it('abandons every unfinished transfer when the session ends', async () => {
    const { manager, agent, connect, store, link } = setup();
    connect();
    agent.files.set('big', pattern(4 * MiB));
    agent.downloadLimit = MiB;
    const down = manager.download('home', 'big', 'file');
    const queued = [1, 2, 3].map((i) => manager.upload(new PatternFile(`q${i}`, 5), 'home', ''));
    await until(() => expect(state(manager, down).bytesDone).toBe(MiB));
    const seen = manager.snapshot();
    manager.dispose();
    link.dispose();
    expect(seen.find((t) => t.id === down)!.state).toBe('running');
    expect(store.files.get(down)!.removed).toBe(true);
    expect(agent.cancels).toContain(down);
    expect([down, ...queued].map((id) => state(manager, id).state)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
  });

  it('tells the speed over the last seconds and the time left at that speed', async () => {
    let clock = 0;
    const { manager, agent, connect } = setup(() => clock);
    connect();
    agent.files.set('s', pattern(4 * MiB));
    agent.downloadLimit = 0;
    const id = manager.download('home', 's', 'file');
    await until(() => expect(state(manager, id).size).toBe(4 * MiB));
    expect(state(manager, id)).toMatchObject({ speed: null, eta: null });
    clock = 1000;
    agent.release(MiB);
    await until(() => expect(state(manager, id).bytesDone).toBe(MiB));
    expect(state(manager, id)).toMatchObject({ speed: MiB, eta: 3 });
    // Nothing more arrives: two seconds later the same bytes took three seconds.
    clock = 3000;
    manager.upload(new PatternFile('other', 1), 'home', '');
    expect(state(manager, id)).toMatchObject({ speed: MiB / 3, eta: 9 });
  });

  it('keeps the same snapshot until something changes', async () => {
    const { manager, connect } = setup();
    connect();
    const a = manager.snapshot();
    expect(manager.snapshot()).toBe(a);
    const listener = vi.fn();
    manager.subscribe(listener);
    manager.download('home', 'x', 'file');
    expect(listener).toHaveBeenCalled();
    expect(manager.snapshot()).not.toBe(a);
  });
});
