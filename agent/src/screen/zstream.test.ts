import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ZPAL_TRAILER } from '../../../shared/channel.js';
import { DeflateStream, DisposedError } from './zstream.js';

describe('DeflateStream', () => {
  it('each piece, with the trailer it leaves out put back, inflates as soon as it arrives, given the pieces before it; only the first says reset', async () => {
    const z = new DeflateStream();
    const parts = [Buffer.from('hello hello hello'), randomBytes(300_000), Buffer.from('hello again')];
    const out = await Promise.all(parts.map((p) => z.compress(p)));
    expect(out.map((o) => o.reset)).toEqual([true, false, false]);
    const inflate = zlib.createInflate({ readableHighWaterMark: 1 << 30 } as zlib.ZlibOptions);
    for (let i = 0; i < parts.length; i++) {
      expect(out[i]!.data.subarray(-4).equals(ZPAL_TRAILER)).toBe(false);
      inflate.write(out[i]!.data);
      inflate.write(ZPAL_TRAILER);
      const got = await new Promise<Buffer>((resolve) =>
        inflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
          const chunks: Buffer[] = [];
          for (let c: Buffer | null; (c = inflate.read() as Buffer | null) !== null; ) chunks.push(c);
          resolve(Buffer.concat(chunks));
        }),
      );
      expect(got.equals(parts[i]!)).toBe(true);
    }
    z.dispose();
  });

  it('disposing rejects what is still compressing instead of leaving it pending', async () => {
    const z = new DeflateStream();
    const pending = [z.compress(randomBytes(2_000_000)), z.compress(randomBytes(10))];
    z.dispose();
    for (const p of pending) await expect(p).rejects.toBeInstanceOf(DisposedError);
    await expect(z.compress(Buffer.from('x'))).rejects.toBeInstanceOf(DisposedError);
  });
});
