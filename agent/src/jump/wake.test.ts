/**
 * The wake listener on a real UDP socket: only a fresh, correctly signed
 * datagram for this client, seen once, wakes it, and a burst wakes it once.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeWakeBody, WAKE_MAX_AGE_MS } from '../../../shared/jump.js';
import { WAKE_MIN_GAP_MS, WakeListener } from './wake.js';

const CREDENTIAL = 'the-credential';

/** A datagram as the server signs it: HMAC keyed with SHA-256(credential). */
function datagram({ clientId = 3, sentAt = Date.now(), credential = CREDENTIAL, nonce = randomBytes(8) } = {}): Buffer {
  const body = encodeWakeBody({ clientId, sentAt, nonce });
  const key = createHash('sha256').update(credential).digest();
  return Buffer.concat([body, createHmac('sha256', key).update(body).digest()]);
}

const open: WakeListener[] = [];
afterEach(() => {
  for (const l of open.splice(0)) l.close();
});

function listener(now?: () => number) {
  const wakes: number[] = [];
  const logs: string[] = [];
  const l = new WakeListener({ port: 0, clientId: 3, credential: CREDENTIAL, onWake: () => wakes.push(1), log: (m) => logs.push(m), now });
  open.push(l);
  return { l, wakes, logs };
}

describe('the wake listener', () => {
  it('wakes on a signed datagram sent over UDP', async () => {
    const { l, wakes, logs } = listener();
    const port = await l.start();
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((r) => socket.send(datagram(), port, '127.0.0.1', () => r()));
    socket.close();
    await expect.poll(() => wakes.length).toBe(1);
    expect(logs).toContain('woken by the server: checking in now');
  });

  it('ignores datagrams that are not a valid wake for this client, and says why once', () => {
    const { l, wakes, logs } = listener();
    expect(l.receive(Buffer.from('hello'))).toBe(false);
    expect(l.receive(datagram({ credential: 'another-credential' }))).toBe(false);
    expect(l.receive(datagram({ clientId: 4 }))).toBe(false);
    expect(l.receive(datagram({ sentAt: Date.now() - WAKE_MAX_AGE_MS - 1000 }))).toBe(false);
    const tampered = datagram();
    tampered[10]! ^= 1;
    expect(l.receive(tampered)).toBe(false);
    expect(wakes).toHaveLength(0);
    // A flood is not logged datagram by datagram.
    expect(logs).toEqual(['ignored a wake datagram: not a wake datagram']);
  });

  it('refuses a replayed datagram, and wakes once for a burst', () => {
    let t = 1_000_000;
    const { l, wakes } = listener(() => t);
    const first = datagram({ sentAt: t });
    expect(l.receive(first)).toBe(true);
    t += WAKE_MIN_GAP_MS + 1;
    expect(l.receive(first)).toBe(false);
    expect(l.receive(datagram({ sentAt: t }))).toBe(true);
    expect(l.receive(datagram({ sentAt: t }))).toBe(false);
    expect(wakes).toHaveLength(2);
  });
});
