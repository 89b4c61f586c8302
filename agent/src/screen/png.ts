/**
 * Palette PNG writer for images of at most 256 colours. sharp's palette output
 * goes through libimagequant, which is lossy even when the image has two
 * colours (it posterizes at the fast settings) and spends ~20 ms quantizing a
 * full screen; here the palette is exact by construction and a full screen of
 * terminal text comes out 3-6 times smaller than sharp's truecolour PNG.
 */
import { promisify } from 'node:util';
import { crc32, deflate, deflateSync } from 'node:zlib';

const deflateAsync = promisify(deflate);
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const COLOUR_TYPE_PALETTE = 3;
const COLOUR_TYPE_RGBA = 6;
// Pixel indices repeat a lot (text on a flat background), so a middle level
// costs little time here and roughly halves the output of level 1.
const DEFLATE_LEVEL = 6;

export interface IndexedImage {
  /** Colours as read from RGBA memory in little-endian words: 0xAABBGGRR. */
  palette: number[];
  /** One palette index per pixel. */
  indices: Uint8Array;
}

/** The top byte of a pixel's word (alpha, or X's meaningless padding) set: every colour opaque. */
const OPAQUE = 0xff000000 | 0;

/**
 * Maps every pixel to a palette index, or returns null as soon as a 257th
 * colour shows up. A full screen is two million pixels, so the common cases
 * stay off the Map: runs of one colour, and a small direct-mapped cache of
 * recent colours (text alternates between two or three). The palette's
 * colours are the pixels' words with the top byte set, so the X server's
 * padding byte never tells two pixels of one colour apart. `into` (at least
 * one byte a pixel) saves allocating the indices.
 */
export function indexColours(pixels: Uint32Array, into?: Uint8Array): IndexedImage | null {
  // As int32, colours stay small integers for V8; as uint32, half of them are doubles.
  const words = new Int32Array(pixels.buffer, pixels.byteOffset, pixels.length);
  const palette: number[] = [];
  const lookup = new Map<number, number>();
  const indices = into && into.length >= pixels.length ? into.subarray(0, pixels.length) : new Uint8Array(pixels.length);
  const cacheKey = new Int32Array(CACHE_SLOTS);
  const cacheIndex = new Int16Array(CACHE_SLOTS).fill(-1);
  let last = words.length > 0 ? ~(words[0]! | OPAQUE) : 0;
  let lastIndex = 0;
  for (let i = 0; i < words.length; i++) {
    const v = words[i]! | OPAQUE;
    if (v !== last) {
      const slot = Math.imul(v, 0x9e3779b1) >>> (32 - CACHE_BITS);
      let index = cacheIndex[slot]!;
      if (index < 0 || cacheKey[slot] !== v) {
        let found = lookup.get(v);
        if (found === undefined) {
          if (palette.length === 256) return null;
          found = palette.length;
          palette.push(v >>> 0);
          lookup.set(v, found);
        }
        index = found;
        cacheKey[slot] = v;
        cacheIndex[slot] = index;
      }
      last = v;
      lastIndex = index;
    }
    indices[i] = lastIndex;
  }
  return { palette, indices };
}

const CACHE_BITS = 6;
const CACHE_SLOTS = 1 << CACHE_BITS;

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** The smallest bit depth that holds a palette of this many colours. */
export function bitsFor(colours: number): 1 | 2 | 4 | 8 {
  return colours <= 2 ? 1 : colours <= 4 ? 2 : colours <= 16 ? 4 : 8;
}

/**
 * Packs indices `bits` to a byte, most significant first, each row starting
 * on a byte; `at` bytes are left free before the first row and `gap` before
 * every row (PNG's filter byte).
 */
export function packRows(width: number, height: number, indices: Uint8Array, bits: number, at = 0, gap = 0): Buffer {
  const perByte = 8 / bits;
  const stride = gap + Math.ceil(width / perByte);
  const rows = Buffer.alloc(at + stride * height);
  for (let y = 0; y < height; y++) {
    let o = at + y * stride + gap;
    if (bits === 8) {
      rows.set(indices.subarray(y * width, (y + 1) * width), o);
      continue;
    }
    let acc = 0;
    let n = 0;
    for (let i = y * width, end = i + width; i < end; i++) {
      acc = (acc << bits) | indices[i]!;
      if (++n === perByte) {
        rows[o++] = acc;
        acc = 0;
        n = 0;
      }
    }
    if (n > 0) rows[o] = acc << (8 - n * bits);
  }
  return rows;
}

export async function encodeIndexedPng(width: number, height: number, { palette, indices }: IndexedImage): Promise<Buffer> {
  // The smallest bit depth that holds the palette: fewer bytes to deflate and to send.
  const bits = bitsFor(palette.length);
  const rows = packRows(width, height, indices, bits, 0, 1); // leading filter byte 0 (None) per row

  const plte = Buffer.alloc(palette.length * 3);
  palette.forEach((c, i) => {
    plte[i * 3] = c & 0xff;
    plte[i * 3 + 1] = (c >>> 8) & 0xff;
    plte[i * 3 + 2] = (c >>> 16) & 0xff;
  });
  const idat = await deflateAsync(rows, { level: DEFLATE_LEVEL });
  return Buffer.concat([SIGNATURE, ihdr(width, height, bits, COLOUR_TYPE_PALETTE), chunk('PLTE', plte), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]);
}

function ihdr(width: number, height: number, bits: number, colourType: number): Buffer {
  const header = Buffer.alloc(13); // compression, filter and interlace methods stay 0
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = bits;
  header[9] = colourType;
  return chunk('IHDR', header);
}

/**
 * Truecolour-with-alpha PNG, synchronously: for pointer shapes, a few
 * kilobytes at most, whose message must go out before the position that
 * names it (an await would let that overtake it).
 */
export function encodeRgbaPng(width: number, height: number, rgba: Uint8Array): Buffer {
  const stride = 1 + width * 4;
  const rows = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) rows.set(rgba.subarray(y * width * 4, (y + 1) * width * 4), y * stride + 1);
  const idat = deflateSync(rows, { level: DEFLATE_LEVEL });
  return Buffer.concat([SIGNATURE, ihdr(width, height, 8, COLOUR_TYPE_RGBA), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]);
}
