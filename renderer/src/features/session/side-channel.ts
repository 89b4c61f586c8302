/**
 * What the tools channel and the files channel have in common (shared/tools.ts,
 * shared/files.ts): a data channel next to the screen's, pre-negotiated on
 * both sides, created on each peer as soon as the peer exists (its end must
 * exist before the connection can carry anything on it) and closed with it;
 * the hello handshake, repeated until the agent answers, before anything else
 * is sent; and requests with ids, answered by `result`, that fail with a coded
 * error when the channel is down, closes first, or the answer is late.
 * Subclasses handle everything else the agent sends. Nothing in here touches
 * React or the store.
 */
import type { Disposer } from '../../../../shared/console-contract.js';
import { LifelineError, type ErrorCode } from '../../../../shared/errors.js';
import type { PeerStatus } from '../../store/session.js';
import type { CreatedPeer } from './peer-link.js';

/** The peer link, as far as a side channel needs it. */
export interface SideChannelPeer {
  onStatus(listener: (s: PeerStatus) => void): Disposer;
  onPeerCreated(listener: (peer: CreatedPeer) => void): Disposer;
}

export interface SideChannelOptions {
  peer: SideChannelPeer;
  /** How long a request waits for its answer unless it says otherwise. */
  timeoutMs?: number;
  log?: Pick<Console, 'warn' | 'info'>;
}

/** What a channel's protocol module provides. */
export interface SideChannelProtocol<M extends { t: string }, D extends { kind: string }> {
  channel: { label: string; id: number };
  /** Log prefix, e.g. "tools". */
  name: string;
  encode(msg: M): Uint8Array[];
  /** One decoder per channel: a result cut short by a closed channel must not join the next channel's parts. */
  decoder(): { decode(buf: Uint8Array): D | null };
}

/** How often the console repeats its handshake hello until the agent answers. */
const HELLO_RETRY_MS = 500;
/** Longest sentence from the agent shown as it is. */
export const MAX_REMOTE_MESSAGE = 500;

export const notConnected = () => new LifelineError('ERR_NOT_CONNECTED', 'The connection to the remote computer is down.');
const closedEarly = () => new LifelineError('ERR_NOT_CONNECTED', 'The connection to the remote computer closed before it answered.');
const tooLate = () => new LifelineError('ERR_NOT_CONNECTED', 'The remote computer did not answer in time.');

/** An error the agent reported, with its code and (bounded) sentence. */
export function remoteError(code: ErrorCode, message: string): LifelineError {
  return new LifelineError(code, message.slice(0, MAX_REMOTE_MESSAGE));
}

type Result = { t: 'result'; id: number } & ({ ok: true; value: unknown } | { ok: false; code: ErrorCode; message: string });

interface Pending {
  resolve(value: unknown): void;
  reject(e: LifelineError): void;
  timer: ReturnType<typeof setTimeout>;
}

export abstract class SideChannelLink<M extends { t: string }, D extends { kind: string }> {
  protected readonly log: Pick<Console, 'warn' | 'info'>;
  protected channel: RTCDataChannel | null = null;
  private readonly timeoutMs: number;
  private open = false;
  private onHello: () => void = () => undefined;
  private stopHandshake: () => void = () => undefined;
  private nextRequest = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly openListeners = new Set<(open: boolean) => void>();
  private readonly unsubscribe: Disposer[];
  private disposed = false;

  constructor(private readonly protocol: SideChannelProtocol<M, D>, options: SideChannelOptions) {
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

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const u of this.unsubscribe) u();
    this.detach();
    this.openListeners.clear();
  }

  /** Sends a request (the link adds the id); resolves with the `value` of an ok result, still to be parsed. */
  protected ask(msg: M, timeoutMs = this.timeoutMs): Promise<unknown> {
    if (!this.open) return Promise.reject(notConnected());
    const id = this.nextRequest++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(tooLate());
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      if (!this.transmit({ ...msg, id } as M)) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(notConnected());
      }
    });
  }

  /** Sends one message once the handshake is done; false when the channel is down. */
  protected transmit(msg: M): boolean {
    if (!this.open) return false;
    return this.sendFrames(this.protocol.encode(msg));
  }

  protected sendFrames(frames: Uint8Array[]): boolean {
    const channel = this.channel;
    if (!channel) return false;
    try {
      // Frames are always built in fresh ArrayBuffers, never shared memory.
      for (const frame of frames) channel.send(frame as Uint8Array<ArrayBuffer>);
      return true;
    } catch (e) {
      this.log.warn(`[${this.protocol.name}] send failed`, e);
      return false;
    }
  }

  /** A decoded item that is neither invalid, the handshake, nor a result. */
  protected abstract received(decoded: Exclude<D, { kind: 'invalid' }>): void;

  /** A new channel was created (before it opens): set channel-specific options here. */
  protected configured(_channel: RTCDataChannel): void {}

  /** The channel is gone: every request waiting on it has failed already. */
  protected detached(): void {}

  private attach(peer: CreatedPeer): void {
    this.detach();
    if (this.disposed) return;
    const { label, id } = this.protocol.channel;
    let channel: RTCDataChannel;
    try {
      channel = peer.createDataChannel(label, { negotiated: true, id });
    } catch (e) {
      this.log.warn(`[${this.protocol.name}] cannot open the channel`, e);
      return;
    }
    channel.binaryType = 'arraybuffer';
    const decoder = this.protocol.decoder();
    this.channel = channel;
    this.configured(channel);
    const current = () => this.channel === channel;
    // Open for requests only once the agent has answered the handshake; our hello
    // is repeated until then, since one sent before the agent's end exists is lost.
    const hello = () => this.sendFrames(this.protocol.encode({ t: 'hello' } as M));
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
      this.log.info(`[${this.protocol.name}] channel closed`);
      this.detach();
    };
    channel.onerror = (ev) => {
      if (current()) this.log.warn(`[${this.protocol.name}] channel failed`, (ev as RTCErrorEvent).error?.message ?? '');
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
        this.log.warn(`[${this.protocol.name}] close failed`, e);
      }
    }
    // Listeners learn first, so whoever waits on the channel knows it went before its request fails.
    this.setOpen(false);
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) {
      clearTimeout(p.timer);
      p.reject(closedEarly());
    }
    this.detached();
  }

  private receive(decoder: { decode(buf: Uint8Array): D | null }, data: unknown): void {
    if (!(data instanceof ArrayBuffer)) {
      this.log.warn(`[${this.protocol.name}] dropped a message that is not binary`);
      return;
    }
    const decoded = decoder.decode(new Uint8Array(data));
    if (!decoded) return;
    if (decoded.kind === 'invalid') {
      this.log.warn(`[${this.protocol.name}] dropped an invalid message: ${(decoded as { reason?: string }).reason ?? ''}`);
      return;
    }
    if (decoded.kind === 'message') {
      const msg = (decoded as unknown as { msg: { t: string } }).msg;
      if (msg.t === 'hello') return this.onHello();
      if (msg.t === 'result') return this.settle(msg as Result);
    }
    this.received(decoded as Exclude<D, { kind: 'invalid' }>);
  }

  private settle(msg: Result): void {
    const p = this.pending.get(msg.id);
    if (!p) {
      this.log.info(`[${this.protocol.name}] dropped an answer nobody waits for (request ${msg.id})`);
      return;
    }
    this.pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(remoteError(msg.code, msg.message));
  }

  private setOpen(open: boolean): void {
    if (open === this.open) return;
    this.open = open;
    for (const l of [...this.openListeners]) l(open);
  }
}
