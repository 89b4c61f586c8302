/**
 * Waking a passive jump client: a few signed UDP datagrams to the address
 * and port of its last check-in (shared/jump.ts has the layout). UDP may be
 * lost, so it is sent WAKE_REPEATS times; the client checks in once for all
 * of them. A NAT or firewall between the server and the client drops them
 * all; then the session starts at the next check-in, as without a wake.
 */
import { createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { encodeWakeBody } from '../../../shared/jump.js';
import { log } from '../log.js';

/** Milliseconds after the first send at which the datagram goes again. */
const WAKE_REPEATS_AT_MS = [0, 400, 1500];

export interface WakeTarget {
  clientId: number;
  /** The client's credential_hash (hex SHA-256 of the credential): the HMAC key. */
  credentialHash: string;
  address: string;
  port: number;
}

/** One signed datagram for `target`, sent now. */
export function wakeDatagram(target: Pick<WakeTarget, 'clientId' | 'credentialHash'>, now = Date.now()): Buffer {
  const body = encodeWakeBody({ clientId: target.clientId, sentAt: now, nonce: randomBytes(8) });
  const mac = createHmac('sha256', Buffer.from(target.credentialHash, 'hex')).update(body).digest();
  return Buffer.concat([body, mac]);
}

/** An IPv4 peer seen on a dual-stack socket ("::ffff:10.0.0.5") is sent to as IPv4. */
function plainAddress(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

/**
 * Sends the wake; resolves once the first datagram left (or could not), the
 * repeats follow on their own. Never throws: a wake is best effort.
 */
export async function sendWake(target: WakeTarget): Promise<boolean> {
  const address = plainAddress(target.address);
  const family = net.isIP(address);
  if (family === 0) {
    log.warn('jump wake: not an IP address', { clientId: target.clientId });
    return false;
  }
  const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
  socket.unref();
  socket.on('error', (e) => log.warn('jump wake failed', { clientId: target.clientId, error: e.message }));
  const send = () => new Promise<boolean>((resolve) => {
    socket.send(wakeDatagram(target), target.port, address, (err) => {
      if (err) log.warn('jump wake not sent', { clientId: target.clientId, error: err.message });
      resolve(!err);
    });
  });
  const first = await send();
  const repeats = WAKE_REPEATS_AT_MS.slice(1).map((ms) => new Promise<void>((resolve) => setTimeout(() => void send().then(() => resolve()), ms).unref()));
  void Promise.all(repeats).finally(() => socket.close());
  return first;
}
