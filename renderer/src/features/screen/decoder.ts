/**
 * Image decoding for the screen painter and the remote cursor: one Worker
 * runs createImageBitmap and transfers the bitmaps back, so neither the
 * decode nor the blob handling touches the main thread. The worker is a
 * separate file from 'self' (Vite's `new Worker(new URL(...))` form), which
 * the console's CSP (`worker-src 'self' blob:; script-src 'self'`) allows.
 *
 * Should the worker fail (it could not load, or it crashed), every decode
 * from then on runs on the main thread instead: slower, but the screen keeps
 * going. The decodes it had in hand are lost (their bytes were transferred
 * to it); `onWorkerFailed` lets the owner ask the agent for a full refresh.
 */
import type { Disposer } from '../../../../shared/console-contract.js';
import type { BitmapDecoder } from './screen-painter.js';
import { ZpalDecoder, ZpalStreamError, type ZpalRect } from './zpal.js';

export interface DecodeRequest {
  id: number;
  mime: string;
  bytes: ArrayBuffer;
  /** Set for zpal rects, which the worker inflates in order with its one stream. */
  zpal?: ZpalRect;
}

export type DecodeReply = { id: number; bitmap: ImageBitmap } | { id: number; error: string; streamLost?: boolean };

/** The part of a Worker the decoder uses. */
export interface WorkerLike {
  postMessage(message: DecodeRequest, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<DecodeReply>) => void): void;
  addEventListener(type: 'error', listener: (e: Event) => void): void;
  terminate(): void;
}

export interface WorkerDecoderOptions {
  createWorker?: () => WorkerLike;
  /** Decodes on the main thread, once the worker has failed. */
  fallback?: (mime: string, bytes: ArrayBuffer) => Promise<ImageBitmap>;
  /**
   * The worker failed, or the zpal stream broke: what it was decoding is lost,
   * and zpal rects cannot be decoded until the agent starts a new stream.
   */
  onWorkerFailed?: () => void;
  log?: Pick<Console, 'warn'>;
}

interface Pending {
  resolve(bitmap: ImageBitmap): void;
  reject(e: Error): void;
}

const decodeHere = (mime: string, bytes: ArrayBuffer) => createImageBitmap(new Blob([bytes], { type: mime }));

const startWorker = (): WorkerLike =>
  new Worker(new URL('./decode.worker.ts', import.meta.url), { type: 'module', name: 'screen-decode' }) as WorkerLike;

export class WorkerDecoder implements BitmapDecoder<ImageBitmap> {
  private worker: WorkerLike | null;
  private readonly fallback: (mime: string, bytes: ArrayBuffer) => Promise<ImageBitmap>;
  private readonly log: Pick<Console, 'warn'>;
  private readonly onWorkerFailed: () => void;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private disposed = false;
  /** zpal on the main thread, once the worker has failed. */
  private readonly zpal = new ZpalDecoder();
  /** Asked for a new stream since the last reset: one request is enough. */
  private askedForStream = false;

  constructor(options: WorkerDecoderOptions = {}) {
    this.fallback = options.fallback ?? decodeHere;
    this.log = options.log ?? console;
    this.onWorkerFailed = options.onWorkerFailed ?? (() => {});
    let worker: WorkerLike | null = null;
    try {
      worker = (options.createWorker ?? startWorker)();
    } catch (e) {
      this.log.warn('[screen] cannot start the decode worker; decoding on the main thread', e);
    }
    this.worker = worker;
    worker?.addEventListener('message', ({ data }) => this.reply(data));
    worker?.addEventListener('error', (e) => this.workerFailed(e));
  }

  decode(mime: string, data: Uint8Array, zpal?: ZpalRect): Promise<ImageBitmap> {
    if (this.disposed) return Promise.reject(new Error('the decoder is disposed'));
    if (zpal?.reset) this.askedForStream = false;
    // Transfer a buffer that holds exactly these bytes: a view into a bigger message would hand over all of it.
    // (Copied with the constructor: simple-peer delivers Buffers, whose `slice` is a view, not a copy.)
    const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
    const bytes = whole ? (data.buffer as ArrayBuffer) : new Uint8Array(data).buffer;
    const worker = this.worker;
    if (!worker && zpal) {
      return this.zpal.decode(new Uint8Array(bytes), zpal).then(
        (rgba) => createImageBitmap(new ImageData(rgba, zpal.w, zpal.h)),
        (e: unknown) => {
          if (e instanceof ZpalStreamError) this.streamLost();
          throw e;
        },
      );
    }
    if (!worker) return this.fallback(mime, bytes);
    const id = this.nextId++;
    const result = new Promise<ImageBitmap>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    try {
      worker.postMessage(zpal ? { id, mime, bytes, zpal } : { id, mime, bytes }, [bytes]);
    } catch (e) {
      this.pending.delete(id);
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return result;
  }

  /** Rejects what is still decoding and stops the worker; idempotent. */
  readonly dispose: Disposer = () => {
    if (this.disposed) return;
    this.disposed = true;
    this.worker?.terminate();
    this.worker = null;
    this.zpal.dispose();
    for (const p of this.pending.values()) p.reject(new Error('the decoder is disposed'));
    this.pending.clear();
  };

  private streamLost(): void {
    if (this.askedForStream || this.disposed) return;
    this.askedForStream = true;
    this.onWorkerFailed();
  }

  private reply(r: DecodeReply): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if ('bitmap' in r) return p.resolve(r.bitmap);
    if (r.streamLost) this.streamLost();
    p.reject(new Error(r.error));
  }

  private workerFailed(e: Event): void {
    this.log.warn('[screen] the decode worker failed; decoding on the main thread', e);
    this.worker?.terminate();
    this.worker = null;
    const lost = this.pending.size;
    for (const p of this.pending.values()) p.reject(new Error('the decode worker failed'));
    this.pending.clear();
    // The worker's zpal stream is gone with it: only a new one can be decoded here.
    if (lost > 0) this.streamLost();
  }
}
