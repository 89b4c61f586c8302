import sharp from 'sharp';
import type { EncodingName } from '../../../shared/channel.js';
import type { CapturedRect, PixelOrder } from '../platform/types.js';
import { bitsFor, encodeIndexedPng, indexColours, packRows, type IndexedImage } from './png.js';
import { LOSSLESS, type QualitySetting } from './quality.js';
import type { DeflateStream } from './zstream.js';

export interface EncodedRect {
  encoding: EncodingName;
  data: Uint8Array;
  /** zpal only: the first rect of a new deflate stream. */
  resetStream?: boolean;
}

// Levels 1-3 are zlib's fast path; 3 saves about a fifth of the bytes of 1 on
// anti-aliased text for a fraction of a millisecond more.
const PNG_LEVEL = 3;
/** Below this, JPEG saves nothing worth its artefacts (its headers alone are ~600 bytes). */
const JPEG_MIN_PIXELS = 64 * 64;
const SAMPLES = 1024;
/** At this quality and below (low, auto on the slowest links) bytes matter more than crisp edges. */
const JPEG_ANYTHING_AT = 30;
/** Grey mode posterizes to this many levels: text keeps its anti-aliasing, and its PNG stays tiny. */
const GREY_LEVELS = 16;

/**
 * Photographs and gradients have a different colour in almost every pixel;
 * text, even anti-aliased, is mostly a few flat colours. Counting distinct
 * colours over an even sample tells them apart without looking at every pixel.
 */
function looksPhotographic(pixels: Uint32Array): boolean {
  const step = Math.max(1, Math.floor(pixels.length / SAMPLES));
  const seen = new Set<number>();
  let sampled = 0;
  for (let i = 0; i < pixels.length; i += step, sampled++) seen.add(pixels[i]! & 0xffffff);
  return seen.size * 4 > sampled;
}

/** Exchanges the bytes at bits 0-7 and 16-23 of a word (BGRX <-> RGBA) and sets the top byte. */
const swapRedBlue = (v: number) => (0xff000000 | ((v & 0xff) << 16) | (v & 0xff00) | ((v >>> 16) & 0xff)) >>> 0;

/** BGRX pixels as RGBA, for sharp; only photographic rects, which are the few, pay for it. */
function toRgba(pixels: Uint32Array): Buffer {
  const out = Buffer.allocUnsafe(pixels.length * 4);
  const to = new Uint32Array(out.buffer, out.byteOffset, pixels.length);
  for (let i = 0; i < pixels.length; i++) to[i] = swapRedBlue(pixels[i]!);
  return out;
}

/**
 * Palette indices of the rect being encoded: they are read only before its
 * first await (packing the rows), so one buffer serves every rect in turn
 * instead of two megabytes a full-screen frame.
 */
let indexScratch = new Uint8Array(0);
function indicesFor(n: number): Uint8Array {
  if (indexScratch.length < n) indexScratch = new Uint8Array(n);
  return indexScratch;
}

/**
 * Encodes one captured rectangle: one colour -> 'solid' (4 bytes RGBA); up to
 * 256 colours -> palette PNG, in every mode (on terminal text it is 5-10 times
 * smaller than even a quality-30 JPEG, and exact); more colours ->
 * truecolour PNG when lossless; JPEG at the setting's quality for
 * photographic content, and at JPEG_ANYTHING_AT or below for anything else
 * too (anti-aliased text on a gradient). Grey mode turns the pixels into
 * GREY_LEVELS levels of luma first (photographic content: JPEG of the luma).
 */
export async function encodeRectPixels({ rect, rgba, order = 'rgba' }: CapturedRect, quality: QualitySetting = LOSSLESS, zstream?: DeflateStream): Promise<EncodedRect> {
  const { w, h } = rect;
  if (w <= 0 || h <= 0 || rgba.length !== w * h * 4) throw new RangeError(`bad captured rect ${w}x${h} with ${rgba.length} bytes`);
  // Word access needs 4-byte alignment, which a pooled Buffer slice may lack.
  const bytes = rgba.byteOffset % 4 === 0 ? rgba : Buffer.from(rgba);
  const pixels = new Uint32Array(bytes.buffer, bytes.byteOffset, w * h);
  if (quality.effective === 'grey') return encodeGrey(w, h, pixels, order, quality.jpegQuality, zstream);

  const indexed = indexColours(pixels, indicesFor(pixels.length));
  // From here on the palette is RGBA, whatever order the pixels came in.
  if (indexed && order === 'bgrx') indexed.palette = indexed.palette.map(swapRedBlue);
  if (indexed?.palette.length === 1) return { encoding: 'solid', data: rgbaBytes(indexed.palette[0]!) };
  if (indexed) return encodeIndexed(w, h, indexed, zstream);

  const image = sharp(order === 'bgrx' ? toRgba(pixels) : rgba, { raw: { width: w, height: h, channels: 4 } }).removeAlpha();
  const lossy = quality.effective === 'jpeg' && w * h >= JPEG_MIN_PIXELS;
  if (lossy && (quality.jpegQuality <= JPEG_ANYTHING_AT || looksPhotographic(pixels))) {
    return { encoding: 'jpeg', data: await image.jpeg({ quality: quality.jpegQuality }).toBuffer() };
  }
  return { encoding: 'png', data: await image.png({ compressionLevel: PNG_LEVEL }).toBuffer() };
}

/**
 * A palette image: through the session's deflate stream as zpal when there is
 * one (see shared/channel.ts), else as a palette PNG. zpal drops PNG's ~100
 * bytes of chunks and compresses against everything sent before it, which is
 * what makes a typed character cost tens of bytes rather than hundreds.
 */
async function encodeIndexed(w: number, h: number, indexed: IndexedImage, zstream: DeflateStream | undefined): Promise<EncodedRect> {
  if (!zstream) return { encoding: 'png', data: await encodeIndexedPng(w, h, indexed) };
  const { palette, indices } = indexed;
  const head = 1 + palette.length * 3;
  const raw = packRows(w, h, indices, bitsFor(palette.length), head);
  raw[0] = palette.length - 1;
  palette.forEach((c, i) => {
    raw[1 + i * 3] = c & 0xff;
    raw[2 + i * 3] = (c >>> 8) & 0xff;
    raw[3 + i * 3] = (c >>> 16) & 0xff;
  });
  const { data, reset } = await zstream.compress(raw);
  return { encoding: 'zpal', data, resetStream: reset };
}

const rgbaBytes = (c: number) => Uint8Array.of(c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, 255);

async function encodeGrey(w: number, h: number, pixels: Uint32Array, order: PixelOrder, jpegQuality: number, zstream?: DeflateStream): Promise<EncodedRect> {
  const luma = Buffer.allocUnsafe(pixels.length);
  const levels = new Uint32Array(pixels.length);
  const step = 255 / (GREY_LEVELS - 1);
  const [rShift, bShift] = order === 'bgrx' ? [16, 0] : [0, 16];
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]!;
    // ITU-R BT.601 weights in 8-bit fixed point.
    const y = (((v >>> rShift) & 0xff) * 77 + ((v >>> 8) & 0xff) * 150 + ((v >>> bShift) & 0xff) * 29) >> 8;
    luma[i] = y;
    const l = Math.round(Math.round(y / step) * step);
    levels[i] = (0xff000000 | (l << 16) | (l << 8) | l) >>> 0;
  }
  if (pixels.length >= JPEG_MIN_PIXELS && looksPhotographic(pixels)) {
    const data = await sharp(luma, { raw: { width: w, height: h, channels: 1 } }).jpeg({ quality: jpegQuality }).toBuffer();
    return { encoding: 'jpeg', data };
  }
  // At most GREY_LEVELS colours, so always indexable.
  const indexed = indexColours(levels)!;
  if (indexed.palette.length === 1) {
    const l = indexed.palette[0]! & 0xff;
    return { encoding: 'solid', data: Uint8Array.of(l, l, l, 255) };
  }
  return encodeIndexed(w, h, indexed, zstream);
}
