import sharp from 'sharp';
import type { EncodingName } from '../../../shared/channel.js';
import type { CapturedRect } from '../platform/types.js';
import { encodeIndexedPng, indexColours } from './png.js';

export interface EncodedRect {
  encoding: EncodingName;
  data: Uint8Array;
}

const JPEG_QUALITY = 75;
// Levels 1-3 are zlib's fast path; 3 saves about a fifth of the bytes of 1 on
// anti-aliased text for a fraction of a millisecond more.
const PNG_LEVEL = 3;
/** Below this, JPEG saves nothing worth its artefacts. */
const JPEG_MIN_PIXELS = 64 * 64;
const SAMPLES = 1024;

/**
 * Photographs and gradients have a different colour in almost every pixel;
 * text, even anti-aliased, is mostly a few flat colours. Counting distinct
 * colours over an even sample tells them apart without looking at every pixel.
 */
function looksPhotographic(pixels: Uint32Array): boolean {
  const step = Math.max(1, Math.floor(pixels.length / SAMPLES));
  const seen = new Set<number>();
  let sampled = 0;
  for (let i = 0; i < pixels.length; i += step, sampled++) seen.add(pixels[i]!);
  return seen.size * 4 > sampled;
}

/**
 * Encodes one captured rectangle: one colour -> 'solid' (4 bytes RGBA); up to
 * 256 colours -> palette PNG; photographic -> JPEG; anything else -> truecolour
 * PNG. The PNGs are pixel-exact.
 */
export async function encodeRectPixels({ rect, rgba }: CapturedRect): Promise<EncodedRect> {
  const { w, h } = rect;
  if (w <= 0 || h <= 0 || rgba.length !== w * h * 4) throw new RangeError(`bad captured rect ${w}x${h} with ${rgba.length} bytes`);
  // Word access needs 4-byte alignment, which a pooled Buffer slice may lack.
  const bytes = rgba.byteOffset % 4 === 0 ? rgba : Buffer.from(rgba);
  const pixels = new Uint32Array(bytes.buffer, bytes.byteOffset, w * h);

  const indexed = indexColours(pixels);
  if (indexed?.palette.length === 1) return { encoding: 'solid', data: Uint8Array.from(rgba.subarray(0, 4)) };
  if (indexed) return { encoding: 'png', data: await encodeIndexedPng(w, h, indexed) };

  const image = sharp(rgba, { raw: { width: w, height: h, channels: 4 } }).removeAlpha();
  if (w * h >= JPEG_MIN_PIXELS && looksPhotographic(pixels)) {
    return { encoding: 'jpeg', data: await image.jpeg({ quality: JPEG_QUALITY }).toBuffer() };
  }
  return { encoding: 'png', data: await image.png({ compressionLevel: PNG_LEVEL }).toBuffer() };
}
