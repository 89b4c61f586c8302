/**
 * One upload (console -> agent). Bytes go to a partial file next to the
 * destination (`.name.lifeline-part`), written in order through one file
 * handle while a SHA-256 follows along; the file takes its name only once
 * the console's hash matches. Chunks are written one after another (a
 * promise queue), and the console never has more than FILE_WINDOW_BYTES
 * beyond our last `upload:ack` in flight, so memory stays within one window.
 *
 * The partial file outlives a dropped connection: a later `upload:start`
 * with `resume` hashes what is there and asks for the rest.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { LifelineError } from '../../../shared/errors.js';
import { FILE_ACK_BYTES, FILE_WINDOW_BYTES, joinPath, MISMATCH_SUFFIX, parentPath, PARTIAL_SUFFIX, type FileMessage } from '../../../shared/files.js';
import { errno, fsError, io, refuseSpecial, shown, sidecarName, type FileRootConfig } from './paths.js';
import { READ_BYTES } from './read.js';
import { failure, type OnEnd, type Transfer, type TransferContext } from './transfer.js';

type StartRequest = Extract<FileMessage, { t: 'upload:start' }>;

/**
 * O_NOFOLLOW: a symlink planted under the partial file's name is refused, not
 * written through. O_NONBLOCK: nor does a FIFO there block the open.
 */
const PARTIAL_FLAGS = constants.O_RDWR | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/**
 * Partial files open for writing, across hosts: after a reconnection, the new
 * host's upload waits until the old host has closed the file it resumes.
 */
const writing = new Map<string, Upload>();

export class Upload implements Transfer {
  readonly direction = 'upload';
  /** Between a successful start and `upload:finish`: chunks are accepted. */
  private running = false;
  private ended = false;
  private handle: FileHandle | null = null;
  private root: FileRootConfig | null = null;
  private rel = '';
  private name = '';
  private what = '';
  private final = '';
  private partial = '';
  private overwrite = false;
  private holdsPartial = false;
  private size = 0;
  /** Where the next chunk must start. */
  private received = 0;
  private written = 0;
  /** The last `upload:ack` sent. */
  private acked = 0;
  private readonly hash = createHash('sha256');
  /** Writes, one after another. Never rejects. */
  private queue: Promise<void> = Promise.resolve();
  private starting: Promise<unknown> = Promise.resolve();
  private finishing: Promise<unknown> = Promise.resolve();
  private failure: LifelineError | null = null;
  private misplaced = 0;
  private closed: Promise<void> | null = null;

  constructor(private readonly ctx: TransferContext, readonly id: number, private readonly onEnd: OnEnd) {}

  /** Answers `upload:start`: where the console goes on from. */
  start(req: StartRequest): Promise<{ offset: number }> {
    const started = this.open(req);
    this.starting = started.catch(() => {});
    return started;
  }

  /** One chunk from the console. */
  chunk(offset: number, bytes: Uint8Array): void {
    if (!this.running) {
      this.misplacedChunk(offset, 'the upload is not running');
      return;
    }
    // Consent is asked per chunk, so no byte is written after the user took it back.
    const refusal = this.ctx.refusal();
    if (refusal) return this.fail(refusal);
    if (offset !== this.received) {
      // Data sent again after a hiccup, say: the bytes we expect come later.
      this.misplacedChunk(offset, `expected offset ${this.received}`);
      return;
    }
    const end = offset + bytes.length;
    if (end > this.size) return this.fail(new LifelineError('ERR_BAD_MESSAGE', `Upload ${this.id} sent bytes beyond its size of ${this.size} bytes.`));
    if (end - this.acked > FILE_WINDOW_BYTES) return this.fail(new LifelineError('ERR_BAD_MESSAGE', `Upload ${this.id} sent more than ${FILE_WINDOW_BYTES} bytes beyond the last acknowledgement.`));
    this.received = end;
    // A copy: the caller's buffer is not ours to keep while the write waits its turn.
    const data = bytes.slice();
    this.queue = this.queue.then(() => this.write(data, offset));
  }

  /** Answers `upload:finish`: the file takes its name once `sha256` matches. */
  finish(sha256: string): Promise<{ sha256: string }> {
    const done = this.complete(sha256);
    this.finishing = done.catch(() => {});
    return done;
  }

  cancel(): void {
    this.ctx.log(`upload ${this.id} of ${this.what} cancelled by the console`);
    void this.end(null, true);
  }

  fail(error: LifelineError): void {
    void this.end(error, false);
  }

  stop(): Promise<void> {
    return this.end(null, false);
  }

  private async open(req: StartRequest): Promise<{ offset: number }> {
    try {
      if (req.path === '') throw new LifelineError('ERR_BAD_MESSAGE', 'An upload needs a file name.');
      const entry = await this.ctx.roots.entry(req.root, req.path);
      this.root = entry.root.config;
      this.rel = req.path;
      this.name = entry.name;
      this.what = entry.what;
      this.final = entry.full;
      if (entry.stat) {
        if (entry.stat.isDirectory()) throw new LifelineError('ERR_EXISTS', `${entry.what} is a folder.`);
        if (!req.overwrite) throw new LifelineError('ERR_EXISTS', `${entry.what} already exists.`);
        // Replacing a symlink replaces the link, never its target.
        if (!entry.stat.isSymbolicLink()) refuseSpecial(entry.stat, entry.what);
      }
      this.overwrite = req.overwrite;
      this.size = req.size;
      this.partial = path.join(entry.folder, sidecarName(entry.name, '.', PARTIAL_SUFFIX));
      await this.claimPartial();
      const offset = await this.openPartial(req.resume);
      const refusal = this.ctx.refusal();
      if (refusal) throw refusal;
      if (this.ended) throw new LifelineError('ERR_CANCELLED');
      this.received = this.written = this.acked = offset;
      this.running = true;
      this.ctx.log(`upload ${this.id} of ${this.what} (${req.size} bytes) started at ${offset}`);
      return { offset };
    } catch (e) {
      void this.end(null, false);
      // Consent taken back meanwhile says more than the cancellation it caused.
      throw this.failure ?? e;
    }
  }

  /** Waits for an ended transfer (an old connection's) to let go of the same partial file; refuses while a running one writes it. */
  private async claimPartial(): Promise<void> {
    for (let holder = writing.get(this.partial); holder; holder = writing.get(this.partial)) {
      if (!holder.ended) throw new LifelineError('ERR_EXISTS', `Another upload is writing ${this.what} right now.`);
      await holder.closed;
    }
    if (this.ended) throw new LifelineError('ERR_CANCELLED');
    writing.set(this.partial, this);
    this.holdsPartial = true;
  }

  /** Opens the partial file, going on from what a resumed transfer left (hashing it) or starting empty; resolves with its length. */
  private async openPartial(resume: boolean): Promise<number> {
    const what = this.shownSidecar(path.basename(this.partial));
    const existing = await fs.lstat(this.partial).catch((e: unknown) => {
      if (errno(e) === 'ENOENT') return null;
      throw fsError(e, what);
    });
    if (existing && !existing.isFile()) throw new LifelineError('ERR_PATH_REFUSED', `${what} is in the way of the upload and is not a regular file.`);
    // A partial file with other names (a hard link) would let an upload write into some other file: start afresh instead.
    if (resume && existing && existing.size <= this.size && existing.nlink === 1) {
      this.handle = await io(what, fs.open(this.partial, PARTIAL_FLAGS));
      const st = await io(what, this.handle.stat());
      if (st.isFile() && st.nlink === 1 && st.size <= this.size) {
        await this.hashExisting(st.size, what);
        return st.size;
      }
      await this.handle.close();
      this.handle = null;
    }
    await fs.unlink(this.partial).catch((e: unknown) => {
      if (errno(e) !== 'ENOENT') throw fsError(e, what);
    });
    // O_EXCL: a new file, whatever appeared under that name meanwhile.
    this.handle = await io(what, fs.open(this.partial, PARTIAL_FLAGS | constants.O_CREAT | constants.O_EXCL, 0o666));
    if (this.ctx.owner) await io(what, this.handle.chown(this.ctx.owner.uid, this.ctx.owner.gid));
    return 0;
  }

  /** Feeds the partial file's first `length` bytes to the hash, a buffer at a time. */
  private async hashExisting(length: number, what: string): Promise<void> {
    const buf = new Uint8Array(READ_BYTES);
    for (let pos = 0; pos < length;) {
      if (this.ended) throw new LifelineError('ERR_CANCELLED');
      const { bytesRead } = await io(what, this.handle!.read(buf, 0, Math.min(buf.length, length - pos), pos));
      if (bytesRead === 0) throw new LifelineError('ERR_IO', `${what} changed while it was being read.`);
      this.hash.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  }

  private async write(data: Uint8Array, at: number): Promise<void> {
    const handle = this.handle;
    if (this.ended || !handle) return;
    try {
      for (let done = 0; done < data.length;) {
        const { bytesWritten } = await handle.write(data, done, data.length - done, at + done);
        done += bytesWritten;
      }
    } catch (e) {
      this.fail(failure(e, this.what, this.ctx.log));
      return;
    }
    if (this.ended) return;
    this.hash.update(data);
    this.written += data.length;
    if (this.written - this.acked >= FILE_ACK_BYTES || this.written === this.size) {
      this.acked = this.written;
      this.ctx.send({ t: 'upload:ack', transfer: this.id, offset: this.written });
    }
  }

  private async complete(sha256: string): Promise<{ sha256: string }> {
    if (!this.running) throw new LifelineError('ERR_BAD_MESSAGE', `Upload ${this.id} is not running.`);
    this.running = false;
    await this.queue;
    try {
      this.checkLive();
      const refusal = this.ctx.refusal();
      if (refusal) throw refusal;
      if (this.written !== this.size) throw new LifelineError('ERR_BAD_MESSAGE', `Upload ${this.id} finished after ${this.written} of ${this.size} bytes.`);
      const handle = this.handle!;
      this.handle = null;
      const digest = this.hash.digest('hex');
      try {
        if (digest === sha256) {
          // A resumed partial file may come from a run that gave it to nobody.
          if (this.ctx.owner) await io(this.what, handle.chown(this.ctx.owner.uid, this.ctx.owner.gid));
          await io(this.what, handle.sync());
        }
      } finally {
        await handle.close();
      }
      if (digest !== sha256) throw await this.keepAside();
      this.checkLive();
      await this.place();
      this.ctx.log(`upload ${this.id} of ${this.what} done (${this.size} bytes)`);
      return { sha256 };
    } finally {
      void this.end(null, false);
    }
  }

  /** Cancelled or failed meanwhile (consent taken back): stop before the file takes its name. */
  private checkLive(): void {
    if (this.failure) throw this.failure;
    if (this.ended) throw new LifelineError('ERR_CANCELLED');
  }

  /** Gives the verified partial file its name; an existing file is only replaced when the upload said so. */
  private async place(): Promise<void> {
    const existing = await fs.lstat(this.final).catch((e: unknown) => {
      if (errno(e) === 'ENOENT') return null;
      throw fsError(e, this.what);
    });
    if (existing?.isDirectory()) throw new LifelineError('ERR_EXISTS', `${this.what} is a folder.`);
    // Something took the name while the bytes were coming; the partial file stays for a retry with overwrite.
    if (existing && !this.overwrite) throw new LifelineError('ERR_EXISTS', `${this.what} already exists.`);
    await io(this.what, fs.rename(this.partial, this.final));
  }

  /** Renames a partial file whose hash did not match to a visible name next to the destination; the error to answer with. */
  private async keepAside(): Promise<LifelineError> {
    const kept = sidecarName(this.name, '', MISMATCH_SUFFIX);
    try {
      await fs.rename(this.partial, path.join(path.dirname(this.partial), kept));
      return new LifelineError('ERR_CHECKSUM', `The file arrived damaged: its SHA-256 does not match. What arrived was kept aside as ${this.shownSidecar(kept)}.`);
    } catch (e) {
      this.ctx.log(`could not keep ${this.what} aside: ${String(e)}`);
      return new LifelineError('ERR_CHECKSUM', `The file arrived damaged: its SHA-256 does not match. What arrived was kept as ${this.shownSidecar(path.basename(this.partial))}.`);
    }
  }

  /** How messages name a file next to the destination. */
  private shownSidecar(name: string): string {
    return this.root ? shown(this.root, joinPath(parentPath(this.rel), name)) : `"${name}"`;
  }

  private misplacedChunk(offset: number, why: string): void {
    // Logged once per transfer: a whole window sent again would otherwise be a hundred lines.
    if (this.misplaced++ === 0) this.ctx.log(`ignored a chunk of upload ${this.id} at offset ${offset} (${why}); further ones are not logged`);
  }

  private end(error: LifelineError | null, deletePartial: boolean): Promise<void> {
    if (this.closed) return this.closed;
    const wasRunning = this.running;
    this.ended = true;
    this.running = false;
    if (error) {
      this.failure = error;
      this.ctx.log(`upload ${this.id} of ${this.what} failed: ${error.message}`);
      // Before the start was answered, or during `upload:finish`, the result says why.
      if (wasRunning) this.ctx.send({ t: 'transfer:error', transfer: this.id, code: error.code, message: error.message });
    }
    this.closed = this.close(deletePartial).catch((e: unknown) => this.ctx.log(`closing upload ${this.id} failed: ${String(e)}`));
    this.onEnd(this.closed);
    return this.closed;
  }

  private async close(deletePartial: boolean): Promise<void> {
    await this.starting;
    await this.queue;
    await this.finishing;
    const handle = this.handle;
    this.handle = null;
    await handle?.close();
    if (this.holdsPartial) {
      if (deletePartial) {
        await fs.unlink(this.partial).catch((e: unknown) => {
          if (errno(e) !== 'ENOENT') throw e;
        });
      }
      if (writing.get(this.partial) === this) writing.delete(this.partial);
    }
  }
}
