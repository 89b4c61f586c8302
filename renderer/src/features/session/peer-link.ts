/**
 * The console's side of the one peer connection per session.
 *
 * Lifecycle: while `setWanted(true)` (the session is active and the agent is
 * online) the link keeps one peer, as initiator. If that peer closes, fails,
 * or has not connected within `connectTimeoutMs`, it is destroyed and a fresh
 * one (fresh offer) follows after `retryDelayMs`; the agent accepts a new
 * offer at any time. `setWanted(false)` and `dispose()` destroy the peer at
 * once. ICE servers are fetched for every new peer, because TURN credentials
 * are short-lived.
 *
 * Data messages are decoded here and handed on; invalid ones are logged and
 * dropped. The agent's first message must be a hello of our PROTOCOL_VERSION:
 * otherwise the link hands on one `error` control message saying so, and
 * nothing more of that peer's, and sends it nothing (it would not understand
 * the screen, nor the agent the input). Our hello, and whatever was sent
 * before it, go in answer to the agent's: the agent's side may report the
 * connection open after ours, and drops what arrives before it has. Other channels on the same connection (the tools channel) are
 * opened by whoever listens to `onPeerCreated`, as soon as the peer exists:
 * a pre-negotiated channel must exist on both ends before the connection can
 * carry anything on it (see shared/tools.ts). Nothing in here touches React
 * or the store.
 */
import {
  decodeChannelMessage, encodeControl, encodeControls, helloProblem, MAX_BATCH, PROTOCOL_VERSION, type ChannelMessage, type ControlMessage,
} from '../../../../shared/channel.js';
import type { ConsoleApi, Disposer } from '../../../../shared/console-contract.js';
import type { IceServer, SignalData } from '../../../../shared/protocol.js';
import type { PeerStatus } from '../../store/session.js';

/** The part of a simple-peer instance the link uses. */
export interface PeerLike {
  readonly connected: boolean;
  on(event: 'signal', listener: (data: SignalData) => void): unknown;
  on(event: 'connect' | 'close', listener: () => void): unknown;
  on(event: 'data', listener: (data: Uint8Array) => void): unknown;
  on(event: 'error', listener: (err: Error & { code?: string }) => void): unknown;
  on(event: 'iceStateChange', listener: (iceConnectionState: string) => void): unknown;
  signal(data: SignalData): void;
  send(data: Uint8Array): void;
  destroy(): void;
  /** A further data channel on the peer's RTCPeerConnection. */
  createDataChannel(label: string, init: RTCDataChannelInit): RTCDataChannel;
}

/** What listeners of `onPeerCreated` may do with the peer. */
export type CreatedPeer = Pick<PeerLike, 'createDataChannel'>;

export type PeerFactory = (options: { iceServers: IceServer[] }) => PeerLike;

export type DecodedMessage = Exclude<ChannelMessage, { kind: 'invalid' }>;

export interface PeerLinkOptions {
  api: ConsoleApi;
  requestId: string;
  createPeer: PeerFactory;
  retryDelayMs?: number;
  connectTimeoutMs?: number;
  /** How long ICE may stay `disconnected` (the agent went silent) before the peer is rebuilt. */
  disconnectGraceMs?: number;
  log?: Pick<Console, 'warn' | 'info'>;
}

export class PeerLink {
  private readonly retryDelayMs: number;
  private readonly connectTimeoutMs: number;
  private readonly disconnectGraceMs: number;
  private readonly log: Pick<Console, 'warn' | 'info'>;
  private wanted = false;
  private disposed = false;
  private peer: PeerLike | null = null;
  /** Bumped whenever the current attempt is abandoned, so its late callbacks do nothing. */
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private connectTimer: ReturnType<typeof setTimeout> | null = null;
  private disconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private status: PeerStatus = 'idle';
  private received = 0;
  /** The current peer's version: unknown until its first message, then the same as ours or not. */
  private agentVersion: 'unknown' | 'same' | 'other' = 'unknown';
  /** Sent before the agent's hello (at most MAX_BATCH, the latest): they follow our hello. */
  private early: ControlMessage[] = [];
  /** Control messages sent in this task, for the peer they were sent to; they leave together at its end. */
  private outbox: { peer: PeerLike; msgs: ControlMessage[] } | null = null;
  private readonly statusListeners = new Set<(s: PeerStatus) => void>();
  private readonly messageListeners = new Set<(m: DecodedMessage) => void>();
  private readonly startListeners = new Set<() => void>();
  private readonly createdListeners = new Set<(peer: CreatedPeer) => void>();
  private readonly unsubscribeSignals: Disposer;

  constructor(private readonly options: PeerLinkOptions) {
    this.retryDelayMs = options.retryDelayMs ?? 1000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 20_000;
    this.disconnectGraceMs = options.disconnectGraceMs ?? 4000;
    this.log = options.log ?? console;
    this.unsubscribeSignals = options.api.on('signal:received', ({ requestId, data }) => {
      if (requestId !== options.requestId) return;
      if (!this.peer) {
        this.log.warn('[peer] dropped a signal that arrived with no peer');
        return;
      }
      try {
        this.peer.signal(data);
      } catch (e) {
        this.log.warn('[peer] the peer rejected a signal', e);
      }
    });
  }

  get currentStatus(): PeerStatus {
    return this.status;
  }

  /** Bytes received on the data channel, over every peer so far (for the throughput display). */
  get bytesReceived(): number {
    return this.received;
  }

  setWanted(wanted: boolean): void {
    if (this.disposed || wanted === this.wanted) return;
    this.wanted = wanted;
    if (wanted) void this.start();
    else this.stop();
  }

  /**
   * Sends a control message if the peer is up; returns whether it went out
   * (or will, at the end of this task: what one task sends, such as a key's
   * down and up or an ack and the input after it, leaves as one data-channel
   * message, which saves an SCTP packet and its acknowledgement each).
   */
  send(msg: ControlMessage): boolean {
    const peer = this.peer;
    if (!peer?.connected || this.agentVersion === 'other') return false;
    if (this.outbox?.peer !== peer) {
      this.flush();
      this.outbox = { peer, msgs: [] };
      queueMicrotask(() => this.flush());
    }
    this.outbox.msgs.push(msg);
    if (this.outbox.msgs.length >= MAX_BATCH) this.flush();
    return true;
  }

  private flush(): void {
    const box = this.outbox;
    this.outbox = null;
    if (!box || box.msgs.length === 0 || box.peer !== this.peer || !box.peer.connected) return;
    if (this.agentVersion === 'unknown') {
      this.early = [...this.early, ...box.msgs].slice(-MAX_BATCH);
      return;
    }
    if (this.agentVersion === 'same') this.sendNow(box.peer, encodeControls(box.msgs), box.msgs);
  }

  private sendNow(peer: PeerLike, bytes: Uint8Array, msgs: readonly ControlMessage[]): void {
    try {
      peer.send(bytes);
    } catch (e) {
      this.log.warn(`[peer] cannot send ${msgs.map((m) => `"${m.t}"`).join(', ')}`, e);
    }
  }

  onStatus(listener: (s: PeerStatus) => void): Disposer {
    return subscribe(this.statusListeners, listener);
  }

  onMessage(listener: (m: DecodedMessage) => void): Disposer {
    return subscribe(this.messageListeners, listener);
  }

  /** A new peer was created: what the previous one was sending is void. */
  onPeerStarted(listener: () => void): Disposer {
    return subscribe(this.startListeners, listener);
  }

  /** A peer was created, before it signals anything; it lasts until the status leaves `connecting` and `connected`. */
  onPeerCreated(listener: (peer: CreatedPeer) => void): Disposer {
    return subscribe(this.createdListeners, listener);
  }

  dispose(): void {
    if (this.disposed) return;
    this.stop();
    this.disposed = true;
    this.unsubscribeSignals();
    this.statusListeners.clear();
    this.messageListeners.clear();
    this.startListeners.clear();
    this.createdListeners.clear();
  }

  private async start(): Promise<void> {
    const attempt = ++this.attempt;
    this.setStatus('connecting');
    let iceServers: IceServer[];
    try {
      ({ iceServers } = await this.options.api.invoke('config:get', {}));
    } catch (e) {
      this.log.warn('[peer] config:get failed', e);
      if (attempt === this.attempt) this.retry();
      return;
    }
    if (attempt !== this.attempt || !this.wanted) return;

    const peer = this.options.createPeer({ iceServers });
    this.peer = peer;
    this.agentVersion = 'unknown';
    this.early = [];
    const current = () => this.peer === peer;
    peer.on('signal', (data) => {
      if (!current()) return;
      this.options.api
        .invoke('signal:send', { requestId: this.options.requestId, data })
        .catch((e: unknown) => this.log.warn('[peer] signal:send failed', e));
    });
    peer.on('connect', () => {
      if (!current()) return;
      this.clearConnectTimer();
      this.setStatus('connected');
    });
    peer.on('data', (buf) => {
      if (!current()) return;
      this.received += buf.byteLength;
      const m = decodeChannelMessage(buf);
      if (this.agentVersion !== 'same') return this.checkHello(m);
      if (m.kind === 'invalid') {
        this.log.warn(`[peer] dropped an invalid message: ${m.reason}`);
        return;
      }
      for (const l of [...this.messageListeners]) l(m);
    });
    peer.on('close', () => {
      if (!current()) return;
      this.log.info('[peer] closed');
      this.retry();
    });
    // A connection whose other end went silent (network cut, frozen machine) reports `disconnected`
    // and may never fail on its own: rebuild it, and everything on it resumes on the new one.
    peer.on('iceStateChange', (state) => {
      if (!current()) return;
      if (state !== 'disconnected') {
        this.clearDisconnectTimer();
        return;
      }
      this.disconnectTimer ??= setTimeout(() => {
        this.disconnectTimer = null;
        if (!current()) return;
        this.log.warn('[peer] the agent stopped answering; reconnecting');
        this.retry();
      }, this.disconnectGraceMs);
    });
    peer.on('error', (err) => {
      if (!current()) return;
      this.log.warn(`[peer] failed (${err.code ?? 'no code'}): ${err.message}`);
      this.retry();
    });
    this.connectTimer = setTimeout(() => {
      if (!current()) return;
      this.log.warn('[peer] did not connect in time');
      this.retry();
    }, this.connectTimeoutMs);
    for (const l of [...this.startListeners]) l();
    for (const l of [...this.createdListeners]) {
      if (current()) l(peer);
    }
  }

  /** The agent's first message: its hello, of our version or not; anything after a mismatch is dropped. */
  private checkHello(m: ChannelMessage): void {
    if (this.agentVersion === 'other') return;
    const problem = helloProblem(m, 'agent');
    const peer = this.peer;
    if (!problem) {
      this.agentVersion = 'same';
      const early = this.early;
      this.early = [];
      if (!peer) return;
      const hello: ControlMessage = { t: 'hello', version: PROTOCOL_VERSION };
      this.sendNow(peer, encodeControl(hello), [hello]);
      if (early.length > 0) this.sendNow(peer, encodeControls(early), early);
      return;
    }
    this.agentVersion = 'other';
    this.early = [];
    this.log.warn(`[peer] ${problem}`);
    const error: DecodedMessage = { kind: 'control', msg: { t: 'error', code: 'ERR_PROTOCOL_VERSION', message: problem } };
    for (const l of [...this.messageListeners]) l(error);
  }

  /** Abandons the current attempt and schedules the next one. */
  private retry(): void {
    this.abandon();
    if (!this.wanted || this.disposed) return;
    this.setStatus('reconnecting');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.wanted && !this.disposed) void this.start();
    }, this.retryDelayMs);
  }

  private stop(): void {
    this.abandon();
    this.setStatus('idle');
  }

  private abandon(): void {
    this.attempt++;
    this.clearConnectTimer();
    this.clearDisconnectTimer();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const peer = this.peer;
    this.peer = null;
    if (peer) {
      try {
        peer.destroy();
      } catch (e) {
        this.log.warn('[peer] destroy failed', e);
      }
    }
  }

  private clearDisconnectTimer(): void {
    if (this.disconnectTimer) clearTimeout(this.disconnectTimer);
    this.disconnectTimer = null;
  }

  private clearConnectTimer(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = null;
  }

  private setStatus(status: PeerStatus): void {
    if (status === this.status) return;
    this.status = status;
    for (const l of [...this.statusListeners]) l(status);
  }
}

function subscribe<T>(set: Set<T>, listener: T): Disposer {
  set.add(listener);
  return () => {
    set.delete(listener);
  };
}
