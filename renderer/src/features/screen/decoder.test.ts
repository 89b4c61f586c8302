import { describe, expect, it, vi } from 'vitest';
import { WorkerDecoder, type DecodeReply, type DecodeRequest, type WorkerLike } from './decoder.js';

class FakeWorker implements WorkerLike {
  readonly posted: Array<{ message: DecodeRequest; transfer: Transferable[] }> = [];
  terminated = false;
  private onMessage: (e: MessageEvent<DecodeReply>) => void = () => {};
  private onError: (e: Event) => void = () => {};
  postMessage(message: DecodeRequest, transfer: Transferable[]) {
    this.posted.push({ message, transfer });
  }
  addEventListener(type: 'message' | 'error', listener: (e: never) => void) {
    if (type === 'message') this.onMessage = listener as (e: MessageEvent<DecodeReply>) => void;
    else this.onError = listener as (e: Event) => void;
  }
  terminate() {
    this.terminated = true;
  }
  reply(r: DecodeReply) {
    this.onMessage({ data: r } as MessageEvent<DecodeReply>);
  }
  crash() {
    this.onError(new Event('error'));
  }
}

const bitmap = (name: string) => ({ name }) as unknown as ImageBitmap;

function setup() {
  const worker = new FakeWorker();
  const fallback = vi.fn(async (_mime: string, bytes: ArrayBuffer) => bitmap(`main-thread ${bytes.byteLength}`));
  const onWorkerFailed = vi.fn();
  const decoder = new WorkerDecoder({ createWorker: () => worker, fallback, onWorkerFailed, log: { warn: vi.fn() } });
  return { worker, fallback, onWorkerFailed, decoder };
}

describe('WorkerDecoder', () => {
  it('transfers exactly the image bytes to the worker, also from a view into a larger message', () => {
    const { worker, decoder } = setup();
    const message = new Uint8Array([9, 9, 1, 2, 3]);
    void decoder.decode('image/png', message.subarray(2));
    const { message: req, transfer } = worker.posted[0]!;
    expect(req.mime).toBe('image/png');
    expect([...new Uint8Array(req.bytes)]).toEqual([1, 2, 3]);
    expect(transfer).toEqual([req.bytes]);
    // The channel message itself is untouched (not detached).
    expect(message.byteLength).toBe(5);
  });

  it('copies a view even when its slice() is a view too (the Buffer simple-peer delivers)', () => {
    class BufferLike extends Uint8Array {
      override slice(start?: number, end?: number) {
        return this.subarray(start, end);
      }
    }
    const { worker, decoder } = setup();
    const message = new BufferLike([0x03, 0, 0, 0, 0x89, 0x50]);
    void decoder.decode('image/png', message.subarray(4));
    expect([...new Uint8Array(worker.posted[0]!.message.bytes)]).toEqual([0x89, 0x50]);
  });

  it('matches replies to requests by id, in whatever order they come', async () => {
    const { worker, decoder } = setup();
    const a = decoder.decode('image/png', new Uint8Array(1));
    const b = decoder.decode('image/jpeg', new Uint8Array(2));
    const [ra, rb] = worker.posted.map((p) => p.message.id);
    worker.reply({ id: rb!, bitmap: bitmap('b') });
    worker.reply({ id: ra!, error: 'bad PNG' });
    await expect(b).resolves.toEqual({ name: 'b' });
    await expect(a).rejects.toThrow('bad PNG');
  });

  it('when the worker fails, what it held is lost (the owner is told) and later decodes run on the main thread', async () => {
    const { worker, fallback, onWorkerFailed, decoder } = setup();
    const lost = decoder.decode('image/png', new Uint8Array(1));
    worker.crash();
    await expect(lost).rejects.toThrow('worker failed');
    expect(onWorkerFailed).toHaveBeenCalledOnce();
    expect(worker.terminated).toBe(true);
    await expect(decoder.decode('image/png', new Uint8Array(7))).resolves.toEqual({ name: 'main-thread 7' });
    expect(fallback).toHaveBeenCalledOnce();
  });

  it('decodes on the main thread when no worker can start', async () => {
    const decoder = new WorkerDecoder({
      createWorker: () => {
        throw new Error('blocked by CSP');
      },
      fallback: async () => bitmap('here'),
      log: { warn: vi.fn() },
    });
    await expect(decoder.decode('image/png', new Uint8Array(1))).resolves.toEqual({ name: 'here' });
  });

  it('dispose rejects pending decodes, stops the worker, and is idempotent', async () => {
    const { worker, decoder } = setup();
    const pending = decoder.decode('image/png', new Uint8Array(1));
    decoder.dispose();
    decoder.dispose();
    await expect(pending).rejects.toThrow('disposed');
    expect(worker.terminated).toBe(true);
    await expect(decoder.decode('image/png', new Uint8Array(1))).rejects.toThrow('disposed');
  });
});
