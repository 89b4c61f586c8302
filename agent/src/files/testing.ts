/**
 * The console's side of the files channel, for tests: an in-memory channel
 * that either delivers at once or holds messages like a slow network (its
 * `bufferedAmount` is then what it holds), a decoder, and helpers that run
 * whole uploads and downloads the way the console does (window, acks).
 */
import { createHash } from 'node:crypto';
import {
  CHUNK_BYTES, encodeChunk, encodeFileMessage, FILE_WINDOW_BYTES, FileDecoder, type FileMessage,
} from '../../../shared/files.js';
import type { ToolsChannel } from '../tools/pacer.js';
import { until } from '../tools/testing.js';

export { sleep, until } from '../tools/testing.js';

export type Result = Extract<FileMessage, { t: 'result' }>;
export type TransferError = Extract<FileMessage, { t: 'transfer:error' }>;

interface Incoming {
  chunks: Uint8Array[];
  /** Offset of the next byte expected. */
  next: number;
  acked: number;
  /** Most bytes ever received beyond the last ack. */
  maxUnacked: number;
  /** Chunks that did not start where the last one ended. */
  outOfOrder: number;
}

export interface DownloadOutcome {
  start: Result;
  data: Buffer;
  sha256?: string;
  error?: TransferError;
}

export const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export class TestFilesConsole {
  readonly messages: FileMessage[] = [];
  readonly invalid: string[] = [];
  /** While true, sent messages wait in `held` until `deliver()`. */
  holding = false;
  /** While true, downloads are acknowledged as their chunks arrive. */
  autoAck = true;
  readonly channel: ToolsChannel = {
    send: (msg) => (this.holding ? this.hold(msg) : this.take(msg)),
    bufferedAmount: () => this.heldBytes,
  };
  /** Where console messages go (the host's `receive`). */
  to: (msg: Uint8Array) => void = () => {};
  private readonly held: Uint8Array[] = [];
  private heldBytes = 0;
  private maxHeldBytes = 0;
  private readonly decoder = new FileDecoder();
  private readonly incoming = new Map<number, Incoming>();
  private readonly uploadAcks = new Map<number, number>();
  private nextId = 1;

  /** Sends a request and resolves with its `result`. */
  async request(msg: Record<string, unknown> & { t: string }, timeoutMs = 5_000): Promise<Result> {
    const id = this.nextId++;
    this.send({ ...msg, id } as FileMessage);
    return until(`result ${id} (${msg.t})`, () => this.messages.find((m): m is Result => m.t === 'result' && m.id === id), timeoutMs);
  }

  send(msg: FileMessage): void {
    for (const part of encodeFileMessage(msg)) this.to(part);
  }

  chunk(transfer: number, offset: number, bytes: Uint8Array): void {
    this.to(encodeChunk(transfer, offset, bytes));
  }

  /**
   * Uploads `data` like the console: chunks from the offset the agent
   * answers, within the window, then `upload:finish` (unless `stopAt` ends it
   * early, as a dropped connection would).
   */
  async upload(opts: { transfer: number; root: string; path: string; data: Uint8Array; resume?: boolean; overwrite?: boolean; sha256?: string; stopAt?: number }): Promise<{ start: Result; finish?: Result }> {
    const { transfer, data } = opts;
    const start = await this.request({ t: 'upload:start', transfer, root: opts.root, path: opts.path, size: data.length, resume: opts.resume ?? false, overwrite: opts.overwrite ?? false });
    if (!start.ok) return { start };
    let offset = (start.value as { offset: number }).offset;
    this.uploadAcks.set(transfer, offset);
    const end = Math.min(opts.stopAt ?? data.length, data.length);
    while (offset < end) {
      const n = Math.min(CHUNK_BYTES, end - offset);
      await until(`window of upload ${transfer}`, () => offset + n - this.uploadAcked(transfer) <= FILE_WINDOW_BYTES || this.errorOf(transfer));
      if (this.errorOf(transfer)) return { start };
      this.chunk(transfer, offset, data.subarray(offset, offset + n));
      offset += n;
    }
    if (opts.stopAt !== undefined) return { start };
    const finish = await this.request({ t: 'upload:finish', transfer, sha256: opts.sha256 ?? sha256(data) });
    return { start, finish };
  }

  /** Downloads like the console: resolves once `download:done` or `transfer:error` came (or at once if the start was refused). */
  async download(opts: { transfer: number; root: string; path: string; offset?: number }, timeoutMs = 5_000): Promise<DownloadOutcome> {
    const offset = opts.offset ?? 0;
    this.incoming.set(opts.transfer, { chunks: [], next: offset, acked: offset, maxUnacked: 0, outOfOrder: 0 });
    const start = await this.request({ t: 'download:start', transfer: opts.transfer, root: opts.root, path: opts.path, offset });
    if (!start.ok) return { start, data: Buffer.alloc(0) };
    const end = await until(`end of download ${opts.transfer}`, () => this.messages.find((m) =>
      (m.t === 'download:done' || m.t === 'transfer:error') && m.transfer === opts.transfer), timeoutMs);
    return {
      start,
      data: this.received(opts.transfer),
      ...(end.t === 'download:done' ? { sha256: end.sha256 } : { error: end as TransferError }),
    };
  }

  /** Acknowledges everything received of a download so far. */
  ack(transfer: number): void {
    const d = this.state(transfer);
    d.acked = d.next;
    this.send({ t: 'download:ack', transfer, offset: d.next });
  }

  /** A download's bytes received so far. */
  received(transfer: number): Buffer {
    return Buffer.concat(this.state(transfer).chunks);
  }

  /** Offset after the last byte received of a download. */
  receivedUpTo(transfer: number): number {
    return this.state(transfer).next;
  }

  maxUnacked(transfer: number): number {
    return this.state(transfer).maxUnacked;
  }

  outOfOrder(transfer: number): number {
    return this.state(transfer).outOfOrder;
  }

  uploadAcked(transfer: number): number {
    return this.uploadAcks.get(transfer) ?? 0;
  }

  errorOf(transfer: number): TransferError | undefined {
    return this.messages.find((m): m is TransferError => m.t === 'transfer:error' && m.transfer === transfer);
  }

  get maxHeld(): number {
    return this.maxHeldBytes;
  }

  deliver(): void {
    const msgs = this.held.splice(0);
    this.heldBytes = 0;
    for (const m of msgs) this.take(m);
  }

  private hold(msg: Uint8Array): void {
    this.held.push(msg);
    this.heldBytes += msg.length;
    this.maxHeldBytes = Math.max(this.maxHeldBytes, this.heldBytes);
  }

  private take(buf: Uint8Array): void {
    const d = this.decoder.decode(buf);
    if (!d) return;
    if (d.kind === 'invalid') this.invalid.push(d.reason);
    else if (d.kind === 'message') {
      this.messages.push(d.msg);
      if (d.msg.t === 'upload:ack') this.uploadAcks.set(d.msg.transfer, Math.max(this.uploadAcked(d.msg.transfer), d.msg.offset));
    } else {
      const s = this.state(d.transfer);
      if (d.offset !== s.next) s.outOfOrder++;
      s.chunks.push(d.bytes.slice());
      s.next = d.offset + d.bytes.length;
      s.maxUnacked = Math.max(s.maxUnacked, s.next - s.acked);
      if (this.autoAck) this.ack(d.transfer);
    }
  }

  private state(transfer: number): Incoming {
    let s = this.incoming.get(transfer);
    if (!s) this.incoming.set(transfer, (s = { chunks: [], next: 0, acked: 0, maxUnacked: 0, outOfOrder: 0 }));
    return s;
  }
}
