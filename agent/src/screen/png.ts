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

/** Maps every pixel to a palette index, or returns null as soon as a 257th colour shows up. */
export function indexColours(pixels: Uint32Array): IndexedImage | null {
  const palette: number[] = [];
  const lookup = new Map<number, number>();
  const indices = new Uint8Array(pixels.length);
  let last = -1;
  let lastIndex = 0;
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]!;
    // Runs of one colour are the common case: skip the map for them.
    if (v !== last) {
      let index = lookup.get(v);
      if (index === undefined) {
        if (palette.length === 256) return null;
        index = palette.length;
        palette.push(v);
        lookup.set(v, index);
      }
      last = v;
      lastIndex = index;
    }
    indices[i] = lastIndex;
  }
  return { palette, indices };
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

export async function encodeIndexedPng(width: number, height: number, { palette, indices }: IndexedImage): Promise<Buffer> {
  // The smallest bit depth that holds the palette: fewer bytes to deflate and to send.
  const bits = palette.length <= 2 ? 1 : palette.length <= 4 ? 2 : palette.length <= 16 ? 4 : 8;
  const perByte = 8 / bits;
  const stride = 1 + Math.ceil(width / perByte); // leading filter byte 0 (None) per row
  const rows = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    if (bits === 8) {
      rows.set(indices.subarray(y * width, (y + 1) * width), y * stride + 1);
      continue;
    }
    let o = y * stride + 1;
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
