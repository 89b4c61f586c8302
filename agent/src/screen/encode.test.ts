import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { encodeRectPixels } from './encode.js';
import { LOSSLESS, type QualitySetting } from './quality.js';

const jpeg = (q: number): QualitySetting => ({ effective: 'jpeg', jpegQuality: q });
const GREY: QualitySetting = { effective: 'grey', jpegQuality: 30 };

/** An RGBA image whose pixel (x, y) has the colour `colour(x, y)` = [r, g, b]. */
function image(w: number, h: number, colour: (x: number, y: number) => number[]) {
  const rgba = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r = 0, g = 0, b = 0] = colour(x, y);
      rgba.set([r, g, b, 255], (y * w + x) * 4);
    }
  }
  return { rect: { x: 0, y: 0, w, h }, rgba };
}

async function decode(data: Uint8Array) {
  const { data: rgba, info } = await sharp(data).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { rgba, w: info.width, h: info.height };
}

/** A few colours in a pattern that does not repeat cleanly, like glyphs on a background. */
const textLike = (colours: number) => (x: number, y: number) => {
  const i = (x * 7 + y * 13 + ((x * y) >> 3)) % colours;
  return [(i * 37) & 255, (i * 91) & 255, (i * 53 + (i >> 8)) & 255];
};

describe('encodeRectPixels', () => {
  it('sends one colour as solid RGBA', async () => {
    const out = await encodeRectPixels(image(300, 200, () => [10, 20, 30]));
    expect(out.encoding).toBe('solid');
    expect([...out.data]).toEqual([10, 20, 30, 255]);
  });

  it.each([2, 3, 4, 5, 16, 17, 200, 256])('sends %i colours as a pixel-exact palette PNG', async (colours) => {
    // Odd widths: rows of sub-byte pixels end mid-byte.
    for (const w of [1, 7, 37, 301]) {
      const input = image(w, 23, textLike(colours));
      const out = await encodeRectPixels(input);
      expect(out.encoding).toBe('png');
      const decoded = await decode(out.data);
      expect([decoded.w, decoded.h]).toEqual([w, 23]);
      expect(decoded.rgba.equals(input.rgba)).toBe(true);
    }
  });

  // Dark text on light paper, with 600 different edge shades sprinkled in.
  const antiAliased = () =>
    image(640, 200, (x, y) => {
      if ((x + y * 3) % 97 === 0) return [(x * 5) & 255, (y * 3) & 255, (x + y) % 6];
      return x % 9 < 2 && y % 16 < 11 ? [30, 30, 30] : [250, 246, 227];
    });
  const photo = () => {
    let seed = 7;
    const noise = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % 16) - 8;
    return image(256, 256, (x, y) => [x + noise(), y + noise(), 128 + noise()]);
  };
  const meanError = (a: Buffer, b: Buffer) => {
    let error = 0;
    for (let i = 0; i < a.length; i++) error += Math.abs(a[i]! - b[i]!);
    return error / a.length;
  };

  it.each([LOSSLESS, jpeg(75)])('keeps anti-aliased text (hundreds of colours, mostly flat) lossless at %o', async (quality) => {
    const input = antiAliased();
    const out = await encodeRectPixels(input, quality);
    expect(out.encoding).toBe('png');
    expect((await decode(out.data)).rgba.equals(input.rgba)).toBe(true);
  });

  it('sends even anti-aliased text as JPEG at low quality', async () => {
    const out = await encodeRectPixels(antiAliased(), jpeg(30));
    expect(out.encoding).toBe('jpeg');
  });

  it('sends photographic content as JPEG when the setting allows, and lossless when best', async () => {
    const input = photo();
    const lossy = await encodeRectPixels(input, jpeg(75));
    expect(lossy.encoding).toBe('jpeg');
    expect(meanError((await decode(lossy.data)).rgba, input.rgba)).toBeLessThan(8);
    const lower = await encodeRectPixels(input, jpeg(45));
    expect(lower.data.length).toBeLessThan(lossy.data.length);

    const exact = await encodeRectPixels(input, LOSSLESS);
    expect(exact.encoding).toBe('png');
    expect((await decode(exact.data)).rgba.equals(input.rgba)).toBe(true);
  });

  it('keeps palette content exact in lossy modes: it is smaller as PNG', async () => {
    const input = image(300, 120, textLike(5));
    const out = await encodeRectPixels(input, jpeg(30));
    expect(out.encoding).toBe('png');
    expect((await decode(out.data)).rgba.equals(input.rgba)).toBe(true);
  });

  it.each([
    ['text', () => image(300, 120, textLike(40))],
    ['a photograph', photo],
    ['one colour', () => image(64, 64, () => [200, 30, 90])],
  ])('sends nothing but grey in grey mode (%s)', async (_, make) => {
    const out = await encodeRectPixels(make(), GREY);
    const rgba = out.encoding === 'solid' ? Buffer.from(out.data) : (await decode(out.data)).rgba;
    let coloured = 0;
    for (let i = 0; i < rgba.length; i += 4) if (rgba[i + 1] !== rgba[i] || rgba[i + 2] !== rgba[i]) coloured++;
    expect(coloured).toBe(0);
  });

  it('keeps the brightness in grey mode', async () => {
    const out = await encodeRectPixels(image(100, 100, (x) => (x < 50 ? [255, 255, 255] : [0, 0, 0])), GREY);
    const { rgba } = await decode(out.data);
    expect([rgba[0], rgba[(100 * 100 - 1) * 4]]).toEqual([255, 0]);
  });

  it('keeps small many-coloured areas lossless', async () => {
    const input = image(32, 32, (x, y) => [x * 8, y * 8, (x * y) & 255]);
    const out = await encodeRectPixels(input);
    expect(out.encoding).toBe('png');
    expect((await decode(out.data)).rgba.equals(input.rgba)).toBe(true);
  });

  it('accepts pixels at an unaligned offset', async () => {
    const { rect, rgba } = image(33, 9, textLike(3));
    const shifted = Buffer.alloc(rgba.length + 1);
    rgba.copy(shifted, 1);
    const out = await encodeRectPixels({ rect, rgba: shifted.subarray(1) });
    expect((await decode(out.data)).rgba.equals(rgba)).toBe(true);
  });

  /** The same image in the X server's order, with a padding byte that varies from pixel to pixel. */
  const asBgrx = ({ rect, rgba }: { rect: { x: number; y: number; w: number; h: number }; rgba: Buffer }) => {
    const out = Buffer.alloc(rgba.length);
    for (let i = 0; i < rgba.length; i += 4) out.set([rgba[i + 2]!, rgba[i + 1]!, rgba[i]!, (i * 31) & 255], i);
    return { rect, rgba: out, order: 'bgrx' as const };
  };

  it.each([
    ['one colour', () => image(64, 64, () => [200, 30, 90]), LOSSLESS],
    ['a palette', () => image(37, 23, textLike(5)), LOSSLESS],
    ['many colours', () => image(32, 32, (x, y) => [x * 8, y * 8, (x * y) & 255]), LOSSLESS],
    ['a photograph', photo, jpeg(70)],
    ['text in grey', () => image(300, 120, textLike(40)), GREY],
  ])('pixels in the X server\'s order (BGRX) encode as their RGBA twin does (%s)', async (_, make, quality) => {
    const rgba = await encodeRectPixels(make(), quality);
    const bgrx = await encodeRectPixels(asBgrx(make()), quality);
    expect(bgrx.encoding).toBe(rgba.encoding);
    expect(Buffer.from(bgrx.data).equals(Buffer.from(rgba.data))).toBe(true);
  });

  it('refuses pixels that do not match the rectangle', async () => {
    await expect(encodeRectPixels({ rect: { x: 0, y: 0, w: 2, h: 2 }, rgba: Buffer.alloc(12) })).rejects.toThrow(RangeError);
  });
});
