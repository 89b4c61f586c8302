/**
 * Where downloads are written while they arrive: an interface the transfer
 * manager uses, and the browser's implementation of it, a file per transfer
 * in the Origin Private File System written from a dedicated Worker
 * (download-worker.ts) with a synchronous access handle. The worker hashes
 * what it writes, in order, so the hash of a resumed download covers the
 * bytes of every connection. A finished file is handed over as a disk-backed
 * File: nothing of a download is ever held in memory beyond the chunks in
 * flight.
 *
 * Each console page writes under `lifeline-downloads/<run>/`, and holds a Web
 * Lock named after its run while it lives; a page that starts removes the
 * folders of runs nobody holds any more (a closed or crashed console).
 */
import type { DownloadWorkerReply, DownloadWorkerRequest, DownloadWorkerCommand } from './download-protocol.js';

export interface DownloadSink {
  /** Writes `bytes` at `offset`, which must be where the previous write ended; resolves to the bytes written so far. */
  write(offset: number, bytes: Uint8Array): Promise<number>;
  /** Flushes and closes the file; the SHA-256 (hex) and length of everything written, over every connection. */
  finish(): Promise<{ sha256: string; size: number }>;
  /** The finished file, disk-backed. */
  file(): Promise<Blob>;
  /** Deletes the file (finished or not). Never rejects. */
  remove(): Promise<void>;
}

export interface DownloadStore {
  /** A new, empty file for this transfer. */
  open(transfer: number): Promise<DownloadSink>;
}

type Command = DownloadWorkerCommand;

/** The part of a Worker the store uses. */
export interface DownloadWorkerLike {
  postMessage(message: DownloadWorkerRequest, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<DownloadWorkerReply>) => void): void;
  addEventListener(type: 'error', listener: (e: Event) => void): void;
  terminate(): void;
}

const startWorker = (): DownloadWorkerLike =>
  new Worker(new URL('./download-worker.ts', import.meta.url), { type: 'module', name: 'file-downloads' }) as DownloadWorkerLike;

export const NO_OPFS =
  'This browser offers no private file storage here, so downloads cannot be written (it needs a secure page: https or localhost).';

interface Pending {
  resolve(value: unknown): void;
  reject(e: Error): void;
}

/** The OPFS store: one worker for the whole page, started with the first download. */
export class OpfsDownloadStore implements DownloadStore {
  private worker: DownloadWorkerLike | null = null;
  private broken: string | null = null;
  private nextSeq = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly run: string;

  constructor(
    private readonly createWorker: () => DownloadWorkerLike = startWorker,
    private readonly log: Pick<Console, 'warn'> = console,
  ) {
    this.run = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  }

  async open(transfer: number): Promise<DownloadSink> {
    await this.call({ t: 'open', transfer });
    return {
      write: async (offset, bytes) => {
        // Hand the worker a buffer of exactly these bytes (a chunk is a view into its message).
        const copy = bytes.slice();
        return (await this.call({ t: 'write', transfer, offset, bytes: copy.buffer }, [copy.buffer])) as number;
      },
      finish: async () => (await this.call({ t: 'finish', transfer })) as { sha256: string; size: number },
      file: async () => (await this.call({ t: 'file', transfer })) as Blob,
      remove: async () => {
        try {
          await this.call({ t: 'remove', transfer });
        } catch (e) {
          this.log.warn('[files] could not delete a download from the browser storage', e);
        }
      },
    };
  }

  private call(cmd: Command, transfer: Transferable[] = []): Promise<unknown> {
    const worker = this.ensureWorker();
    if (!worker) return Promise.reject(new Error(this.broken ?? NO_OPFS));
    const seq = this.nextSeq++;
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { resolve, reject });
      try {
        worker.postMessage({ seq, cmd }, transfer);
      } catch (e) {
        this.pending.delete(seq);
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  }

  private ensureWorker(): DownloadWorkerLike | null {
    if (this.worker || this.broken) return this.worker;
    if (typeof navigator === 'undefined' || typeof navigator.storage?.getDirectory !== 'function') {
      this.broken = NO_OPFS;
      return null;
    }
    try {
      const worker = this.createWorker();
      worker.addEventListener('message', ({ data }) => this.reply(data));
      worker.addEventListener('error', (e) => this.failed(e));
      worker.postMessage({ seq: 0, cmd: { t: 'init', run: this.run } });
      this.worker = worker;
    } catch (e) {
      this.log.warn('[files] cannot start the download worker', e);
      this.broken = 'The console could not start its download writer.';
    }
    return this.worker;
  }

  private reply(data: DownloadWorkerReply): void {
    const p = this.pending.get(data.seq);
    if (!p) return;
    this.pending.delete(data.seq);
    if (data.ok) p.resolve(data.value);
    else p.reject(new Error(data.message));
  }

  private failed(e: Event): void {
    this.log.warn('[files] the download worker failed', (e as ErrorEvent).message ?? '');
    this.broken = 'The console\'s download writer stopped.';
    this.worker?.terminate();
    this.worker = null;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new Error(this.broken));
  }
}

let shared: OpfsDownloadStore | null = null;

/** The page's store (created on first use). */
export function opfsDownloadStore(): OpfsDownloadStore {
  shared ??= new OpfsDownloadStore();
  return shared;
}
