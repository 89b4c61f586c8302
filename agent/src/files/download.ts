/**
 * One download (agent -> console): a regular file, or a folder as a tar
 * stream (tar.ts). Chunks go from the requested offset, never more than
 * FILE_WINDOW_BYTES beyond the console's last `download:ack`, and only
 * while the channel's send buffer is short, so the screen on the same
 * connection keeps flowing. The hash in `download:done` covers the whole
 * stream: on a resumed download the bytes before the offset are read and
 * hashed but not sent.
 */
import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { LifelineError } from '../../../shared/errors.js';
import { CHUNK_BYTES, encodeChunk, FILE_WINDOW_BYTES, joinPath, type DownloadStarted, type FileMessage } from '../../../shared/files.js';
import { refuseSpecial, shown } from './paths.js';
import { changed, openRegular, readExactly, READ_BYTES } from './read.js';
import { planTar, tarStream } from './tar.js';
import { failure, type OnEnd, type Transfer, type TransferContext } from './transfer.js';

type StartRequest = Extract<FileMessage, { t: 'download:start' }>;

interface Source {
  bytes: () => AsyncGenerator<Uint8Array>;
  close: () => Promise<void>;
}

/** Longest a chunk waits for the screen's frames before it goes anyway. */
const SCREEN_YIELD_MS = 40;
const SCREEN_POLL_MS = 2;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Download implements Transfer {
  readonly direction = 'download';
  private ended = false;
  private what = '';
  private size = 0;
  private offset = 0;
  /** Stream offset of the next chunk. */
  private sent = 0;
  /** The console's last `download:ack`. */
  private acked = 0;
  private source: Source | null = null;
  /** Wakes the sender waiting for an ack, a drained channel or the end. */
  private wake: (() => void) | null = null;
  private starting: Promise<unknown> = Promise.resolve();
  /** Set by `run`: from then on a failure is told with `transfer:error`. */
  private running: Promise<void> | null = null;
  private misplacedAcks = 0;
  private failure: LifelineError | null = null;
  private closed: Promise<void> | null = null;

  constructor(private readonly ctx: TransferContext, readonly id: number, private readonly onEnd: OnEnd) {}

  /** Answers `download:start`; `run` then sends the bytes. */
  start(req: StartRequest): Promise<DownloadStarted> {
    const started = this.prepare(req);
    this.starting = started.catch(() => {});
    return started;
  }

  /** Sends the stream; called once the start's result is on its way. */
  run(): void {
    if (this.ended) return; // the source was closed by `end`
    this.running = this.pump();
  }

  /** The console has everything before `offset`. */
  ack(offset: number): void {
    if (offset > this.sent) {
      if (this.misplacedAcks++ === 0) this.ctx.log(`ignored an ack of download ${this.id} at ${offset}, beyond the ${this.sent} bytes sent`);
      return;
    }
    if (offset <= this.acked) return;
    this.acked = offset;
    this.nudge();
  }

  cancel(): void {
    this.ctx.log(`download ${this.id} of ${this.what} cancelled by the console`);
    void this.end(null);
  }

  fail(error: LifelineError): void {
    void this.end(error);
  }

  stop(): Promise<void> {
    return this.end(null);
  }

  private async prepare(req: StartRequest): Promise<DownloadStarted> {
    try {
      const found = await this.ctx.roots.follow(req.root, req.path);
      this.what = found.what;
      refuseSpecial(found.stat, found.what);
      // The name the console saves it under: the one it asked for, not a symlink's target.
      const asked = req.path === '' ? '' : req.path.slice(req.path.lastIndexOf('/') + 1);
      let started: DownloadStarted;
      if (found.stat.isFile()) {
        const handle: FileHandle = await openRegular(found.real, found.what);
        this.source = { bytes: () => readExactly(handle, this.size, found.what, new Uint8Array(READ_BYTES)), close: () => handle.close() };
        this.size = (await handle.stat()).size;
        started = { name: asked, size: this.size, kind: 'file' };
      } else {
        const top = asked || lastPart(found.root.real) || found.root.config.id;
        // Messages name a file in the archive by its path in the root.
        const what = (name: string) => {
          const sub = name.slice(top.length + 1).replace(/\/$/, '');
          return shown(found.root.config, sub === '' ? req.path : joinPath(req.path, sub));
        };
        const plan = await planTar(found.real, top, { what, stopped: () => this.ended, log: this.ctx.log });
        this.source = { bytes: () => tarStream(plan, what), close: async () => {} };
        this.size = plan.size;
        started = { name: `${top}.tar`, size: this.size, kind: 'tar' };
      }
      if (req.offset > this.size) throw new LifelineError('ERR_BAD_MESSAGE', `${found.what} has ${this.size} bytes; a download cannot go on from byte ${req.offset}.`);
      const refusal = this.ctx.refusal();
      if (refusal) throw refusal;
      if (this.ended) throw new LifelineError('ERR_CANCELLED');
      this.offset = this.sent = this.acked = req.offset;
      this.ctx.log(`download ${this.id} of ${found.what} (${started.kind}, ${this.size} bytes) started at ${req.offset}`);
      return started;
    } catch (e) {
      await this.closeSource();
      void this.end(null);
      // Consent taken back meanwhile says more than the cancellation it caused.
      throw this.failure ?? e;
    }
  }

  private async pump(): Promise<void> {
    const source = this.source!;
    const hash = createHash('sha256');
    const out = new Uint8Array(CHUNK_BYTES);
    let fill = 0;
    /** Stream offset of the next byte from the source. */
    let pos = 0;
    try {
      for await (const piece of source.bytes()) {
        if (this.ended) return;
        hash.update(piece);
        // Bytes before the offset the console already has: hashed, not sent.
        let from = pos < this.offset ? Math.min(piece.length, this.offset - pos) : 0;
        pos += piece.length;
        while (from < piece.length) {
          const n = Math.min(CHUNK_BYTES - fill, piece.length - from);
          out.set(piece.subarray(from, from + n), fill);
          fill += n;
          from += n;
          if (fill === CHUNK_BYTES) {
            if (!(await this.sendChunk(out))) return;
            fill = 0;
          }
        }
      }
      if (pos !== this.size) throw changed(this.what);
      if (fill > 0 && !(await this.sendChunk(out.subarray(0, fill)))) return;
      if (this.ended) return;
      this.ctx.send({ t: 'download:done', transfer: this.id, sha256: hash.digest('hex') });
      this.ctx.log(`download ${this.id} of ${this.what} done`);
      void this.end(null);
    } catch (e) {
      this.fail(failure(e, this.what, this.ctx.log));
    } finally {
      await this.closeSource();
    }
  }

  /** Sends one chunk once the window and the channel allow; false when the transfer ended meanwhile. */
  private async sendChunk(bytes: Uint8Array): Promise<boolean> {
    const since = performance.now();
    for (;;) {
      if (this.ended) return false;
      // Asked before every chunk: nothing more leaves once the user takes consent back.
      const refusal = this.ctx.refusal();
      if (refusal) {
        this.fail(refusal);
        return false;
      }
      if (this.sent + bytes.length - this.acked > FILE_WINDOW_BYTES) await this.waitForNudge();
      else if (this.ctx.pacer.backlogged()) await Promise.race([this.ctx.pacer.drained(), this.waitForNudge()]);
      // SCTP sends first come, first served: a chunk queued now would go before the screen's frame.
      // The transfer yields while a frame is on its way, but never for long, so it always moves.
      else if (this.ctx.screenBusy() && performance.now() - since < SCREEN_YIELD_MS) await sleep(SCREEN_POLL_MS);
      else break;
    }
    this.ctx.sendFrame(encodeChunk(this.id, this.sent, bytes));
    this.sent += bytes.length;
    return true;
  }

  private waitForNudge(): Promise<void> {
    return new Promise((resolve) => (this.wake = resolve));
  }

  private nudge(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private async closeSource(): Promise<void> {
    const source = this.source;
    this.source = null;
    await source?.close().catch((e: unknown) => this.ctx.log(`closing download ${this.id} failed: ${String(e)}`));
  }

  private end(error: LifelineError | null): Promise<void> {
    if (this.closed) return this.closed;
    this.ended = true;
    if (error) {
      this.failure = error;
      this.ctx.log(`download ${this.id} of ${this.what} failed: ${error.message}`);
      // Before `run`, the start's result says why.
      if (this.running) this.ctx.send({ t: 'transfer:error', transfer: this.id, code: error.code, message: error.message });
    }
    this.nudge();
    this.closed = (async () => {
      await this.starting;
      // The sender closes the source when it stops; a transfer that never ran closes it here.
      if (this.running) await this.running;
      else await this.closeSource();
    })().catch((e: unknown) => this.ctx.log(`closing download ${this.id} failed: ${String(e)}`));
    this.onEnd(this.closed);
    return this.closed;
  }
}

function lastPart(p: string): string {
  return p.slice(p.lastIndexOf('/') + 1);
}
