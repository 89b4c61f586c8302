/**
 * The framing both side channels (tools, files) use on their data channel.
 * Each message is binary and starts with a kind byte:
 *
 *   0x01 json      | utf-8 JSON, parsed against the channel's schema
 *   0x02 binary    | u32 stream id (LE), then raw bytes (shell output, file chunks)
 *   0x03 json part | u32 request id (LE), u8 last, then a utf-8 slice of a
 *                  | `result` too large for one message (a process list, a folder listing)
 *
 * No message exceeds LIMITS.channelMessageBytes.
 */
import type { z } from 'zod';
import { LIMITS } from './limits.js';

export const FRAME_JSON = 0x01;
export const FRAME_BINARY = 0x02;
export const FRAME_JSON_PART = 0x03;

/** Largest reassembled result a decoder accepts. */
export const MAX_JSON_RESULT_BYTES = 8 * 1024 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * One JSON message, or several `json part` messages when it is too large for
 * one; only results (`t: 'result'` with an `id`) may be split.
 */
export function encodeJsonFrames(msg: { t: string; id?: number }): Uint8Array[] {
  const json = encoder.encode(JSON.stringify(msg));
  if (json.length + 1 <= LIMITS.channelMessageBytes) {
    const out = new Uint8Array(json.length + 1);
    out[0] = FRAME_JSON;
    out.set(json, 1);
    return [out];
  }
  if (msg.t !== 'result' || msg.id === undefined) throw new Error(`message ${msg.t} is too large`);
  const room = LIMITS.channelMessageBytes - 6;
  const parts: Uint8Array[] = [];
  for (let off = 0; off < json.length; off += room) {
    const slice = json.subarray(off, off + room);
    const part = new Uint8Array(slice.length + 6);
    const v = new DataView(part.buffer);
    v.setUint8(0, FRAME_JSON_PART);
    v.setUint32(1, msg.id, true);
    v.setUint8(5, off + room >= json.length ? 1 : 0);
    part.set(slice, 6);
    parts.push(part);
  }
  return parts;
}

/** Raw bytes for stream `stream`, cut into as many messages as it takes. */
export function encodeBinaryFrames(stream: number, data: Uint8Array): Uint8Array[] {
  const room = LIMITS.channelMessageBytes - 5;
  const out: Uint8Array[] = [];
  for (let off = 0; off < data.length; off += room) {
    const slice = data.subarray(off, off + room);
    const msg = new Uint8Array(slice.length + 5);
    msg[0] = FRAME_BINARY;
    new DataView(msg.buffer).setUint32(1, stream, true);
    msg.set(slice, 5);
    out.push(msg);
  }
  return out;
}

export type DecodedFrame<T> =
  | { kind: 'message'; msg: T }
  | { kind: 'binary'; stream: number; data: Uint8Array }
  | { kind: 'invalid'; reason: string };

/**
 * Parses one channel direction's messages against `schema`, reassembling
 * `json part`s. Never throws: bad input is reported as `invalid`.
 */
export class FrameDecoder<T> {
  private readonly parts = new Map<number, { chunks: Uint8Array[]; bytes: number }>();

  constructor(private readonly schema: z.ZodType<T>, private readonly what: string) {}

  decode(buf: Uint8Array): DecodedFrame<T> | null {
    if (buf.length === 0 || buf.length > LIMITS.channelMessageBytes) return { kind: 'invalid', reason: 'bad message size' };
    const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    switch (buf[0]) {
      case FRAME_JSON:
        return this.parse(buf.subarray(1));
      case FRAME_BINARY:
        if (buf.length < 5) return { kind: 'invalid', reason: 'binary data truncated' };
        return { kind: 'binary', stream: v.getUint32(1, true), data: buf.subarray(5) };
      case FRAME_JSON_PART: {
        if (buf.length < 6) return { kind: 'invalid', reason: 'json part truncated' };
        const id = v.getUint32(1, true);
        const entry = this.parts.get(id) ?? { chunks: [], bytes: 0 };
        entry.chunks.push(buf.slice(6));
        entry.bytes += buf.length - 6;
        if (entry.bytes > MAX_JSON_RESULT_BYTES) {
          this.parts.delete(id);
          return { kind: 'invalid', reason: 'result too large' };
        }
        if (v.getUint8(5) !== 1) {
          this.parts.set(id, entry);
          return null;
        }
        this.parts.delete(id);
        const all = new Uint8Array(entry.bytes);
        let off = 0;
        for (const c of entry.chunks) {
          all.set(c, off);
          off += c.length;
        }
        return this.parse(all);
      }
      default:
        return { kind: 'invalid', reason: `unknown ${this.what} message kind ${buf[0]}` };
    }
  }

  private parse(bytes: Uint8Array): DecodedFrame<T> {
    let json: unknown;
    try {
      json = JSON.parse(decoder.decode(bytes));
    } catch {
      return { kind: 'invalid', reason: `${this.what} message is not JSON` };
    }
    const parsed = this.schema.safeParse(json);
    return parsed.success ? { kind: 'message', msg: parsed.data } : { kind: 'invalid', reason: `${this.what} message does not match the schema` };
  }
}

/** The `id` of a JSON request the decoder refused, so it can still be answered; null when there is none. */
export function requestIdOf(buf: Uint8Array): number | null {
  if (buf[0] !== FRAME_JSON) return null;
  try {
    const v: unknown = JSON.parse(decoder.decode(buf.subarray(1)));
    if (typeof v !== 'object' || v === null || !('id' in v) || ('t' in v && v.t === 'result')) return null;
    return Number.isSafeInteger(v.id) ? (v.id as number) : null;
  } catch {
    return null;
  }
}
