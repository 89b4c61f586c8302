import { describe, expect, it } from 'vitest';
import { ZpalDecoder, ZpalStreamError } from './zpal.js';

const hex = (s: string) => new Uint8Array(s.match(/../g)!.map((b) => parseInt(b, 16)));
/**
 * Two rects as the agent's deflate stream sends them (Node zlib, level 6, a sync
 * flush after each, less its 00 00 ff ff trailer): A is 5x2 in red, green, blue (2 bits an index), rows
 * [0 1 2 0 1] [2 2 2 1 0]; B is 3x1 in white, black (1 bit), [1 0 1].
 */
const A = '789c62facfc0c000c6120e2b190000';
const B = '62fcff1fc45e0000';

const R = [255, 0, 0, 255];
const G = [0, 255, 0, 255];
const BL = [0, 0, 255, 255];
const W = [255, 255, 255, 255];
const K = [0, 0, 0, 255];

describe('ZpalDecoder', () => {
  it('inflates consecutive rects of one stream into their exact pixels', async () => {
    const z = new ZpalDecoder();
    const a = z.decode(hex(A), { w: 5, h: 2, reset: true });
    const b = z.decode(hex(B), { w: 3, h: 1, reset: false });
    expect([...(await a)]).toEqual([R, G, BL, R, G, BL, BL, BL, G, R].flat());
    expect([...(await b)]).toEqual([K, W, K].flat());
    z.dispose();
  });

  it('a reset flag starts a new stream, so a second session decodes from its own first rect', async () => {
    const z = new ZpalDecoder();
    await z.decode(hex(A), { w: 5, h: 2, reset: true });
    await z.decode(hex(B), { w: 3, h: 1, reset: false });
    const again = await z.decode(hex(A), { w: 5, h: 2, reset: true });
    expect([...again]).toEqual([R, G, BL, R, G, BL, BL, BL, G, R].flat());
    z.dispose();
  });

  it('refuses a rect of a stream whose start it never saw, with an error that says the stream is lost', async () => {
    const z = new ZpalDecoder();
    const err = await z.decode(hex(B), { w: 3, h: 1, reset: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZpalStreamError);
    expect(String(err)).toMatch(/no stream started/);
  });

  it('a rect whose size disagrees with its inflated bytes breaks the stream until the next reset', async () => {
    const z = new ZpalDecoder();
    const err = await z.decode(hex(A), { w: 3, h: 2, reset: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZpalStreamError);
    await expect(z.decode(hex(B), { w: 3, h: 1, reset: false })).rejects.toThrow(/stream failed/);
    expect([...(await z.decode(hex(A), { w: 5, h: 2, reset: true }))]).toHaveLength(40);
    z.dispose();
  });

  it('garbage instead of deflate data is an error, not a hang', async () => {
    const z = new ZpalDecoder();
    await expect(z.decode(hex('00112233445566778899'), { w: 3, h: 1, reset: true })).rejects.toBeInstanceOf(ZpalStreamError);
    z.dispose();
  });

  it('a rect that inflates to fewer bytes than its size is an error after a while, not a screen frozen for ever', async () => {
    const z = new ZpalDecoder(50);
    const err = await z.decode(hex(A), { w: 5, h: 4, reset: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ZpalStreamError);
    expect(String(err)).toMatch(/fewer bytes/);
    z.dispose();
  });

  it('a new stream that starts while a broken rect is still inflating is not taken down with the old one', async () => {
    const z = new ZpalDecoder(50);
    const short = z.decode(hex(A), { w: 5, h: 4, reset: true });
    const fresh = z.decode(hex(A), { w: 5, h: 2, reset: true });
    const next = z.decode(hex(B), { w: 3, h: 1, reset: false });
    await expect(short).rejects.toBeInstanceOf(ZpalStreamError);
    expect([...(await fresh)]).toEqual([R, G, BL, R, G, BL, BL, BL, G, R].flat());
    expect([...(await next)]).toEqual([K, W, K].flat());
    z.dispose();
  });

  it('refuses a rect larger than any screen before inflating anything', async () => {
    const z = new ZpalDecoder();
    await expect(z.decode(hex(A), { w: 65535, h: 65535, reset: true })).rejects.toThrow(/larger than any screen/);
    z.dispose();
  });
});
