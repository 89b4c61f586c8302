/**
 * A passive jump client's wake listener: a UDP port on which the server's
 * signed wake datagrams (shared/jump.ts) make the client check in now. A
 * datagram counts only with the right client id, a fresh time, a nonce not
 * seen before and a valid HMAC keyed with SHA-256(credential); even a valid
 * one only causes a check-in, at most one per WAKE_MIN_GAP_MS.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import dgram from 'node:dgram';
import { parseWake, WAKE_MAX_AGE_MS } from '../../../shared/jump.js';

/** Wakes closer together than this cause one check-in (the server repeats each wake a few times). */
export const WAKE_MIN_GAP_MS = 5000;
/** Rejected datagrams are logged at most this often: a flood must not fill the journal. */
const REJECT_LOG_EVERY_MS = 60_000;

export interface WakeListenerOptions {
  /** 0: any free port (reported at each check-in). */
  port: number;
  clientId: number;
  credential: string;
  onWake: () => void;
  log: (msg: string) => void;
  now?: () => number;
}

export class WakeListener {
  private socket: dgram.Socket | null = null;
  private readonly key: Buffer;
  /** Nonces of accepted wakes, until they are too old to be accepted anyway. */
  private readonly seen = new Map<string, number>();
  private lastWake = -Infinity;
  private lastRejectLog = -Infinity;
  private readonly now: () => number;

  constructor(private readonly opts: WakeListenerOptions) {
    this.key = createHash('sha256').update(opts.credential).digest();
    this.now = opts.now ?? Date.now;
  }

  /** Listens on every address (IPv6 and IPv4 where the system has both); resolves with the port. */
  async start(): Promise<number> {
    try {
      return await this.bind(dgram.createSocket({ type: 'udp6', ipv6Only: false }), '::');
    } catch {
      // No IPv6 on this machine.
      return this.bind(dgram.createSocket('udp4'), '0.0.0.0');
    }
  }

  close(): void {
    this.socket?.close();
    this.socket = null;
  }

  private bind(socket: dgram.Socket, address: string): Promise<number> {
    return new Promise((resolve, reject) => {
      socket.once('error', (e) => {
        socket.close();
        reject(e);
      });
      socket.bind(this.opts.port, address, () => {
        socket.removeAllListeners('error');
        socket.on('error', (e) => this.opts.log(`wake listener: ${e.message}`));
        socket.on('message', (msg) => this.receive(msg));
        this.socket = socket;
        resolve(socket.address().port);
      });
    });
  }

  /** Checks one datagram; true when it woke the client. */
  receive(datagram: Uint8Array): boolean {
    const why = this.reject(datagram);
    if (why) {
      const now = this.now();
      if (now - this.lastRejectLog >= REJECT_LOG_EVERY_MS) {
        this.lastRejectLog = now;
        this.opts.log(`ignored a wake datagram: ${why}`);
      }
      return false;
    }
    const now = this.now();
    if (now - this.lastWake < WAKE_MIN_GAP_MS) return false;
    this.lastWake = now;
    this.opts.log('woken by the server: checking in now');
    this.opts.onWake();
    return true;
  }

  private reject(datagram: Uint8Array): string | null {
    const wake = parseWake(datagram);
    if (!wake) return 'not a wake datagram';
    if (wake.body.clientId !== this.opts.clientId) return 'for another client';
    const now = this.now();
    if (Math.abs(now - wake.body.sentAt) > WAKE_MAX_AGE_MS) return 'too old, or the clocks differ by more than 5 minutes';
    const mac = createHmac('sha256', this.key).update(wake.signed).digest();
    if (!timingSafeEqual(mac, wake.mac)) return 'bad signature';
    for (const [n, at] of this.seen) if (now - at > 2 * WAKE_MAX_AGE_MS) this.seen.delete(n);
    const nonce = Buffer.from(wake.body.nonce).toString('hex');
    if (this.seen.has(nonce)) return 'replayed';
    this.seen.set(nonce, now);
    return null;
  }
}
