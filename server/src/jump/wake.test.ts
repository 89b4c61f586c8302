/** The server's wake: signed datagrams, repeated, to the client's address, over real UDP. */
import { createHmac } from 'node:crypto';
import dgram from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { parseWake } from '../../../shared/jump.js';
import { sha256 } from '../crypto.js';
import { sendWake } from './wake.js';

describe('sendWake', () => {
  it('sends a few datagrams signed with the credential hash, each with its own nonce', async () => {
    const socket = dgram.createSocket('udp4');
    const got: Buffer[] = [];
    socket.on('message', (m) => got.push(m));
    await new Promise<void>((r) => socket.bind(0, '127.0.0.1', () => r()));
    try {
      const credentialHash = sha256('the-credential');
      const before = Date.now();
      // An IPv4 client seen on the server's dual-stack socket.
      expect(await sendWake({ clientId: 7, credentialHash, address: '::ffff:127.0.0.1', port: socket.address().port })).toBe(true);
      await expect.poll(() => got.length, { timeout: 5000 }).toBe(3);
      const nonces = new Set<string>();
      for (const d of got) {
        const wake = parseWake(d)!;
        expect(wake.body.clientId).toBe(7);
        expect(wake.body.sentAt).toBeGreaterThanOrEqual(before);
        const mac = createHmac('sha256', Buffer.from(credentialHash, 'hex')).update(wake.signed).digest();
        expect(Buffer.from(wake.mac).equals(mac)).toBe(true);
        nonces.add(Buffer.from(wake.body.nonce).toString('hex'));
      }
      expect(nonces.size).toBe(3);
    } finally {
      socket.close();
    }
  });

  it('does not throw for an address that is not one', async () => {
    expect(await sendWake({ clientId: 7, credentialHash: sha256('x'), address: 'unknown', port: 9 })).toBe(false);
  });
});
