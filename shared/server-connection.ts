/**
 * A client's connection to the support server's `/ws` endpoint: says hello
 * on every (re)connect, parses every incoming message with the role's schema,
 * correlates `ref`ed requests with their `ack`/`error`, and reconnects with
 * jittered exponential backoff. Used by the console core and the agent; it
 * takes the WebSocket constructor so it stays free of any runtime.
 */
import type { z } from 'zod';
import { LifelineError, type ErrorCode } from './errors.js';

/** The subset of the WebSocket API this needs (browsers and the `ws` package both have it). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}
export type SocketFactory = (url: string) => SocketLike;

type Incoming = { type: string };
/** The fields this class reads from ack/error/welcome messages. */
type Envelope = { type: string; ref?: number; code?: ErrorCode; message?: unknown };

export interface ServerConnectionOptions<In extends Incoming> {
  url: string;
  socket: SocketFactory;
  schema: z.ZodType<In>;
  /** The hello to send on each connect (read again each time: credentials may change). */
  hello: () => object;
  onMessage: (msg: In) => void;
  onState?: (state: 'connecting' | 'online' | 'offline') => void;
  /** A hello refused with one of these codes stops reconnecting. */
  fatalCodes?: ErrorCode[];
  onFatal?: (code: ErrorCode, message: string) => void;
  onInvalid?: (reason: string) => void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

const OPEN = 1;

export class ServerConnection<In extends Incoming> {
  private socket: SocketLike | null = null;
  private nextRef = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private backoff: number;
  private timer: unknown = null;
  private stopped = false;
  private welcomed = false;

  constructor(private readonly opts: ServerConnectionOptions<In>) {
    this.backoff = opts.minBackoffMs ?? 500;
  }

  get online(): boolean {
    return this.welcomed && this.socket?.readyState === OPEN;
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  /** Closes for good; pending requests fail with ERR_NOT_CONNECTED. Idempotent. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = null;
      s.close(1000, 'bye');
    }
    this.failPending();
  }

  /** Sends without waiting; false when offline. */
  send(msg: object): boolean {
    if (!this.online) return false;
    this.socket!.send(JSON.stringify(msg));
    return true;
  }

  /** Sends with a `ref` and resolves on the server's ack, rejects with its typed error. */
  request(msg: object): Promise<void> {
    if (!this.online) return Promise.reject(new LifelineError('ERR_NOT_CONNECTED'));
    const ref = this.nextRef++;
    return new Promise((resolve, reject) => {
      this.pending.set(ref, { resolve, reject });
      this.socket!.send(JSON.stringify({ ...msg, ref }));
    });
  }

  private open(): void {
    this.welcomed = false;
    this.opts.onState?.('connecting');
    let s: SocketLike;
    try {
      s = this.opts.socket(this.opts.url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = s;
    s.onopen = () => s.send(JSON.stringify(this.opts.hello()));
    s.onerror = () => undefined; // onclose follows and handles it
    s.onclose = () => {
      if (this.socket !== s) return;
      this.socket = null;
      this.welcomed = false;
      this.failPending();
      this.opts.onState?.('offline');
      if (!this.stopped) this.scheduleReconnect();
    };
    s.onmessage = (ev) => this.receive(ev.data);
  }

  private receive(data: unknown): void {
    let json: unknown;
    try {
      json = JSON.parse(typeof data === 'string' ? data : String(data));
    } catch {
      this.opts.onInvalid?.('message is not JSON');
      return;
    }
    const parsed = this.opts.schema.safeParse(json);
    if (!parsed.success) {
      this.opts.onInvalid?.(`message does not match the schema: ${JSON.stringify(json).slice(0, 120)}`);
      return;
    }
    const msg = parsed.data;
    const env = msg as unknown as Envelope;
    const text = typeof env.message === 'string' ? env.message : '';
    if (msg.type === 'welcome') {
      this.welcomed = true;
      this.backoff = this.opts.minBackoffMs ?? 500;
      this.opts.onState?.('online');
    }
    if (env.type === 'ack' && env.ref !== undefined) {
      this.pending.get(env.ref)?.resolve();
      this.pending.delete(env.ref);
      return;
    }
    if (env.type === 'error') {
      if (!this.welcomed && env.code && this.opts.fatalCodes?.includes(env.code)) {
        this.stopped = true;
        this.opts.onFatal?.(env.code, text);
      }
      if (env.ref !== undefined && this.pending.has(env.ref)) {
        this.pending.get(env.ref)!.reject(new LifelineError(env.code ?? 'ERR_INTERNAL', text || undefined));
        this.pending.delete(env.ref);
        return;
      }
    }
    this.opts.onMessage(msg);
  }

  private scheduleReconnect(): void {
    const max = this.opts.maxBackoffMs ?? 10_000;
    // Jitter spreads a crowd of clients reconnecting after a server restart.
    const delay = this.backoff * (0.5 + Math.random() * 0.5);
    this.backoff = Math.min(this.backoff * 2, max);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.open();
    }, delay);
  }

  private failPending(): void {
    for (const p of this.pending.values()) p.reject(new LifelineError('ERR_NOT_CONNECTED'));
    this.pending.clear();
  }
}
