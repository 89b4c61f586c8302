/**
 * The session's file transfers (shared/files.ts), outside React: uploads of
 * the technician's files to the remote machine and downloads from it, each
 * paced by the window of the protocol so memory stays flat for any size, at
 * most MAX_RUNNING per direction at a time, the rest queued.
 *
 * Uploads are read from the browser File a slice at a time and hashed as
 * they go; downloads are written by a DownloadStore (OPFS, from a worker),
 * which hashes what it writes. Nothing is accepted without the SHA-256 of
 * both ends agreeing.
 *
 * A dropped connection does not fail a transfer: when the files channel
 * closes, whatever was moving waits, and when a channel opens again (a new
 * peer answered our hello) it starts over from where the bytes got to — an
 * upload asks the agent how much of its partial file it has and hashes the
 * File up to there again; a download asks for the rest from what it has
 * written, and the writer's hash goes on.
 */
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex } from '@noble/hashes/utils';
import type { Disposer } from '../../../../shared/console-contract.js';
import { LifelineError } from '../../../../shared/errors.js';
import { CHUNK_BYTES, checkName, FILE_ACK_BYTES, FILE_WINDOW_BYTES, joinPath, parentPath, type DownloadStarted } from '../../../../shared/files.js';
import type { DownloadSink, DownloadStore } from './download-store.js';
import type { FilesLink, TransferEvent } from './files-link.js';
import { etaSeconds, SpeedMeter } from './format.js';

export type TransferDirection = 'upload' | 'download';
export type TransferState = 'queued' | 'running' | 'waiting' | 'verifying' | 'done' | 'failed' | 'cancelled';

const FINAL: ReadonlySet<TransferState> = new Set(['done', 'failed', 'cancelled']);
export const isFinal = (s: TransferState): boolean => FINAL.has(s);

/** What the transfers list shows; a new object whenever something in it changes. */
export interface Transfer {
  readonly id: number;
  readonly direction: TransferDirection;
  /** The file's name (for a downloaded folder, `<folder>.tar`). */
  readonly name: string;
  readonly root: string;
  /** Relative to the root: where the upload goes, or what is downloaded. */
  readonly path: string;
  /** Null until the agent has said (a download before it started). */
  readonly size: number | null;
  /** Acknowledged by the agent (upload) or written here (download). */
  readonly bytesDone: number;
  readonly state: TransferState;
  readonly error: string | null;
  /** Bytes per second over the last few seconds while running; once done, the average over the whole transfer. */
  readonly speed: number | null;
  /** Seconds left at that speed. */
  readonly eta: number | null;
  readonly startedAt: number | null;
  /** A download whose hash did not match: its file was kept and can still be saved. */
  readonly damagedKept: boolean;
}

/** What an upload reads: a browser File, or anything that slices like one. */
export interface UploadSource {
  readonly name: string;
  readonly size: number;
  slice(start: number, end: number): { arrayBuffer(): Promise<ArrayBuffer> };
}

export type TransferLink = Pick<
  FilesLink,
  'isOpen' | 'onOpenChanged' | 'onTransfer' | 'uploadStart' | 'uploadFinish' | 'downloadStart' | 'sendChunk' | 'notify'
>;

export interface TransferManagerOptions {
  link: TransferLink;
  store: DownloadStore;
  /** Hands a finished download to the technician (a browser download named `name`). */
  save(file: Blob, name: string): void;
  now?: () => number;
  /** Transfer ids, u32, unique for the console's run. */
  nextId?: () => number;
  log?: Pick<Console, 'warn' | 'info'>;
  /** How long a finished download stays in the browser storage after it was handed over. */
  keepDoneMs?: number;
  /** Progress reaches the listeners at most this often. */
  emitEveryMs?: number;
}

/** Transfers moving at once, per direction. */
export const MAX_RUNNING = 2;
/** An upload reads its File this much at a time. */
export const READ_BYTES = 1024 * 1024;
const TICK_MS = 1000;

export const DAMAGED = 'SHA-256 does not match; the damaged file was kept aside.';
const CANCELLED_REMOTELY = 'The remote computer cancelled the transfer.';

/** Why a run stopped on purpose (lost connection, cancel, agent error): not a failure of its own. */
class Stopped extends Error {}
/** A failure found here (not reported by the agent), which the agent is told about. */
class LocalFailure extends Error {}

let lastId = Math.floor(Math.random() * 0x4000_0000);
/** A transfer id for this console run: u32, never 0. */
export function newTransferId(): number {
  lastId = (lastId % 0xffff_fffe) + 1;
  return lastId;
}

/** One attempt of a transfer, on one channel. */
class Run {
  /** A download's `download:start` was answered: chunks are expected. */
  started = false;
  private reason: Error | null = null;
  private wake: (() => void) | null = null;
  private rejectAborted: (e: Error) => void = () => undefined;
  private readonly aborted = new Promise<never>((_, reject) => {
    this.rejectAborted = reject;
  });

  constructor() {
    this.aborted.catch(() => undefined);
  }

  get stopped(): boolean {
    return this.reason !== null;
  }

  abort(reason: Error): void {
    if (this.reason) return;
    this.reason = reason;
    this.rejectAborted(reason);
    this.poke();
  }

  /** Throws if the run has stopped: called after each wait, before the run changes anything. */
  check(): void {
    if (this.reason) throw this.reason;
  }

  /** Something the run may wait for happened. */
  poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** `p`, or the reason the run stopped, whichever comes first. */
  guard<T>(p: Promise<T>): Promise<T> {
    if (this.reason) return Promise.reject(this.reason);
    return Promise.race([p, this.aborted]);
  }

  async until(cond: () => boolean): Promise<void> {
    for (;;) {
      if (this.reason) throw this.reason;
      if (cond()) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}

interface Entry {
  id: number;
  direction: TransferDirection;
  name: string;
  root: string;
  path: string;
  size: number | null;
  bytesDone: number;
  state: TransferState;
  error: string | null;
  startedAt: number | null;
  finishedAt: number | null;
  damagedKept: boolean;
  meter: SpeedMeter;
  run: Run | null;
  /** The agent has heard of it (a start went out): a later start resumes, a cancel is worth sending. */
  told: boolean;
  source: UploadSource | null;
  /** A download: what was asked for. */
  folder: boolean;
  sink: DownloadSink | null;
  /** A download: bytes received and handed to the writer (written or about to be). */
  received: number;
  /** A download: the last offset acknowledged to the agent. */
  lastAck: number;
  /** A download: the agent's hash, once it said `download:done`. */
  doneSha: string | null;
  view: Transfer | null;
}

function describe(e: unknown): string {
  if (e instanceof Error && e.message) return e.message;
  return 'The transfer failed.';
}

/** A finished transfer's bytes over the time from its start to its end. */
function averageSpeed(e: Entry): number | null {
  if (e.startedAt === null || e.finishedAt === null || e.size === null) return null;
  return e.size / (Math.max(1, e.finishedAt - e.startedAt) / 1000);
}

/** Whether the agent should hear that we gave up (it did not report the failure itself). */
function agentShouldHear(e: unknown): boolean {
  return !(e instanceof LifelineError) || e.code === 'ERR_NOT_CONNECTED' || e.code === 'ERR_BAD_MESSAGE';
}

/** The name a finished download is saved under: the remote name, a folder's with `.tar`; never a path. */
export function downloadName(info: Pick<DownloadStarted, 'name' | 'kind'>, fallback: string): string {
  let name = [...(info.name || fallback)]
    .filter((c) => c.charCodeAt(0) >= 0x20)
    .join('')
    .replace(/[/\\]/g, '_');
  if (!name || name === '.' || name === '..') name = 'download';
  if (info.kind === 'tar' && !name.toLowerCase().endsWith('.tar')) name += '.tar';
  return name;
}

export class TransferManager {
  private readonly link: TransferLink;
  private readonly store: DownloadStore;
  private readonly save: (file: Blob, name: string) => void;
  private readonly now: () => number;
  private readonly nextId: () => number;
  private readonly log: Pick<Console, 'warn' | 'info'>;
  private readonly keepDoneMs: number;
  private readonly emitEveryMs: number;
  private readonly entries = new Map<number, Entry>();
  /** Cancels the agent has not heard yet (the channel was down). */
  private readonly pendingCancels = new Set<number>();
  private readonly listeners = new Set<() => void>();
  private readonly uploadedListeners = new Set<(root: string, dir: string) => void>();
  private readonly unsubscribe: Disposer[];
  private list: readonly Transfer[] = [];
  private dirty = false;
  private emitTimer: ReturnType<typeof setTimeout> | null = null;
  private ticker: ReturnType<typeof setInterval> | null = null;
  /** Set while disposing: nothing new starts. */
  private closing = false;
  private disposed = false;

  constructor(options: TransferManagerOptions) {
    this.link = options.link;
    this.store = options.store;
    this.save = options.save;
    this.now = options.now ?? Date.now;
    this.nextId = options.nextId ?? newTransferId;
    this.log = options.log ?? console;
    this.keepDoneMs = options.keepDoneMs ?? 10 * 60_000;
    this.emitEveryMs = options.emitEveryMs ?? 200;
    this.unsubscribe = [this.link.onOpenChanged((open) => this.openChanged(open)), this.link.onTransfer((e) => this.event(e))];
  }

  /** For useSyncExternalStore: the same array until something changes. */
  readonly snapshot = (): readonly Transfer[] => {
    if (this.dirty) {
      this.dirty = false;
      const now = this.now();
      this.list = [...this.entries.values()].map((e) => this.view(e, now));
    }
    return this.list;
  };

  readonly subscribe = (listener: () => void): Disposer => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  /** An upload finished: the folder it went to has changed. */
  onUploaded(listener: (root: string, dir: string) => void): Disposer {
    this.uploadedListeners.add(listener);
    return () => {
      this.uploadedListeners.delete(listener);
    };
  }

  get(id: number): Transfer | undefined {
    return this.snapshot().find((t) => t.id === id);
  }

  /** Queues an upload of `source` into folder `dir` of `root`; never replaces a file of the same name. */
  upload(source: UploadSource, root: string, dir: string): number {
    const e = this.add({ direction: 'upload', name: source.name, root, path: joinPath(dir, source.name), size: source.size });
    e.source = source;
    const bad = checkName(source.name);
    if (bad) {
      e.state = 'failed';
      e.error = bad;
    }
    this.changed();
    this.pump();
    return e.id;
  }

  /** Queues a download of `path` (a file, or a folder as one tar file). */
  download(root: string, path: string, kind: 'file' | 'dir'): number {
    const base = path.slice(path.lastIndexOf('/') + 1) || 'download';
    const e = this.add({ direction: 'download', name: kind === 'dir' ? `${base}.tar` : base, root, path, size: null });
    e.folder = kind === 'dir';
    this.changed();
    this.pump();
    return e.id;
  }

  /** Stops a transfer that has not ended; an unfinished download's file is deleted. */
  cancel(id: number): void {
    const e = this.entries.get(id);
    if (!e || isFinal(e.state)) return;
    this.stop(e, 'cancelled', null, true, false);
  }

  /** Saves a damaged download as it arrived, under a name that says so. */
  async saveDamaged(id: number): Promise<void> {
    const e = this.entries.get(id);
    if (!e?.damagedKept || !e.sink) return;
    this.save(await e.sink.file(), `damaged-${e.name}`);
  }

  /** Takes ended transfers off the list (and deletes a kept damaged file). */
  clearFinished(): void {
    for (const e of [...this.entries.values()]) {
      if (!isFinal(e.state)) continue;
      if (e.damagedKept) void e.sink?.remove();
      this.entries.delete(e.id);
    }
    this.changed();
  }

  /** The session is over: every unfinished transfer is abandoned and its partial file deleted. */
  dispose(): void {
    if (this.disposed) return;
    this.closing = true;
    for (const e of this.entries.values()) {
      if (!isFinal(e.state)) this.stop(e, 'cancelled', 'The session ended.', true, false);
      else if (e.damagedKept) void e.sink?.remove();
    }
    this.disposed = true;
    for (const u of this.unsubscribe) u();
    if (this.emitTimer) clearTimeout(this.emitTimer);
    if (this.ticker) clearInterval(this.ticker);
    this.emitTimer = this.ticker = null;
    this.listeners.clear();
    this.uploadedListeners.clear();
  }

  private add(init: Pick<Entry, 'direction' | 'name' | 'root' | 'path' | 'size'>): Entry {
    const e: Entry = {
      ...init, id: this.nextId(), bytesDone: 0, state: 'queued', error: null, startedAt: null, finishedAt: null, damagedKept: false,
      meter: new SpeedMeter(), run: null, told: false, source: null, folder: false, sink: null, received: 0, lastAck: 0,
      doneSha: null, view: null,
    };
    this.entries.set(e.id, e);
    return e;
  }

  private view(e: Entry, now: number): Transfer {
    const speed = e.state === 'running' && e.run?.stopped === false ? e.meter.speed(now) : e.state === 'done' ? averageSpeed(e) : null;
    const eta = e.size === null || e.state !== 'running' ? null : etaSeconds(e.size - e.bytesDone, speed);
    const v = e.view;
    // Unchanged rows keep their object, so React can skip them.
    if (
      v && v.name === e.name && v.size === e.size && v.bytesDone === e.bytesDone && v.state === e.state && v.error === e.error &&
      v.speed === speed && v.eta === eta && v.startedAt === e.startedAt && v.damagedKept === e.damagedKept
    ) {
      return v;
    }
    e.view = {
      id: e.id, direction: e.direction, name: e.name, root: e.root, path: e.path, size: e.size, bytesDone: e.bytesDone,
      state: e.state, error: e.error, speed, eta, startedAt: e.startedAt, damagedKept: e.damagedKept,
    };
    return e.view;
  }

  // ---------- scheduling ----------

  private pump(): void {
    if (this.closing || this.disposed || !this.link.isOpen) return;
    for (const direction of ['upload', 'download'] as const) {
      const mine = [...this.entries.values()].filter((e) => e.direction === direction);
      let running = mine.filter((e) => e.state === 'running').length;
      // Interrupted transfers go on before queued ones start.
      const next = [...mine.filter((e) => e.state === 'waiting'), ...mine.filter((e) => e.state === 'queued')];
      for (const e of next) {
        if (running >= MAX_RUNNING) break;
        this.start(e);
        running++;
      }
    }
  }

  private start(e: Entry): void {
    const run = new Run();
    e.run = run;
    e.state = 'running';
    e.error = null;
    e.startedAt ??= this.now();
    e.meter.reset(this.now(), e.bytesDone);
    const job = e.direction === 'upload' ? this.runUpload(e, run) : this.runDownload(e, run);
    job
      .catch((err: unknown) => {
        if (e.run !== run || run.stopped || isFinal(e.state)) return;
        this.log.warn(`[files] transfer ${e.id} failed`, err);
        this.stop(e, 'failed', describe(err), agentShouldHear(err), false);
      })
      .finally(() => {
        if (e.run === run) e.run = null;
        this.changed();
        this.pump();
      });
    this.changed();
  }

  /** Ends a transfer as failed or cancelled: its run stops, the agent hears of it, an unfinished download's file goes. */
  private stop(e: Entry, state: 'failed' | 'cancelled', error: string | null, tellAgent: boolean, keepFile: boolean): void {
    const run = e.run;
    e.run = null;
    run?.abort(new Stopped(state));
    e.state = state;
    e.error = error;
    if (tellAgent && e.told && !this.disposed) {
      if (!this.link.notify({ t: 'transfer:cancel', transfer: e.id })) this.pendingCancels.add(e.id);
    }
    if (e.sink && !keepFile) {
      const sink = e.sink;
      e.sink = null;
      void sink.remove();
    }
    this.changed();
    this.pump();
  }

  private openChanged(open: boolean): void {
    if (open) {
      for (const id of this.pendingCancels) this.link.notify({ t: 'transfer:cancel', transfer: id });
      this.pendingCancels.clear();
      this.pump();
      return;
    }
    // The connection went: what needs it waits and goes on when a new channel opens.
    for (const e of this.entries.values()) {
      const needsChannel = e.state === 'running' || (e.state === 'verifying' && e.direction === 'upload');
      if (!needsChannel) continue;
      const run = e.run;
      e.run = null;
      run?.abort(new Stopped('connection lost'));
      e.state = 'waiting';
      e.doneSha = null;
    }
    this.changed();
  }

  // ---------- what the agent sends ----------

  private event(ev: TransferEvent): void {
    const e = this.entries.get(ev.transfer);
    if (!e || isFinal(e.state)) {
      if (ev.t !== 'chunk') this.log.info(`[files] dropped "${ev.t}" for transfer ${ev.transfer}, which is not going on`);
      return;
    }
    switch (ev.t) {
      case 'chunk':
        this.chunk(e, ev.offset, ev.bytes);
        return;
      case 'upload:ack':
        if (e.direction !== 'upload' || ev.offset <= e.bytesDone || ev.offset > (e.size ?? 0)) return;
        e.bytesDone = ev.offset;
        e.meter.record(this.now(), e.bytesDone);
        this.progressed();
        e.run?.poke();
        return;
      case 'download:done':
        if (e.direction !== 'download' || !e.run?.started) return;
        e.doneSha = ev.sha256;
        e.run.poke();
        return;
      case 'transfer:error':
        this.stop(e, 'failed', ev.message, false, false);
        return;
      case 'transfer:cancel':
        this.stop(e, 'cancelled', CANCELLED_REMOTELY, false, false);
    }
  }

  private chunk(e: Entry, offset: number, bytes: Uint8Array): void {
    const sink = e.sink;
    if (e.direction !== 'download' || e.state !== 'running' || !e.run?.started || !sink || e.size === null) {
      this.log.info(`[files] dropped a chunk of transfer ${e.id}, which is not receiving`);
      return;
    }
    let at = offset;
    let data = bytes;
    if (at < e.received) {
      // A repeat of bytes already here.
      const skip = e.received - at;
      if (skip >= data.length) return;
      data = data.subarray(skip);
      at = e.received;
    }
    if (at > e.received) {
      this.stop(e, 'failed', 'Part of the file went missing on the way. Download it again.', true, false);
      return;
    }
    if (at + data.length > e.size) {
      this.stop(e, 'failed', 'The remote computer sent more than the size it announced.', true, false);
      return;
    }
    e.received += data.length;
    sink.write(at, data).then(
      (written) => {
        if (e.sink !== sink || isFinal(e.state)) return;
        if (written > e.bytesDone) e.bytesDone = written;
        e.meter.record(this.now(), e.bytesDone);
        this.progressed();
        // Acknowledged only on the channel that asked for the bytes after `download:start` was answered.
        if (e.run?.started && (written - e.lastAck >= FILE_ACK_BYTES || (written === e.size && written > e.lastAck))) {
          if (this.link.notify({ t: 'download:ack', transfer: e.id, offset: written })) e.lastAck = written;
        }
      },
      (err: unknown) => {
        if (e.sink !== sink || isFinal(e.state)) return;
        this.stop(e, 'failed', `The download could not be written to this computer: ${describe(err)}`, true, false);
      },
    );
  }

  // ---------- the transfers ----------

  private async runUpload(e: Entry, run: Run): Promise<void> {
    const source = e.source!;
    const size = source.size;
    const resume = e.told;
    e.told = true;
    const { offset } = await run.guard(
      this.link.uploadStart({ transfer: e.id, root: e.root, path: e.path, size, resume, overwrite: false }),
    );
    run.check();
    if (offset > size || (!resume && offset !== 0)) {
      throw new LocalFailure(`The remote computer wants to go on from byte ${offset}, which does not fit this file.`);
    }
    e.bytesDone = offset;
    e.meter.reset(this.now(), offset);
    this.changed();
    const hash = sha256.create();
    // A resumed upload hashes what the agent already has again, from the File, a slice at a time.
    for (let at = 0; at < offset; ) {
      const end = Math.min(at + READ_BYTES, offset);
      hash.update(await run.guard(this.read(source, at, end)));
      at = end;
    }
    let sent = offset;
    while (sent < size) {
      // Read no further ahead than the window allows, so memory stays flat whatever the size.
      await run.until(() => sent - e.bytesDone < FILE_WINDOW_BYTES);
      const end = Math.min(sent + READ_BYTES, size);
      const bytes = await run.guard(this.read(source, sent, end));
      run.check();
      hash.update(bytes);
      for (let p = 0; p < bytes.length; p += CHUNK_BYTES) {
        const piece = bytes.subarray(p, p + CHUNK_BYTES);
        await run.until(() => sent + piece.length - e.bytesDone <= FILE_WINDOW_BYTES);
        await run.guard(this.link.sendChunk(e.id, sent, piece));
        run.check();
        sent += piece.length;
      }
    }
    await run.until(() => e.bytesDone >= size);
    run.check();
    e.state = 'verifying';
    this.changed();
    const ours = bytesToHex(hash.digest());
    const answer = await run.guard(this.link.uploadFinish(e.id, ours));
    run.check();
    if (answer.sha256 !== ours) throw new LocalFailure('The remote computer reports a different SHA-256 for the file.');
    e.state = 'done';
    e.bytesDone = size;
    e.finishedAt = this.now();
    this.changed();
    for (const l of [...this.uploadedListeners]) l(e.root, parentPath(e.path));
  }

  private async read(source: UploadSource, start: number, end: number): Promise<Uint8Array> {
    let buf: ArrayBuffer;
    try {
      buf = await source.slice(start, end).arrayBuffer();
    } catch (err) {
      throw new LocalFailure(`"${source.name}" could not be read on this computer (${describe(err)}).`);
    }
    if (buf.byteLength !== end - start) throw new LocalFailure(`"${source.name}" changed on this computer while it was uploading.`);
    return new Uint8Array(buf);
  }

  private async runDownload(e: Entry, run: Run): Promise<void> {
    if (!e.sink) {
      // Not guarded: a file opened for a run that stopped meanwhile must still be deleted.
      const sink = await this.store.open(e.id);
      if (run.stopped || e.run !== run) {
        void sink.remove();
        throw new Stopped('stopped while opening');
      }
      e.sink = sink;
      e.received = 0;
      e.bytesDone = 0;
    }
    const offset = e.received;
    e.told = true;
    const info = await run.guard(this.link.downloadStart({ transfer: e.id, root: e.root, path: e.path, offset }));
    run.check();
    if ((e.size !== null && info.size !== e.size) || info.size < offset) {
      throw new LocalFailure('The file changed on the remote computer during the download. Download it again.');
    }
    e.size = info.size;
    e.name = downloadName(info, e.name);
    e.lastAck = offset;
    e.doneSha = null;
    run.started = true;
    this.changed();
    await run.until(() => e.doneSha !== null);
    run.check();
    const agentSha = e.doneSha!;
    const sink = e.sink!;
    e.state = 'verifying';
    this.changed();
    const written = await run.guard(sink.finish());
    run.check();
    if (written.size !== e.size || written.sha256 !== agentSha) {
      e.run = null;
      e.state = 'failed';
      e.error = DAMAGED;
      e.damagedKept = true;
      this.changed();
      return;
    }
    const file = await run.guard(sink.file());
    run.check();
    e.bytesDone = written.size;
    e.state = 'done';
    e.finishedAt = this.now();
    this.changed();
    this.save(file, e.name);
    // The browser copies the file to the technician's downloads from here; it goes once that is surely over.
    setTimeout(() => {
      if (e.sink === sink) e.sink = null;
      void sink.remove();
    }, this.keepDoneMs);
  }

  // ---------- telling the UI ----------

  /** Something the list shows changed: listeners hear at once. */
  private changed(): void {
    if (this.disposed) return;
    this.dirty = true;
    this.updateTicker();
    this.emit();
  }

  /** Progress: listeners hear at most every `emitEveryMs`. */
  private progressed(): void {
    if (this.disposed) return;
    this.dirty = true;
    this.emitTimer ??= setTimeout(() => {
      this.emitTimer = null;
      this.emit();
    }, this.emitEveryMs);
  }

  private emit(): void {
    for (const l of [...this.listeners]) l();
  }

  /** While something runs, its speed and time left are refreshed even when no bytes move. */
  private updateTicker(): void {
    const running = [...this.entries.values()].some((e) => e.state === 'running');
    if (running && !this.ticker) {
      this.ticker = setInterval(() => {
        this.dirty = true;
        this.emit();
      }, TICK_MS);
    } else if (!running && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
  }
}
