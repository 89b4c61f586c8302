/**
 * One attended session on the agent: the server connection, the peer
 * connection, and the consent the user gave on the portal. Consent is
 * enforced here, where the screen and the input are: whatever the console
 * sends, nothing is shown without `view` and nothing is injected without
 * `control`.
 */
import type SimplePeer from 'simple-peer';
import { WebSocket } from 'ws';
import { ERROR_MESSAGES, type ErrorCode } from '../../shared/errors.js';
import { decodeChannelMessage, encodeControl, type ControlMessage } from '../../shared/channel.js';
import { ServerToAgent, type AgentInfo, type Consent, type IceServer, type SessionState } from '../../shared/protocol.js';
import { ServerConnection, type SocketLike } from '../../shared/server-connection.js';
import type { InputSink, ScreenSource } from './platform/types.js';
import { ScreenStreamer } from './screen/streamer.js';
import { createAgentPeer, isOffer } from './peer.js';

export interface AgentSessionOptions {
  serverUrl: string;
  code: string;
  info: AgentInfo;
  screen: ScreenSource;
  input: InputSink;
  log: (msg: string) => void;
}

/** Codes after which retrying cannot help: the agent reports them and exits. */
const FATAL: ErrorCode[] = ['ERR_CODE_INVALID', 'ERR_CODE_EXPIRED', 'ERR_CODE_USED', 'ERR_RATE_LIMITED', 'ERR_SESSION_ENDED', 'ERR_NOT_AUTHENTICATED', 'ERR_BAD_MESSAGE'];

export class AgentSession {
  private readonly conn: ServerConnection<ServerToAgent>;
  private resumeKey: string | null = null;
  private iceServers: IceServer[] = [];
  private consent: Consent = { view: false, control: false };
  private peer: SimplePeer.Instance | null = null;
  private streamer: ScreenStreamer | null = null;
  private lastRefusal = 0;
  private finished = false;
  private resolveDone!: (r: { code: number; reason: string }) => void;
  /** Resolves when the session is over, with the process exit code. */
  readonly done = new Promise<{ code: number; reason: string }>((r) => (this.resolveDone = r));

  constructor(private readonly opts: AgentSessionOptions) {
    const url = `${opts.serverUrl.replace(/\/+$/, '').replace(/^http/, 'ws')}/ws`;
    this.conn = new ServerConnection<ServerToAgent>({
      url,
      socket: (u) => new WebSocket(u) as unknown as SocketLike,
      schema: ServerToAgent,
      // After the first welcome the code is spent: reconnects use the resume key.
      hello: () => ({ type: 'hello', role: 'agent', ...(this.resumeKey ? { resumeKey: this.resumeKey } : { code: opts.code }), info: opts.info }),
      onMessage: (m) => this.onServer(m),
      onState: (s) => opts.log(`server connection ${s}`),
      fatalCodes: FATAL,
      onFatal: (code, message) => this.finish(2, message || ERROR_MESSAGES[code]),
      onInvalid: (reason) => opts.log(`ignored a server message: ${reason}`),
    });
  }

  start(): void {
    this.conn.start();
  }

  private onServer(msg: ServerToAgent): void {
    switch (msg.type) {
      case 'welcome':
        this.resumeKey = msg.resumeKey;
        this.iceServers = msg.iceServers;
        this.opts.log('connected to the support server; waiting for a technician');
        return;
      case 'session:state':
        this.onState(msg.state);
        return;
      case 'signal':
        this.onSignal(msg.data);
        return;
      case 'error':
        this.opts.log(`server refused ${msg.cause ?? 'a message'}: ${msg.code} ${msg.message}`);
        return;
      case 'ack':
        return;
    }
  }

  private onState(state: SessionState): void {
    if (state.status === 'ended') {
      this.finish(0, `session ${state.endedReason ?? 'ended'}`);
      return;
    }
    const before = this.consent;
    this.consent = state.consent;
    if (before.control && !state.consent.control) void this.opts.input.releaseAll();
    if (before.view !== state.consent.view) {
      if (state.consent.view) this.startScreen();
      else this.stopScreen();
    }
    this.sendControl({ t: 'consent', ...this.consent });
  }

  private onSignal(data: Record<string, unknown>): void {
    // A fresh offer means the console started over (reload, reconnect): follow it.
    if (isOffer(data) || !this.peer) this.newPeer();
    try {
      this.peer!.signal(data as unknown as SimplePeer.SignalData);
    } catch (e) {
      this.opts.log(`bad signal from the console: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private newPeer(): void {
    this.dropPeer();
    const peer = createAgentPeer(this.iceServers);
    this.peer = peer;
    peer.on('signal', (data) => this.conn.send({ type: 'signal', data }));
    peer.on('connect', () => {
      this.opts.log('peer connection open');
      this.sendControl({ t: 'screen', width: this.opts.screen.width, height: this.opts.screen.height });
      this.sendControl({ t: 'consent', ...this.consent });
      if (this.consent.view) this.startScreen();
    });
    peer.on('data', (buf: Uint8Array) => void this.onPeerData(buf));
    peer.on('close', () => {
      if (this.peer === peer) this.dropPeer();
    });
    peer.on('error', (e: Error) => {
      this.opts.log(`peer connection error: ${e.message}`);
      if (this.peer === peer) this.dropPeer();
    });
  }

  private dropPeer(): void {
    this.stopScreen();
    void this.opts.input.releaseAll();
    const p = this.peer;
    this.peer = null;
    p?.destroy();
  }

  private async onPeerData(buf: Uint8Array): Promise<void> {
    const m = decodeChannelMessage(buf);
    if (m.kind !== 'control') {
      this.opts.log(`dropped a data-channel message: ${m.kind === 'invalid' ? m.reason : 'unexpected rect'}`);
      return;
    }
    const msg = m.msg;
    try {
      switch (msg.t) {
        case 'ack':
          this.streamer?.ack(msg.frame);
          return;
        case 'refresh':
          this.streamer?.refresh();
          return;
        case 'pointer':
        case 'button':
        case 'wheel':
        case 'key':
        case 'release-all':
          if (!this.consent.control) return this.refuse();
          await this.inject(msg);
          return;
        default:
          return;
      }
    } catch (e) {
      this.opts.log(`input failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private async inject(msg: Extract<ControlMessage, { t: 'pointer' | 'button' | 'wheel' | 'key' | 'release-all' }>): Promise<void> {
    const input = this.opts.input;
    switch (msg.t) {
      case 'pointer': {
        const x = Math.min(msg.x, this.opts.screen.width - 1);
        const y = Math.min(msg.y, this.opts.screen.height - 1);
        return input.pointerMove(x, y);
      }
      case 'button': return input.button(msg.button, msg.down);
      case 'wheel': return input.wheel(msg.dx, msg.dy);
      case 'key': return input.key(msg.keysym, msg.down);
      case 'release-all': return input.releaseAll();
    }
  }

  /** Tells the console (at most once a second) that input was refused. */
  private refuse(): void {
    const now = Date.now();
    if (now - this.lastRefusal < 1000) return;
    this.lastRefusal = now;
    this.sendControl({ t: 'error', code: 'ERR_CONSENT', message: 'The user has not allowed remote control.' });
  }

  private startScreen(): void {
    if (this.streamer || !this.peer?.connected) return;
    const peer = this.peer;
    const channel = (peer as unknown as { _channel?: { bufferedAmount: number } })._channel;
    this.streamer = new ScreenStreamer({
      source: this.opts.screen,
      send: (msg) => {
        if (peer.connected) peer.send(msg);
      },
      bufferedAmount: () => channel?.bufferedAmount ?? 0,
    });
    this.streamer.start();
  }

  private stopScreen(): void {
    this.streamer?.stop();
    this.streamer = null;
  }

  private sendControl(msg: ControlMessage): void {
    if (this.peer?.connected) this.peer.send(encodeControl(msg));
  }

  private finish(code: number, reason: string): void {
    if (this.finished) return;
    this.finished = true;
    this.dropPeer();
    this.conn.stop();
    this.resolveDone({ code, reason });
  }
}
