/**
 * ConsoleApi over one WebSocket to the web host's /bridge endpoint, for a
 * console running in a plain browser. Frames are `BridgeToHost` /
 * `BridgeToRenderer` from the contract.
 *
 * While the socket is connecting, invokes wait for it; when it drops, every
 * pending invoke rejects with ERR_NOT_CONNECTED (the host cannot answer them
 * any more) and the bridge reconnects with exponential backoff. Invokes made
 * while it waits to reconnect reject at once rather than hang.
 */
import {
  BridgeToRenderer,
  type ConsoleApi, type Disposer, type EventName, type EventOf, type RequestChannel, type RequestOf, type ResponseOf,
} from '../../../shared/console-contract.js';
import { LifelineError } from '../../../shared/errors.js';
import { parseEvent, parseResult } from './validate.js';

export type LinkState = 'connecting' | 'open' | 'closed';

/** The part of the DOM WebSocket the bridge uses (tests pass a fake). */
export interface SocketLike {
  send(data: string): void;
  close(): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export interface WsBridgeOptions {
  url: string;
  createSocket?: (url: string) => SocketLike;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  log?: Pick<Console, 'warn'>;
}

interface Pending {
  channel: RequestChannel;
  resolve(value: unknown): void;
  reject(error: LifelineError): void;
}

type Listener = (payload: EventOf<EventName>) => void;

export class WsBridge implements ConsoleApi {
  private readonly createSocket: (url: string) => SocketLike;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly log: Pick<Console, 'warn'>;
  private socket: SocketLike | null = null;
  private state: LinkState = 'closed';
  private nextId = 1;
  private failures = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private disposed = false;
  private readonly pending = new Map<number, Pending>();
  /** Frames written while the socket was still connecting. */
  private outbox: string[] = [];
  private readonly listeners = new Map<EventName, Set<Listener>>();
  private readonly linkListeners = new Set<(state: LinkState) => void>();

  constructor(private readonly options: WsBridgeOptions) {
    this.createSocket = options.createSocket ?? ((url) => new WebSocket(url) as unknown as SocketLike);
    this.initialBackoffMs = options.initialBackoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
    this.log = options.log ?? console;
    this.connect();
  }

  invoke<C extends RequestChannel>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>> {
    if (this.disposed || this.state === 'closed') return Promise.reject(new LifelineError('ERR_NOT_CONNECTED'));
    const id = this.nextId++;
    const frame = JSON.stringify({ kind: 'invoke', id, channel, payload });
    return new Promise<ResponseOf<C>>((resolve, reject) => {
      this.pending.set(id, { channel, resolve: resolve as (v: unknown) => void, reject });
      if (this.state === 'open') this.socket!.send(frame);
      else this.outbox.push(frame);
    });
  }

  on<E extends EventName>(event: E, listener: (payload: EventOf<E>) => void): Disposer {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    const l = listener as Listener;
    set.add(l);
    return () => {
      set.delete(l);
    };
  }

  /** Tells the listener the current link state now, then every change. */
  onLinkChanged(listener: (state: LinkState) => void): Disposer {
    this.linkListeners.add(listener);
    listener(this.state);
    return () => {
      this.linkListeners.delete(listener);
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onclose = socket.onerror = socket.onmessage = null;
      socket.close();
    }
    this.failPending();
    this.setState('closed');
    this.listeners.clear();
    this.linkListeners.clear();
  }

  private connect(): void {
    this.retryTimer = null;
    if (this.disposed) return;
    this.setState('connecting');
    let socket: SocketLike;
    try {
      socket = this.createSocket(this.options.url);
    } catch (e) {
      this.log.warn('[bridge] cannot open the console socket', e);
      this.dropped();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.failures = 0;
      const frames = this.outbox;
      this.outbox = [];
      for (const f of frames) socket.send(f);
      this.setState('open');
    };
    socket.onmessage = (ev) => {
      if (this.socket === socket) this.receive(ev.data);
    };
    // Browsers fire `error` then `close`; only `close` means the socket is gone.
    socket.onerror = () => {};
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.dropped();
    };
  }

  private dropped(): void {
    this.failPending();
    this.setState('closed');
    if (this.disposed) return;
    const delay = Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** this.failures);
    this.failures++;
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private failPending(): void {
    this.outbox = [];
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new LifelineError('ERR_NOT_CONNECTED'));
  }

  private setState(state: LinkState): void {
    if (this.state === state) return;
    this.state = state;
    for (const l of [...this.linkListeners]) l(state);
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') {
      this.log.warn('[bridge] dropped a non-text frame');
      return;
    }
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch {
      this.log.warn('[bridge] dropped a frame that is not JSON');
      return;
    }
    const frame = BridgeToRenderer.safeParse(json);
    if (!frame.success) {
      this.log.warn('[bridge] dropped a frame that does not match the bridge protocol');
      return;
    }
    const f = frame.data;
    if (f.kind === 'event') {
      const payload = parseEvent(f.event, f.payload, this.log);
      if (!payload) return;
      for (const l of [...(this.listeners.get(f.event as EventName) ?? [])]) {
        try {
          l(payload);
        } catch (e) {
          this.log.warn(`[bridge] a "${f.event}" listener threw`, e);
        }
      }
      return;
    }
    const p = this.pending.get(f.id);
    if (!p) {
      this.log.warn(`[bridge] dropped a result for unknown invoke ${f.id}`);
      return;
    }
    this.pending.delete(f.id);
    if (!f.ok) {
      p.reject(new LifelineError(f.error.code, f.error.message));
      return;
    }
    try {
      p.resolve(parseResult(p.channel, f.value));
    } catch (e) {
      p.reject(e as LifelineError);
    }
  }
}
