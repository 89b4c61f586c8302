/**
 * The console's end of a session's files channel (shared/files.ts): a data
 * channel of its own, pre-negotiated on both sides, opened on each peer as
 * soon as the peer exists and closed with it, exactly like the tools channel
 * (tools-link.ts). Requests carry ids and are answered by `result`; they fail
 * with a coded error when the channel is down, closes first, or the answer is
 * late. Transfer traffic (chunks, acknowledgements, done, errors) goes both
 * ways without ids: what arrives is handed to `onTransfer` listeners (the
 * TransferManager), what leaves is paced by the channel's own send buffer so
 * that a transfer never queues seconds of data in front of the screen and
 * input that share the connection. Nothing in here touches React or the store.
 */
import { z } from 'zod';
import type { Disposer } from '../../../../shared/console-contract.js';
import { LifelineError, type ErrorCode } from '../../../../shared/errors.js';
import {
  DownloadStarted, encodeChunk, encodeFileMessage, FileDecoder, FileRoot, FILES_CHANNEL, Listing, UploadFinished, UploadStarted,
  type FileMessage,
} from '../../../../shared/files.js';
import type { CreatedPeer } from '../session/peer-link.js';
import type { ToolsPeer } from '../tools/tools-link.js';

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
export type FilesPeer = ToolsPeer;

export interface FilesLinkOptions {
  peer: FilesPeer;
  /** How long a request waits for its answer unless it says otherwise. */
  timeoutMs?: number;
  log?: Pick<Console, 'warn' | 'info'>;
}

/** How often the console repeats its handshake hello until the agent answers. */
const HELLO_RETRY_MS = 500;
/** Chunks wait while the channel has this much unsent; keeps screen and input on the same connection quick. */
export const SEND_HIGH_WATER = 1024 * 1024;
/** `bufferedamountlow` fires when the unsent data falls to this. */
export const SEND_LOW_WATER = 256 * 1024;
/** A safety net should a `bufferedamountlow` event go missing. */
const DRAIN_POLL_MS = 250;
const MAX_REMOTE_MESSAGE = 500;

/** Answers that can take the agent a while: a big folder, a deep delete, hashing a partial file, sizing a folder's tar. */
export const SLOW_REQUEST_MS = 120_000;
const LIST_TIMEOUT_MS = 60_000;

const notConnected = () => new LifelineError('ERR_NOT_CONNECTED', 'The connection to the remote computer is down.');
const closedEarly = () => new LifelineError('ERR_NOT_CONNECTED', 'The connection to the remote computer closed before it answered.');
const tooLate = () => new LifelineError('ERR_NOT_CONNECTED', 'The remote computer did not answer in time.');

/** `fs:roots` answers a list of places; an object holding it is accepted too. */
const Roots = z.union([z.array(FileRoot).max(256), z.object({ roots: z.array(FileRoot).max(256) }).transform((v) => v.roots)]);

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new LifelineError('ERR_BAD_MESSAGE', `The remote computer sent an answer to "${what}" that this console cannot read.`);
  return parsed.data;
}

interface Pending {
  resolve(value: unknown): void;
  reject(e: LifelineError): void;
  timer: ReturnType<typeof setTimeout>;
}

export class FilesLink {
  private readonly timeoutMs: number;
  private readonly log: Pick<Console, 'warn' | 'info'>;
  private channel: RTCDataChannel | null = null;
  private open = false;
  private onHello: () => void = () => undefined;
  private stopHandshake: () => void = () => undefined;
  private nextRequest = 1;
  private readonly pending = new Map<number, Pending>();
  private drainWaiters: Array<() => void> = [];
  private drainTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly openListeners = new Set<(open: boolean) => void>();
  private readonly transferListeners = new Set<(e: TransferEvent) => void>();
  private readonly unsubscribe: Disposer[];
  private disposed = false;

  constructor(options: FilesLinkOptions) {
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.log = options.log ?? console;
    this.unsubscribe = [
      options.peer.onPeerCreated((peer) => this.attach(peer)),
      options.peer.onStatus((s) => {
        // A new peer's channel is attached when it is created, while the status says `connecting`.
        if (s !== 'connected' && s !== 'connecting') this.detach();
      }),
    ];
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** For useSyncExternalStore: `isOpen` changes only with a call of these listeners. */
  readonly onOpenChanged = (listener: (open: boolean) => void): Disposer => {
    this.openListeners.add(listener);
    return () => {
      this.openListeners.delete(listener);
    };
  };

  readonly getOpen = (): boolean => this.open;

  /** Chunks, acknowledgements, ends and errors of transfers, as they arrive. */
  onTransfer(listener: (e: TransferEvent) => void): Disposer {
    this.transferListeners.add(listener);
    return () => {
      this.transferListeners.delete(listener);
    };
  }

  /** The agent's answer (`value` of an ok result; still to be parsed), or a LifelineError. */
  request(msg: FilesRequest, timeoutMs = this.timeoutMs): Promise<unknown> {
    if (!this.open) return Promise.reject(notConnected());
    const id = this.nextRequest++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(tooLate());
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      if (!this.transmit({ ...msg, id } as FileMessage)) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(notConnected());
      }
    });
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
      if (!this.open || !channel) throw notConnected();
      // An empty buffer always takes a chunk, so progress never stalls on a low limit.
      if (channel.bufferedAmount === 0 || channel.bufferedAmount + frame.length <= SEND_HIGH_WATER) {
        if (!this.sendFrame(channel, frame)) throw notConnected();
        return;
      }
      await this.drained();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const u of this.unsubscribe) u();
    this.detach();
    this.openListeners.clear();
    this.transferListeners.clear();
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

  private attach(peer: CreatedPeer): void {
    this.detach();
    if (this.disposed) return;
    let channel: RTCDataChannel;
    try {
      channel = peer.createDataChannel(FILES_CHANNEL.label, { negotiated: true, id: FILES_CHANNEL.id });
    } catch (e) {
      this.log.warn('[files] cannot open the files channel', e);
      return;
    }
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = SEND_LOW_WATER;
    // One decoder per channel: a result cut short by a closed channel must not join the next channel's parts.
    const decoder = new FileDecoder();
    this.channel = channel;
    const current = () => this.channel === channel;
    // Open for requests only once the agent has answered the handshake; our hello is repeated until then.
    const hello = () => this.sendFrames(channel, encodeFileMessage({ t: 'hello' }));
    let retry: ReturnType<typeof setInterval> | null = null;
    const stopRetry = () => {
      if (retry) clearInterval(retry);
      retry = null;
    };
    this.onHello = () => {
      stopRetry();
      this.setOpen(true);
    };
    this.stopHandshake = stopRetry;
    const startHandshake = () => {
      hello();
      retry ??= setInterval(() => (current() ? hello() : stopRetry()), HELLO_RETRY_MS);
    };
    channel.onopen = () => {
      if (current()) startHandshake();
    };
    channel.onclose = () => {
      if (!current()) return;
      this.log.info('[files] channel closed');
      this.detach();
    };
    channel.onerror = (ev) => {
      if (current()) this.log.warn('[files] channel failed', (ev as RTCErrorEvent).error?.message ?? '');
    };
    channel.onbufferedamountlow = () => {
      if (current()) this.wakeSenders();
    };
    channel.onmessage = (ev: MessageEvent<unknown>) => {
      if (current()) this.receive(decoder, ev.data);
    };
    if (channel.readyState === 'open') startHandshake();
  }

  private detach(): void {
    this.stopHandshake();
    this.stopHandshake = () => undefined;
    this.onHello = () => undefined;
    const channel = this.channel;
    this.channel = null;
    if (channel) {
      channel.onopen = channel.onclose = channel.onerror = channel.onmessage = channel.onbufferedamountlow = null;
      try {
        channel.close();
      } catch (e) {
        this.log.warn('[files] close failed', e);
      }
    }
    // Listeners learn first, so a transfer knows the connection went before its request fails.
    this.setOpen(false);
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(closedEarly());
    }
    this.wakeSenders();
  }

  private receive(decoder: FileDecoder, data: unknown): void {
    if (!(data instanceof ArrayBuffer)) {
      this.log.warn('[files] dropped a message that is not binary');
      return;
    }
    const decoded = decoder.decode(new Uint8Array(data));
    if (!decoded) return;
    switch (decoded.kind) {
      case 'invalid':
        this.log.warn(`[files] dropped an invalid message: ${decoded.reason}`);
        return;
      case 'chunk':
        this.emit({ t: 'chunk', transfer: decoded.transfer, offset: decoded.offset, bytes: decoded.bytes });
        return;
      case 'message':
        this.handle(decoded.msg);
    }
  }

  private handle(msg: FileMessage): void {
    switch (msg.t) {
      case 'hello':
        this.onHello();
        return;
      case 'result': {
        const p = this.pending.get(msg.id);
        if (!p) {
          this.log.info(`[files] dropped an answer nobody waits for (request ${msg.id})`);
          return;
        }
        this.pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.ok) p.resolve(msg.value);
        else p.reject(remoteError(msg.code, msg.message));
        return;
      }
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

  private emit(e: TransferEvent): void {
    for (const l of [...this.transferListeners]) {
      try {
        l(e);
      } catch (err) {
        this.log.warn('[files] a transfer listener failed', err);
      }
    }
  }

  private transmit(msg: FileMessage): boolean {
    const channel = this.channel;
    if (!this.open || !channel) return false;
    return this.sendFrames(channel, encodeFileMessage(msg));
  }

  private sendFrames(channel: RTCDataChannel, frames: Uint8Array[]): boolean {
    for (const frame of frames) {
      if (!this.sendFrame(channel, frame)) return false;
    }
    return true;
  }

  private sendFrame(channel: RTCDataChannel, frame: Uint8Array): boolean {
    try {
      // Frames are always built in fresh ArrayBuffers, never shared memory.
      channel.send(frame as Uint8Array<ArrayBuffer>);
      return true;
    } catch (e) {
      this.log.warn('[files] send failed', e);
      return false;
    }
  }

  private setOpen(open: boolean): void {
    if (open === this.open) return;
    this.open = open;
    for (const l of [...this.openListeners]) l(open);
  }
}

/** An error the agent reported, with its code and (bounded) sentence. */
export function remoteError(code: ErrorCode, message: string): LifelineError {
  return new LifelineError(code, message.slice(0, MAX_REMOTE_MESSAGE));
}
