import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DownloadWorkerReply, DownloadWorkerRequest } from './download-protocol.js';
import { NO_OPFS, OpfsDownloadStore, type DownloadWorkerLike } from './download-store.js';

/** Answers the store's commands as the worker would, without OPFS. */
class FakeWorker implements DownloadWorkerLike {
  readonly posted: DownloadWorkerRequest[] = [];
  readonly transferred: Transferable[][] = [];
  terminated = false;
  private readonly messageListeners: Array<(e: MessageEvent<DownloadWorkerReply>) => void> = [];
  private readonly errorListeners: Array<(e: Event) => void> = [];
  private readonly written = new Map<number, number>();

  postMessage(message: DownloadWorkerRequest, transfer: Transferable[] = []): void {
    this.posted.push(message);
    this.transferred.push(transfer);
    const { seq, cmd } = message;
    let value: unknown = null;
    if (cmd.t === 'open') this.written.set(cmd.transfer, 0);
    if (cmd.t === 'write') {
      const n = (this.written.get(cmd.transfer) ?? 0) + cmd.bytes.byteLength;
      this.written.set(cmd.transfer, n);
      value = n;
    }
    if (cmd.t === 'finish') value = { sha256: 'f'.repeat(64), size: this.written.get(cmd.transfer) };
    if (cmd.t === 'file') value = new Blob(['x']);
    if (cmd.t === 'remove' && !this.written.has(cmd.transfer)) {
      return this.reply({ seq, ok: false, message: 'NotFoundError' });
    }
    this.reply({ seq, ok: true, value });
  }

  addEventListener(type: 'message' | 'error', listener: ((e: MessageEvent<DownloadWorkerReply>) => void) | ((e: Event) => void)): void {
    if (type === 'message') this.messageListeners.push(listener as (e: MessageEvent<DownloadWorkerReply>) => void);
    else this.errorListeners.push(listener as (e: Event) => void);
  }

  terminate(): void {
    this.terminated = true;
  }

  crash(): void {
    for (const l of this.errorListeners) l(new Event('error'));
  }

  private reply(data: DownloadWorkerReply): void {
    queueMicrotask(() => {
      for (const l of this.messageListeners) l({ data } as MessageEvent<DownloadWorkerReply>);
    });
  }
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('OpfsDownloadStore', () => {
  it('says in words that downloads need private file storage where the browser has none', async () => {
    vi.stubGlobal('navigator', {});
    const store = new OpfsDownloadStore(() => new FakeWorker());
    await expect(store.open(1)).rejects.toThrow(NO_OPFS);
  });

  it('starts its worker on the first download and talks to it by sequence number', async () => {
    vi.stubGlobal('navigator', { storage: { getDirectory: () => Promise.resolve() } });
    const worker = new FakeWorker();
    const create = vi.fn(() => worker);
    const store = new OpfsDownloadStore(create, { warn: vi.fn() });
    expect(create).not.toHaveBeenCalled();
    const sink = await store.open(7);
    expect(worker.posted[0]!.cmd).toMatchObject({ t: 'init' });
    const view = new Uint8Array(new ArrayBuffer(100), 10, 20);
    expect(await sink.write(0, view)).toBe(20);
    // The worker gets a buffer of exactly the chunk, handed over rather than copied again.
    const write = worker.posted.find((p) => p.cmd.t === 'write')!;
    expect(write.cmd).toMatchObject({ transfer: 7, offset: 0 });
    expect((write.cmd as { bytes: ArrayBuffer }).bytes.byteLength).toBe(20);
    expect(worker.transferred[worker.posted.indexOf(write)]).toHaveLength(1);
    expect(await sink.finish()).toEqual({ sha256: 'f'.repeat(64), size: 20 });
    expect(await sink.file()).toBeInstanceOf(Blob);
    await sink.remove();
    expect(create).toHaveBeenCalledOnce();
  });

  it('fails what is pending when the worker dies, and every later download', async () => {
    vi.stubGlobal('navigator', { storage: { getDirectory: () => Promise.resolve() } });
    const worker = new FakeWorker();
    const store = new OpfsDownloadStore(() => worker, { warn: vi.fn() });
    const sink = await store.open(1);
    worker.postMessage = () => undefined;
    const pending = sink.write(0, new Uint8Array(3));
    worker.crash();
    await expect(pending).rejects.toThrow(/download writer stopped/);
    expect(worker.terminated).toBe(true);
    await expect(store.open(2)).rejects.toThrow(/download writer stopped/);
  });

  it('removing never fails', async () => {
    vi.stubGlobal('navigator', { storage: { getDirectory: () => Promise.resolve() } });
    const worker = new FakeWorker();
    const warn = vi.fn();
    const store = new OpfsDownloadStore(() => worker, { warn });
    const sink = await store.open(3);
    (worker as unknown as { written: Map<number, number> }).written.clear();
    await expect(sink.remove()).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledOnce();
  });
});
