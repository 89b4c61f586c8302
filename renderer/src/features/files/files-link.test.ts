import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CHUNK_BYTES, encodeChunk, FILES_CHANNEL } from '../../../../shared/files.js';
import { FilesLink, SEND_HIGH_WATER, SEND_LOW_WATER, type TransferEvent } from './files-link.js';
import { FakeFilesPeer } from './testing.js';

function setup() {
  const peer = new FakeFilesPeer();
  const log = { warn: vi.fn(), info: vi.fn() };
  const link = new FilesLink({ peer, timeoutMs: 5000, log });
  const opens: boolean[] = [];
  link.onOpenChanged((o) => opens.push(o));
  const events: TransferEvent[] = [];
  link.onTransfer((e) => events.push(e));
  return { peer, link, log, opens, events };
}

function connected() {
  const s = setup();
  const channel = s.peer.connect();
  channel.open();
  return { ...s, channel };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('FilesLink', () => {
  it('opens the pre-negotiated files channel on each new peer, binary, paced, and is open once the agent answers hello', () => {
    const { peer, link, opens } = setup();
    const channel = peer.connect();
    expect(peer.created[0]).toMatchObject({ label: FILES_CHANNEL.label, init: { negotiated: true, id: FILES_CHANNEL.id } });
    expect(channel.binaryType).toBe('arraybuffer');
    expect(channel.bufferedAmountLowThreshold).toBe(SEND_LOW_WATER);
    expect(link.isOpen).toBe(false);
    channel.open();
    expect(link.isOpen).toBe(true);
    expect(link.getOpen()).toBe(true);
    expect(opens).toEqual([true]);
  });

  it('repeats hello until the agent answers, and sends no request before', async () => {
    const { peer, link } = setup();
    const channel = peer.connect();
    channel.readyState = 'open';
    channel.onopen?.();
    expect(channel.hellos).toBe(1);
    await vi.advanceTimersByTimeAsync(1600);
    expect(channel.hellos).toBe(4);
    await expect(link.roots()).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    expect(channel.sent).toHaveLength(0);
    channel.deliver({ t: 'hello' });
    expect(link.isOpen).toBe(true);
    await vi.advanceTimersByTimeAsync(2000);
    expect(channel.hellos).toBe(4);
  });

  it('lists the places and parses a folder listing', async () => {
    const { link, channel } = connected();
    const roots = link.roots();
    channel.deliver({ t: 'result', id: channel.last('fs:roots')!.id, ok: true, value: [{ id: 'home', label: 'Home' }] });
    await expect(roots).resolves.toEqual([{ id: 'home', label: 'Home' }]);

    const listing = link.list('home', 'Documents');
    expect(channel.last('fs:list')).toMatchObject({ root: 'home', path: 'Documents' });
    const value = { root: 'home', path: 'Documents', truncated: false, entries: [{ name: 'a.txt', kind: 'file', size: 3, mtimeMs: 1 }] };
    channel.deliver({ t: 'result', id: channel.last('fs:list')!.id, ok: true, value });
    await expect(listing).resolves.toEqual(value);
  });

  it('also takes the places wrapped in an object', async () => {
    const { link, channel } = connected();
    const roots = link.roots();
    channel.deliver({ t: 'result', id: channel.last('fs:roots')!.id, ok: true, value: { roots: [{ id: 'c', label: 'C:' }] } });
    await expect(roots).resolves.toEqual([{ id: 'c', label: 'C:' }]);
  });

  it('sends mkdir, rename and delete with the root and paths', async () => {
    const { link, channel } = connected();
    const made = link.mkdir('home', 'new');
    channel.deliver({ t: 'result', id: channel.last('fs:mkdir')!.id, ok: true, value: null });
    await expect(made).resolves.toBeUndefined();
    const renamed = link.rename('home', 'a', 'b');
    expect(channel.last('fs:rename')).toMatchObject({ root: 'home', from: 'a', to: 'b' });
    channel.deliver({ t: 'result', id: channel.last('fs:rename')!.id, ok: true, value: {} });
    await renamed;
    const deleted = link.delete('home', 'b');
    expect(channel.last('fs:delete')).toMatchObject({ root: 'home', path: 'b' });
    channel.deliver({ t: 'result', id: channel.last('fs:delete')!.id, ok: true, value: null });
    await deleted;
  });

  it('turns a refusal into an error with the agent\'s code and sentence', async () => {
    const { link, channel } = connected();
    const listing = link.list('home', '../../etc');
    channel.deliver({
      t: 'result', id: channel.last('fs:list')!.id, ok: false, code: 'ERR_PATH_REFUSED', message: '"../../etc" climbs out of its folder with "..".',
    });
    await expect(listing).rejects.toMatchObject({ code: 'ERR_PATH_REFUSED', message: '"../../etc" climbs out of its folder with "..".' });
  });

  it('refuses an answer that does not match the schema', async () => {
    const { link, channel } = connected();
    const listing = link.list('home', '');
    channel.deliver({ t: 'result', id: channel.last('fs:list')!.id, ok: true, value: { entries: 'lots' } });
    await expect(listing).rejects.toMatchObject({ code: 'ERR_BAD_MESSAGE' });
    const started = link.downloadStart({ transfer: 1, root: 'home', path: 'a', offset: 0 });
    channel.deliver({ t: 'result', id: channel.last('download:start')!.id, ok: true, value: { name: 'a', size: -1, kind: 'file' } });
    await expect(started).rejects.toMatchObject({ code: 'ERR_BAD_MESSAGE' });
  });

  it('logs and drops what it cannot read, or what only the console sends', () => {
    const { channel, log, events } = connected();
    channel.deliverRaw(new Uint8Array([0x01, 0x7b]));
    channel.deliverRaw(new Uint8Array([0x09, 1, 2]));
    channel.deliverRaw(new Uint8Array([0x02, 1, 0, 0, 0, 1, 2]));
    channel.onmessage?.({ data: 'text' });
    channel.deliver({ t: 'fs:roots', id: 1 });
    channel.deliver({ t: 'download:ack', transfer: 1, offset: 0 });
    // A chunk whose offset is not a byte count.
    const bad = encodeChunk(1, 0, new Uint8Array([1]));
    new DataView(bad.buffer).setFloat64(5, -1, true);
    channel.deliverRaw(bad);
    expect(log.warn).toHaveBeenCalledTimes(7);
    expect(events).toEqual([]);
  });

  it('hands transfer traffic to its listeners', () => {
    const { channel, events } = connected();
    channel.deliverChunk(7, 65536, new Uint8Array([1, 2, 3]));
    channel.deliver({ t: 'upload:ack', transfer: 8, offset: 100 });
    channel.deliver({ t: 'download:done', transfer: 7, sha256: 'a'.repeat(64) });
    channel.deliver({ t: 'transfer:error', transfer: 8, code: 'ERR_IO', message: 'Disk full.' });
    channel.deliver({ t: 'transfer:cancel', transfer: 9 });
    expect(events).toMatchObject([
      { t: 'chunk', transfer: 7, offset: 65536, bytes: new Uint8Array([1, 2, 3]) },
      { t: 'upload:ack', transfer: 8, offset: 100 },
      { t: 'download:done', transfer: 7 },
      { t: 'transfer:error', transfer: 8, code: 'ERR_IO', message: 'Disk full.' },
      { t: 'transfer:cancel', transfer: 9 },
    ]);
  });

  it('sends acknowledgements and cancels only while open', () => {
    const { peer, link } = setup();
    expect(link.notify({ t: 'transfer:cancel', transfer: 1 })).toBe(false);
    const channel = peer.connect();
    channel.open();
    expect(link.notify({ t: 'download:ack', transfer: 1, offset: 1024 })).toBe(true);
    expect(channel.messages()).toEqual([{ t: 'download:ack', transfer: 1, offset: 1024 }]);
  });

  it('sends chunks while the send buffer has room and waits for it to drain beyond the high-water mark', async () => {
    const { link, channel } = connected();
    channel.accumulate = true;
    const piece = new Uint8Array(CHUNK_BYTES);
    let sent = 0;
    const sending = (async () => {
      for (let i = 0; i < 40; i++) {
        await link.sendChunk(3, i * CHUNK_BYTES, piece);
        sent++;
      }
    })();
    await vi.advanceTimersByTimeAsync(0);
    expect(channel.bufferedAmount).toBeLessThanOrEqual(SEND_HIGH_WATER);
    const first = sent;
    expect(first).toBeGreaterThanOrEqual(Math.floor(SEND_HIGH_WATER / CHUNK_BYTES));
    expect(first).toBeLessThan(40);
    channel.drain();
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toBeGreaterThan(first);
    while (sent < 40) {
      expect(channel.bufferedAmount).toBeLessThanOrEqual(SEND_HIGH_WATER);
      channel.drain();
      await vi.advanceTimersByTimeAsync(0);
    }
    await sending;
    expect(channel.chunks().map((c) => c.offset)).toEqual(Array.from({ length: 40 }, (_, i) => i * CHUNK_BYTES));
  });

  it('checks the send buffer again on its own should no drain event come', async () => {
    const { link, channel } = connected();
    channel.bufferedAmount = SEND_HIGH_WATER;
    let done = false;
    void link.sendChunk(1, 0, new Uint8Array(10)).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(300);
    expect(done).toBe(false);
    channel.bufferedAmount = 0;
    await vi.advanceTimersByTimeAsync(300);
    expect(done).toBe(true);
  });

  it('a chunk waiting for room fails when the channel closes', async () => {
    const { link, channel } = connected();
    channel.bufferedAmount = SEND_HIGH_WATER;
    const waiting = link.sendChunk(1, 0, new Uint8Array(10));
    channel.drop();
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    await expect(link.sendChunk(1, 0, new Uint8Array(10))).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
  });

  it('tells listeners the channel closed before it fails what is pending', async () => {
    const { link, channel, opens } = connected();
    const order: string[] = [];
    link.onOpenChanged((o) => order.push(`open ${o}`));
    const answer = link.roots().catch(() => order.push('rejected'));
    channel.drop();
    await answer;
    expect(order).toEqual(['open false', 'rejected']);
    expect(opens).toEqual([true, false]);
  });

  it('closes the channel when the peer stops being connected, and a new peer brings a new channel', async () => {
    const { peer, link, channel, opens } = connected();
    const answer = link.roots();
    peer.status('reconnecting');
    expect(channel.closed).toBe(true);
    await expect(answer).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    const fresh = peer.connect();
    fresh.open();
    channel.drop();
    expect(link.isOpen).toBe(true);
    expect(opens).toEqual([true, false, true]);
  });

  it('gives up on a late answer', async () => {
    const { link } = connected();
    const caught = link.roots().catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await caught).toMatchObject({ code: 'ERR_NOT_CONNECTED', message: 'The remote computer did not answer in time.' });
  });

  it('reassembles a listing too large for one message', async () => {
    const { link, channel } = connected();
    const listing = link.list('home', '');
    const entries = Array.from({ length: 3000 }, (_, i) => ({ name: `file number ${i}.txt`, kind: 'file' as const, size: i, mtimeMs: i }));
    channel.deliver({ t: 'result', id: channel.last('fs:list')!.id, ok: true, value: { root: 'home', path: '', truncated: false, entries } });
    expect((await listing).entries).toHaveLength(3000);
  });

  it('dispose closes the channel, fails what is pending and unsubscribes from the peer', async () => {
    const { peer, link, channel } = connected();
    const answer = link.roots();
    link.dispose();
    link.dispose();
    expect(channel.closed).toBe(true);
    await expect(answer).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    expect(peer.listeners()).toBe(0);
  });
});
