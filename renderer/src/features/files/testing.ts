/**
 * Fakes for unit tests of the files link and the transfers: a files channel
 * and a peer the test drives, an agent that answers on that channel as the
 * real one does, and a download store in memory (OPFS and workers do not
 * exist outside a browser).
 */
import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex } from '@noble/hashes/utils';
import { CHUNK_BYTES, encodeChunk, encodeFileMessage, FILE_ACK_BYTES, FILE_WINDOW_BYTES, FileDecoder, type FileMessage } from '../../../../shared/files.js';
import type { ErrorCode } from '../../../../shared/errors.js';
import { FakeToolsPeer } from '../../test/fake-tools.js';
import type { DownloadSink, DownloadStore } from './download-store.js';

const HELLO = '{"t":"hello"}';

/** The parts of RTCDataChannel the files link uses, driven by the test. */
export class FakeFilesChannel {
  binaryType: BinaryType = 'blob';
  readyState: RTCDataChannelState = 'connecting';
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  closed = false;
  /** When set, what the console sends stays in `bufferedAmount` until `drain()`. */
  accumulate = false;
  /** Keep every frame the console sends in `sent` (off for big transfers). */
  keep = true;
  readonly sent: Uint8Array[] = [];
  hellos = 0;
  /** Sees every frame the console sends (but hellos); the fake agent listens here. */
  onSent: ((frame: Uint8Array) => void) | null = null;
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onbufferedamountlow: (() => void) | null = null;

  send(data: Uint8Array): void {
    if (this.readyState !== 'open') throw new Error('InvalidStateError');
    if (data[0] === 0x01 && new TextDecoder().decode(data.subarray(1)) === HELLO) {
      this.hellos++;
      return;
    }
    const copy = data.slice();
    if (this.keep) this.sent.push(copy);
    if (this.accumulate) this.bufferedAmount += data.length;
    this.onSent?.(copy);
  }

  close(): void {
    this.closed = true;
    this.readyState = 'closed';
  }

  /** Opens the channel and answers the console's handshake, as the agent does. */
  open(): void {
    this.readyState = 'open';
    this.onopen?.();
    this.deliver({ t: 'hello' });
  }

  /** The agent closed it, or the connection went. */
  drop(): void {
    this.readyState = 'closed';
    this.onclose?.();
  }

  /** The network took everything buffered. */
  drain(): void {
    this.bufferedAmount = 0;
    this.onbufferedamountlow?.();
  }

  deliver(msg: FileMessage): void {
    for (const frame of encodeFileMessage(msg)) this.deliverRaw(frame);
  }

  deliverChunk(transfer: number, offset: number, bytes: Uint8Array): void {
    this.deliverRaw(encodeChunk(transfer, offset, bytes));
  }

  deliverRaw(frame: Uint8Array): void {
    if (this.readyState !== 'open') return;
    this.onmessage?.({ data: frame.buffer.slice(frame.byteOffset, frame.byteOffset + frame.byteLength) });
  }

  /** The JSON messages the console sent. */
  messages(): FileMessage[] {
    const decoder = new FileDecoder();
    const out: FileMessage[] = [];
    for (const frame of this.sent) {
      const d = decoder.decode(frame);
      if (d?.kind === 'message') out.push(d.msg);
    }
    return out;
  }

  /** The chunks the console sent: where each starts and how long it is. */
  chunks(): Array<{ transfer: number; offset: number; length: number }> {
    const decoder = new FileDecoder();
    const out: Array<{ transfer: number; offset: number; length: number }> = [];
    for (const frame of this.sent) {
      const d = decoder.decode(frame);
      if (d?.kind === 'chunk') out.push({ transfer: d.transfer, offset: d.offset, length: d.bytes.length });
    }
    return out;
  }

  last<T extends FileMessage['t']>(t: T): Extract<FileMessage, { t: T }> | undefined {
    return this.messages().filter((m): m is Extract<FileMessage, { t: T }> => m.t === t).at(-1);
  }
}

/** Stands in for the PeerLink, with files channels. */
export class FakeFilesPeer extends FakeToolsPeer<FakeFilesChannel> {
  constructor() {
    super(() => new FakeFilesChannel());
  }
}

/** Bytes 0..size-1 of a made-up file (so a test can check them without keeping them). */
export function patternByte(i: number): number {
  return (i * 31 + (i >>> 13)) & 0xff;
}

export function pattern(size: number, from = 0): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = patternByte(from + i);
  return out;
}

export const sha256Hex = (bytes: Uint8Array): string => bytesToHex(sha256(bytes));

/**
 * A file of `size` made-up bytes that is read only slice by slice, and
 * remembers how far anyone read: what an upload holds is what it read
 * beyond what the agent acknowledged.
 */
export class PatternFile {
  maxEnd = 0;
  reads = 0;
  constructor(readonly name: string, readonly size: number) {}

  slice(start: number, end: number): { arrayBuffer(): Promise<ArrayBuffer> } {
    const a = Math.max(0, Math.min(start, this.size));
    const b = Math.max(a, Math.min(end, this.size));
    return {
      arrayBuffer: async () => {
        this.reads++;
        this.maxEnd = Math.max(this.maxEnd, b);
        return pattern(b - a, a).buffer as ArrayBuffer;
      },
    };
  }
}

interface AgentUpload {
  path: string;
  size: number;
  data: Uint8Array;
  length: number;
  acked: number;
}

interface AgentDownload {
  content: Uint8Array;
  sent: number;
  acked: number;
  done: boolean;
}

/**
 * The agent's end of the files channel, as far as transfers go: keeps what
 * uploads send (and the partial file a dropped upload leaves), serves
 * downloads within the window, acknowledges as shared/files.ts says. Its
 * state survives a change of channel (`use`), as the agent's files do.
 */
export class FakeAgent {
  /** Acknowledge uploads at once (at least every FILE_ACK_BYTES and at the end). */
  autoAck = true;
  /** Downloads are served up to here and stop until it is raised (`release`). */
  downloadLimit = Number.POSITIVE_INFINITY;
  /** Flips a byte of every download chunk at this offset. */
  corruptAt: number | null = null;
  /** Flips the upload byte at this offset as it arrives (the hashes then differ). */
  corruptUploadAt: number | null = null;
  /** Leaves `upload:finish` unanswered (the answer is lost with the connection). */
  holdFinish = false;
  /** How `upload:start` is refused, if it is. */
  refuseStart: { code: ErrorCode; message: string } | null = null;
  /** Files that exist (for ERR_EXISTS). */
  readonly existing = new Set<string>();
  /** Files a download may ask for: path → content. */
  readonly files = new Map<string, Uint8Array>();
  /** Finished uploads: path → content. */
  readonly written = new Map<string, Uint8Array>();
  readonly partials = new Map<number, AgentUpload>();
  readonly cancels: number[] = [];
  readonly downloadStarts: Array<{ transfer: number; offset: number }> = [];
  readonly uploadStarts: Array<{ transfer: number; resume: boolean }> = [];
  private readonly downloads = new Map<number, AgentDownload>();
  private channel: FakeFilesChannel | null = null;

  constructor(channel?: FakeFilesChannel) {
    if (channel) this.use(channel);
  }

  /** Answers on this channel from now on (a new peer). */
  use(channel: FakeFilesChannel): void {
    this.channel = channel;
    channel.keep = false;
    const decoder = new FileDecoder();
    channel.onSent = (frame) => {
      const d = decoder.decode(frame);
      if (d?.kind === 'message') this.onMessage(d.msg);
      else if (d?.kind === 'chunk') this.onChunk(d.transfer, d.offset, d.bytes);
    };
  }

  upload(transfer: number): AgentUpload | undefined {
    return this.partials.get(transfer);
  }

  /** Acknowledges everything received of an upload (when `autoAck` is off). */
  ack(transfer: number): void {
    const u = this.partials.get(transfer);
    if (!u) return;
    u.acked = u.length;
    this.send({ t: 'upload:ack', transfer, offset: u.length });
  }

  /** Serves downloads further. */
  release(limit = Number.POSITIVE_INFINITY): void {
    this.downloadLimit = limit;
    for (const id of this.downloads.keys()) this.serve(id);
  }

  /** Each message arrives in a task of its own, as a data channel's messages do. */
  private send(msg: FileMessage): void {
    const channel = this.channel;
    setTimeout(() => channel?.deliver(msg), 0);
  }

  private onMessage(msg: FileMessage): void {
    switch (msg.t) {
      case 'upload:start': {
        this.uploadStarts.push({ transfer: msg.transfer, resume: msg.resume });
        if (this.refuseStart) return this.send({ t: 'result', id: msg.id, ok: false, ...this.refuseStart });
        if (!msg.overwrite && this.existing.has(msg.path)) {
          return this.send({ t: 'result', id: msg.id, ok: false, code: 'ERR_EXISTS', message: `"${msg.path}" already exists.` });
        }
        let u = msg.resume ? this.partials.get(msg.transfer) : undefined;
        if (!u) {
          u = { path: msg.path, size: msg.size, data: new Uint8Array(msg.size), length: 0, acked: 0 };
          this.partials.set(msg.transfer, u);
        }
        u.acked = u.length;
        return this.send({ t: 'result', id: msg.id, ok: true, value: { offset: u.length } });
      }
      case 'upload:finish': {
        if (this.holdFinish) return;
        const u = this.partials.get(msg.transfer);
        if (!u) return this.send({ t: 'result', id: msg.id, ok: false, code: 'ERR_NOT_FOUND', message: 'No such upload.' });
        const hash = sha256Hex(u.data.subarray(0, u.length));
        if (hash !== msg.sha256) {
          return this.send({ t: 'result', id: msg.id, ok: false, code: 'ERR_CHECKSUM', message: `The file arrived damaged; kept as ".${u.path}.lifeline-mismatch".` });
        }
        this.partials.delete(msg.transfer);
        this.written.set(u.path, u.data.slice(0, u.length));
        return this.send({ t: 'result', id: msg.id, ok: true, value: { sha256: hash } });
      }
      case 'download:start': {
        this.downloadStarts.push({ transfer: msg.transfer, offset: msg.offset });
        const content = this.files.get(msg.path);
        if (!content) return this.send({ t: 'result', id: msg.id, ok: false, code: 'ERR_NOT_FOUND', message: `"${msg.path}" does not exist.` });
        this.downloads.set(msg.transfer, { content, sent: msg.offset, acked: msg.offset, done: false });
        const name = msg.path.slice(msg.path.lastIndexOf('/') + 1);
        this.send({ t: 'result', id: msg.id, ok: true, value: { name, size: content.length, kind: 'file' } });
        setTimeout(() => this.serve(msg.transfer), 0);
        return;
      }
      case 'download:ack': {
        const d = this.downloads.get(msg.transfer);
        if (!d) return;
        d.acked = Math.max(d.acked, msg.offset);
        queueMicrotask(() => this.serve(msg.transfer));
        return;
      }
      case 'transfer:cancel':
        this.cancels.push(msg.transfer);
        this.partials.delete(msg.transfer);
        this.downloads.delete(msg.transfer);
        return;
      default:
        return;
    }
  }

  private onChunk(transfer: number, offset: number, bytes: Uint8Array): void {
    const u = this.partials.get(transfer);
    if (!u) throw new Error(`a chunk for unknown upload ${transfer}`);
    if (offset !== u.length) throw new Error(`a chunk at ${offset} after ${u.length} bytes`);
    if (u.length + bytes.length - u.acked > FILE_WINDOW_BYTES) throw new Error('the console sent beyond the window');
    u.data.set(bytes, offset);
    if (this.corruptUploadAt !== null && this.corruptUploadAt >= offset && this.corruptUploadAt < offset + bytes.length) {
      u.data[this.corruptUploadAt]! ^= 0xff;
    }
    u.length += bytes.length;
    if (this.autoAck && (u.length - u.acked >= FILE_ACK_BYTES || u.length === u.size)) this.ack(transfer);
  }

  private serve(transfer: number): void {
    const d = this.downloads.get(transfer);
    const channel = this.channel;
    if (!d || d.done || !channel || channel.readyState !== 'open') return;
    while (d.sent < d.content.length && d.sent - d.acked < FILE_WINDOW_BYTES && d.sent < this.downloadLimit) {
      const end = Math.min(d.sent + CHUNK_BYTES, d.content.length, this.downloadLimit);
      const bytes = d.content.slice(d.sent, end);
      if (this.corruptAt !== null && this.corruptAt >= d.sent && this.corruptAt < end) bytes[this.corruptAt - d.sent]! ^= 0xff;
      channel.deliverChunk(transfer, d.sent, bytes);
      d.sent = end;
    }
    if (d.sent === d.content.length) {
      d.done = true;
      channel.deliver({ t: 'download:done', transfer, sha256: sha256Hex(d.content) });
    }
  }
}

interface MemoryFile {
  data: Uint8Array[];
  written: number;
  hash: ReturnType<typeof sha256.create>;
  finished: { sha256: string; size: number } | null;
  removed: boolean;
}

/** The download store, in memory, hashing as the worker does. */
export class MemoryDownloadStore implements DownloadStore {
  readonly files = new Map<number, MemoryFile>();
  /** Fails every write from now on with this message. */
  failWrites: string | null = null;

  async open(transfer: number): Promise<DownloadSink> {
    const f: MemoryFile = { data: [], written: 0, hash: sha256.create(), finished: null, removed: false };
    this.files.set(transfer, f);
    return {
      write: async (offset, bytes) => {
        await Promise.resolve();
        if (this.failWrites) throw new Error(this.failWrites);
        if (f.removed || f.finished) throw new Error('closed');
        if (offset !== f.written) throw new Error(`a write at ${offset} after ${f.written}`);
        f.data.push(bytes.slice());
        f.hash.update(bytes);
        f.written += bytes.length;
        return f.written;
      },
      finish: async () => {
        await Promise.resolve();
        f.finished = { sha256: bytesToHex(f.hash.digest()), size: f.written };
        return f.finished;
      },
      file: async () => new Blob(f.data as Uint8Array<ArrayBuffer>[]),
      remove: async () => {
        f.removed = true;
      },
    };
  }

  bytes(transfer: number): Uint8Array {
    const f = this.files.get(transfer)!;
    const out = new Uint8Array(f.written);
    let off = 0;
    for (const d of f.data) {
      out.set(d, off);
      off += d.length;
    }
    return out;
  }
}
