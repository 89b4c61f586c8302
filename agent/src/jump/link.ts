/**
 * An active jump client's one outbound connection to the server: hello with
 * its credential, a heartbeat every few seconds (acknowledged, so a dead
 * server is noticed as well as a dead client), and on loss a reconnect after
 * a jittered exponential backoff, or after exactly what the server asked when
 * it said "rate limited". A refused credential stops it for good.
 */
import { WebSocket } from 'ws';
import type { ErrorCode } from '../../../shared/errors.js';
import { silenceLimitMs, type JumpSessionOffer } from '../../../shared/jump.js';
import { ServerToJump } from '../../../shared/protocol.js';
import type { SocketLike } from '../../../shared/server-connection.js';
import { Backoff, retryAfterDelay } from './backoff.js';
import { untrustedCertificate } from '../tls-trust.js';

export type LinkStop =
  | { kind: 'uninstall'; reason: string }
  | { kind: 'refused'; code: ErrorCode; message: string };

export interface JumpLinkOptions {
  /** The server's /ws URL. */
  url: string;
  /** The hello to send on every connect. */
  hello: () => object;
  heartbeatSeconds: number;
  onSession: (offer: JumpSessionOffer) => void;
  /** Called once when the link stops for good (removed, or the credential refused). */
  onStop: (stop: LinkStop) => void;
  onState?: (state: 'connecting' | 'online' | 'offline', detail?: string) => void;
  log: (msg: string) => void;
  socket?: (url: string) => SocketLike;
  backoff?: Backoff;
  random?: () => number;
}

const OPEN = 1;

export class JumpLink {
  private socket: SocketLike | null = null;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private lastHeard = 0;
  private nextRef = 1;
  private retryAfterMs: number | null = null;
  private uninstallReason: string | null = null;
  private stopped = false;
  /** The last certificate refusal logged, so retries do not repeat it. */
  private certificateComplaint: string | null = null;
  private readonly backoff: Backoff;
  online = false;

  constructor(private readonly opts: JumpLinkOptions) {
    this.backoff = opts.backoff ?? new Backoff({ random: opts.random });
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  /** Closes for good. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.cleanup();
  }

  private open(): void {
    this.opts.onState?.('connecting');
    let s: SocketLike;
    try {
      s = (this.opts.socket ?? ((u) => new WebSocket(u, { handshakeTimeout: 30_000 }) as unknown as SocketLike))(this.opts.url);
    } catch (e) {
      this.opts.log(`cannot connect: ${e instanceof Error ? e.message : String(e)}`);
      this.scheduleReconnect();
      return;
    }
    this.socket = s;
    s.onopen = () => {
      this.lastHeard = Date.now();
      s.send(JSON.stringify(this.opts.hello()));
    };
    // onclose follows and reconnects: a renewed certificate may fix it. An
    // untrusted one is said in words, once, not hidden behind the retries.
    s.onerror = (ev) => {
      const why = untrustedCertificate((ev as { error?: unknown } | null)?.error, this.opts.url);
      if (why && why !== this.certificateComplaint) this.opts.log(why);
      this.certificateComplaint = why;
    };
    s.onmessage = (ev) => this.receive(ev.data);
    s.onclose = (ev) => {
      if (this.socket !== s) return;
      this.socket = null;
      this.online = false;
      this.stopHeartbeat();
      this.opts.onState?.('offline', ev.reason);
      if (this.stopped) return;
      // A removed client whose connection dropped before the refusal arrived still uninstalls.
      if (this.uninstallReason !== null) return this.finish({ kind: 'uninstall', reason: this.uninstallReason });
      this.scheduleReconnect();
    };
  }

  private receive(data: unknown): void {
    this.lastHeard = Date.now();
    let json: unknown;
    try {
      json = JSON.parse(String(data));
    } catch {
      this.opts.log('ignored a server message that is not JSON');
      return;
    }
    const parsed = ServerToJump.safeParse(json);
    if (!parsed.success) {
      this.opts.log(`ignored a server message: ${JSON.stringify(json).slice(0, 120)}`);
      return;
    }
    const msg = parsed.data;
    switch (msg.type) {
      case 'welcome':
        this.online = true;
        this.backoff.reset();
        this.startHeartbeat();
        this.opts.onState?.('online', msg.name);
        return;
      case 'jump:session':
        this.opts.onSession(msg.session);
        return;
      case 'jump:uninstall':
        this.uninstallReason = msg.reason;
        return;
      case 'error':
        if (msg.code === 'ERR_RATE_LIMITED' && msg.retryAfterMs !== undefined) {
          // The server closes right after; the reconnect waits as long as it asked.
          this.retryAfterMs = msg.retryAfterMs;
          this.opts.log(`server busy: retrying in ${msg.retryAfterMs} ms or a little more`);
          return;
        }
        if (msg.code === 'ERR_NOT_AUTHENTICATED') {
          this.finish(this.uninstallReason !== null
            ? { kind: 'uninstall', reason: this.uninstallReason }
            : { kind: 'refused', code: msg.code, message: msg.message });
          return;
        }
        this.opts.log(`server refused ${msg.cause ?? 'a message'}: ${msg.code} ${msg.message}`);
        return;
      case 'ack':
        return;
    }
  }

  private startHeartbeat(): void {
    this.stopHeartbeat();
    const every = this.opts.heartbeatSeconds * 1000;
    this.heartbeat = setInterval(() => {
      const s = this.socket;
      if (!s || s.readyState !== OPEN) return;
      if (Date.now() - this.lastHeard > silenceLimitMs(this.opts.heartbeatSeconds)) {
        // Heartbeats go unanswered: the server or the path to it is gone without a close. Start over.
        this.opts.log('the server stopped answering; reconnecting');
        const ws = s as SocketLike & { terminate?: () => void };
        if (ws.terminate) ws.terminate();
        else s.close(4002, 'no answer');
        return;
      }
      s.send(JSON.stringify({ type: 'jump:heartbeat', ref: this.nextRef++ }));
    }, every);
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }

  private scheduleReconnect(): void {
    const delay = this.retryAfterMs !== null ? retryAfterDelay(this.retryAfterMs, (this.opts.random ?? Math.random)()) : this.backoff.next();
    this.retryAfterMs = null;
    this.opts.log(`reconnecting in ${(delay / 1000).toFixed(1)} s`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (!this.stopped) this.open();
    }, delay);
  }

  private finish(stop: LinkStop): void {
    if (this.stopped) return;
    this.stop();
    this.opts.onStop(stop);
  }

  private cleanup(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.stopHeartbeat();
    const s = this.socket;
    this.socket = null;
    this.online = false;
    if (s) {
      s.onclose = null;
      s.close(1000, 'bye');
    }
  }
}
