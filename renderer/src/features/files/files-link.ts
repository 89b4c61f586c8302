/**
 * The console's end of a session's files channel (shared/files.ts), on the
 * side-channel base (session/side-channel.ts) like the tools channel:
 * requests for the remote file browser and the starts and ends of transfers.
 * Transfer traffic (chunks, acknowledgements, done, errors) goes both ways
 * without ids: what arrives is handed to `onTransfer` listeners (the
 * TransferManager), what leaves is paced by the channel's own send buffer so
 * that a transfer never queues much in front of the screen and input that
 * share the connection. Nothing in here touches React or the store.
 */
import { z } from 'zod';
import type { Disposer } from '../../../../shared/console-contract.js';
import {
  DownloadStarted, encodeChunk, encodeFileMessage, FileDecoder, FileRoot, FILES_CHANNEL, Listing, UploadFinished, UploadStarted,
  type DecodedFile, type FileMessage,
} from '../../../../shared/files.js';
import { LifelineError } from '../../../../shared/errors.js';
import { MAX_REMOTE_MESSAGE, notConnected, SideChannelLink, type SideChannelOptions, type SideChannelPeer } from '../session/side-channel.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What the console asks; the link adds the id. */
export type FilesRequest = DistributiveOmit<
  Extract<FileMessage, { t: 'fs:roots' | 'fs:list' | 'fs:mkdir' | 'fs:rename' | 'fs:delete' | 'upload:start' | 'upload:finish' | 'download:start' }>,
  'id'
>;
/** What the console says without expecting an answer. */
export type FilesNotice = Extract<FileMessage, { t: 'download:ack' | 'transfer:cancel' }>;

/** Transfer traffic from the agent, by transfer id. */
export type TransferEvent =
  | { t: 'chunk'; transfer: number; offset: number; bytes: Uint8Array }
  | Extract<FileMessage, { t: 'upload:ack' | 'download:done' | 'transfer:error' | 'transfer:cancel' }>;

/** The peer link, as far as the files channel needs it (the same as the tools channel). */
export type FilesPeer = SideChannelPeer;
export type FilesLinkOptions = SideChannelOptions;

/** Chunks wait while the channel has this much unsent; keeps screen and input on the same connection quick. */
export const SEND_HIGH_WATER = 256 * 1024;
/** `bufferedamountlow` fires when the unsent data falls to this. */
export const SEND_LOW_WATER = 64 * 1024;
/** A safety net should a `bufferedamountlow` event go missing. */
const DRAIN_POLL_MS = 250;

/** Answers that can take the agent a while: a big folder, a deep delete, hashing a partial file, sizing a folder's tar. */
export const SLOW_REQUEST_MS = 120_000;
const LIST_TIMEOUT_MS = 60_000;

/** `fs:roots` answers a list of places; an object holding it is accepted too. */
const Roots = z.union([z.array(FileRoot).max(256), z.object({ roots: z.array(FileRoot).max(256) }).transform((v) => v.roots)]);

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new LifelineError('ERR_BAD_MESSAGE', `The remote computer sent an answer to "${what}" that this console cannot read.`);
  return parsed.data;
}

const PROTOCOL = { channel: FILES_CHANNEL, name: 'files', encode: encodeFileMessage, decoder: () => new FileDecoder() };

export class FilesLink extends SideChannelLink<FileMessage, DecodedFile> {
  private drainWaiters: Array<() => void> = [];
  private drainTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly transferListeners = new Set<(e: TransferEvent) => void>();

  constructor(options: FilesLinkOptions) {
    super(PROTOCOL, options);
  }

  /** Chunks, acknowledgements, ends and errors of transfers, as they arrive. */
  onTransfer(listener: (e: TransferEvent) => void): Disposer {
    this.transferListeners.add(listener);
    return () => {
      this.transferListeners.delete(listener);
    };
  }

  /** The agent's answer (`value` of an ok result; still to be parsed), or a LifelineError. */
  request(msg: FilesRequest, timeoutMs?: number): Promise<unknown> {
    return this.ask(msg as FileMessage, timeoutMs);
  }

  async roots(): Promise<FileRoot[]> {
    return parse(Roots, await this.request({ t: 'fs:roots' }), 'fs:roots');
  }

  async list(root: string, path: string): Promise<Listing> {
    return parse(Listing, await this.request({ t: 'fs:list', root, path }, LIST_TIMEOUT_MS), 'fs:list');
  }

  async mkdir(root: string, path: string): Promise<void> {
    await this.request({ t: 'fs:mkdir', root, path });
  }

  async rename(root: string, from: string, to: string): Promise<void> {
    await this.request({ t: 'fs:rename', root, from, to });
  }

  /** Folders go with everything in them. */
  async delete(root: string, path: string): Promise<void> {
    await this.request({ t: 'fs:delete', root, path }, SLOW_REQUEST_MS);
  }

  /** Where the upload goes on: 0, or what a resumed transfer left behind. */
  async uploadStart(msg: Omit<Extract<FilesRequest, { t: 'upload:start' }>, 't'>): Promise<{ offset: number }> {
    return parse(UploadStarted, await this.request({ t: 'upload:start', ...msg }, SLOW_REQUEST_MS), 'upload:start');
  }

  async uploadFinish(transfer: number, sha256: string): Promise<{ sha256: string }> {
    return parse(UploadFinished, await this.request({ t: 'upload:finish', transfer, sha256 }, SLOW_REQUEST_MS), 'upload:finish');
  }

  async downloadStart(msg: Omit<Extract<FilesRequest, { t: 'download:start' }>, 't'>): Promise<DownloadStarted> {
    return parse(DownloadStarted, await this.request({ t: 'download:start', ...msg }, SLOW_REQUEST_MS), 'download:start');
  }

  /** Sends a message that has no answer; false when the channel is down. */
  notify(msg: FilesNotice): boolean {
    return this.transmit(msg);
  }

  /**
   * One chunk of an upload, sent once the channel's send buffer has room;
   * rejects with ERR_NOT_CONNECTED when the channel is down or closes while
   * it waits. `bytes` may be a view: it is copied into the message.
   */
  async sendChunk(transfer: number, offset: number, bytes: Uint8Array): Promise<void> {
    const frame = encodeChunk(transfer, offset, bytes);
    for (;;) {
      const channel = this.channel;
      if (!this.isOpen || !channel) throw notConnected();
      // An empty buffer always takes a chunk, so progress never stalls on a low limit.
      if (channel.bufferedAmount === 0 || channel.bufferedAmount + frame.length <= SEND_HIGH_WATER) {
        if (!this.sendFrames([frame])) throw notConnected();
        return;
      }
      await this.drained();
    }
  }

  override dispose(): void {
    super.dispose();
    this.transferListeners.clear();
  }

  protected override configured(channel: RTCDataChannel): void {
    channel.bufferedAmountLowThreshold = SEND_LOW_WATER;
    channel.onbufferedamountlow = () => {
      if (this.channel === channel) this.wakeSenders();
    };
  }

  protected override detached(): void {
    this.wakeSenders();
  }

  protected override received(decoded: Exclude<DecodedFile, { kind: 'invalid' }>): void {
    if (decoded.kind === 'chunk') {
      this.emit({ t: 'chunk', transfer: decoded.transfer, offset: decoded.offset, bytes: decoded.bytes });
      return;
    }
    const msg = decoded.msg;
    switch (msg.t) {
      case 'upload:ack':
      case 'download:done':
      case 'transfer:cancel':
        this.emit(msg);
        return;
      case 'transfer:error':
        this.emit({ ...msg, message: msg.message.slice(0, MAX_REMOTE_MESSAGE) });
        return;
      default:
        this.log.warn(`[files] dropped "${msg.t}", which only the console sends`);
    }
  }

  private drained(): Promise<void> {
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
      this.drainTimer ??= setTimeout(() => {
        this.drainTimer = null;
        this.wakeSenders();
      }, DRAIN_POLL_MS);
    });
  }

  private wakeSenders(): void {
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = null;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }

  private emit(e: TransferEvent): void {
    for (const l of [...this.transferListeners]) {
      try {
        l(e);
      } catch (err) {
        this.log.warn('[files] a transfer listener failed', err);
      }
    }
  }
}

