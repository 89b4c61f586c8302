/**
 * The peer connection carries one ordered, reliable data channel. Each message
 * is binary and starts with a kind byte:
 *
 *   0x01 control  | utf-8 JSON, parsed against `ControlMessage`
 *   0x02 rect     | a fragment of an encoded screen rectangle (see RECT_HEADER_BYTES)
 *   0x03 cursor   | a cursor shape: PNG, drawn by the console at the pointer (see CURSOR_HEADER_BYTES)
 *   0x04 controls | utf-8 JSON array of 2 to MAX_BATCH `ControlMessage`s, handled in order
 *                 | (what one task produced: a key's down and up, an ack and the input after it;
 *                 | each data-channel message costs an SCTP packet and its acknowledgement)
 *   0x05 input    | 1 to MAX_BATCH input and ack messages in binary, handled in order (see
 *                 | encodeInput): what the console sends most, at ~6 bytes each instead of ~40
 *
 * No message exceeds LIMITS.channelMessageBytes: an encoded rectangle larger
 * than that travels as several fragments, in order, each repeating the header
 * with its byte offset.
 */
import { z } from 'zod';
import { ERROR_CODES } from './errors.js';
import { LIMITS } from './limits.js';

export const KIND_CONTROL = 0x01;
export const KIND_RECT = 0x02;
export const KIND_CURSOR = 0x03;
export const KIND_CONTROLS = 0x04;
export const KIND_INPUT = 0x05;
export const MAX_BATCH = 64;

// ---------- control messages ----------

const coord = z.number().int().min(0).max(65535);

export const QualityMode = z.enum(['auto', 'best', 'low', 'grey']);
export type QualityMode = z.infer<typeof QualityMode>;

export const Monitor = z.object({
  id: z.string().max(64),
  name: z.string().max(64),
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  primary: z.boolean(),
});
export type Monitor = z.infer<typeof Monitor>;

/** `all` streams the whole X screen (every monitor); otherwise one monitor's id. */
export const MonitorChoice = z.string().min(1).max(64);

export const ClipboardSelection = z.enum(['clipboard', 'primary']);

export const ControlMessage = z.discriminatedUnion('t', [
  // console -> agent
  /** `heldMs`: how long the console kept the ack back to send it with other messages (the link meter subtracts it). */
  z.object({ t: z.literal('ack'), frame: z.number().int().min(0), heldMs: z.number().int().min(0).max(60_000).optional() }),
  z.object({ t: z.literal('pointer'), x: coord, y: coord }),
  z.object({ t: z.literal('button'), button: z.number().int().min(1).max(9), down: z.boolean() }),
  z.object({ t: z.literal('wheel'), dx: z.number().int().min(-100).max(100), dy: z.number().int().min(-100).max(100) }),
  z.object({ t: z.literal('key'), keysym: z.number().int().min(0).max(0x1ffffff), down: z.boolean() }),
  /** Release every key and button the console pressed (sent on focus loss). */
  z.object({ t: z.literal('release-all') }),
  z.object({ t: z.literal('refresh') }),
  /** Screen quality: auto adapts to measured throughput and RTT; grey is for very weak links. */
  z.object({ t: z.literal('quality'), mode: QualityMode }),
  z.object({ t: z.literal('monitor'), id: MonitorChoice }),
  // both ways, only while control is allowed; the agent enforces it
  z.object({ t: z.literal('clipboard'), selection: ClipboardSelection, text: z.string().max(LIMITS.clipboardChars) }),
  // agent -> console
  /** Size of the streamed area (the chosen monitor, or the whole screen); rect and pointer coordinates are relative to it. */
  z.object({ t: z.literal('screen'), width: z.number().int().positive(), height: z.number().int().positive() }),
  z.object({ t: z.literal('monitors'), monitors: z.array(Monitor).max(16), selected: MonitorChoice }),
  /** Pointer position in streamed-area coordinates and the shape to draw there (by serial; shapes arrive as cursor messages). */
  z.object({ t: z.literal('cursor-pos'), x: z.number().int(), y: z.number().int(), serial: z.number().int().min(0), visible: z.boolean() }),
  z.object({ t: z.literal('quality-changed'), mode: QualityMode, effective: z.enum(['lossless', 'jpeg', 'grey']), jpegQuality: z.number().int().min(1).max(100) }),
  z.object({ t: z.literal('consent'), view: z.boolean(), control: z.boolean() }),
  z.object({ t: z.literal('error'), code: z.enum(ERROR_CODES), message: z.string() }),
]);
export type ControlMessage = z.infer<typeof ControlMessage>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeControl(msg: ControlMessage): Uint8Array {
  const json = encoder.encode(JSON.stringify(msg));
  const out = new Uint8Array(json.length + 1);
  out[0] = KIND_CONTROL;
  out.set(json, 1);
  return out;
}

// Binary input records: a tag byte, then (little-endian)
//   key      u32: keysym | 0x80000000 when down
//   pointer  u16 x, u16 y
//   button   u8: button | 0x80 when down
//   wheel    i8 dx, i8 dy
//   ack      u32 frame, u16 heldMs
//   release-all  nothing
const INPUT_TAG = { key: 1, pointer: 2, button: 3, wheel: 4, ack: 5, 'release-all': 6 } as const;
type InputMessage = Extract<ControlMessage, { t: keyof typeof INPUT_TAG }>;
const INPUT_BYTES = { 1: 5, 2: 5, 3: 2, 4: 3, 5: 7, 6: 1 } as const;

const isInput = (m: ControlMessage): m is InputMessage =>
  m.t in INPUT_TAG && (m.t !== 'ack' || (m.frame <= 0xffffffff && (m.heldMs ?? 0) <= 0xffff));

/** Input and acks in binary (KIND_INPUT); every message must be one of those. */
function encodeInput(msgs: readonly InputMessage[]): Uint8Array {
  let n = 1;
  for (const m of msgs) n += INPUT_BYTES[INPUT_TAG[m.t]];
  const out = new Uint8Array(n);
  const v = new DataView(out.buffer);
  out[0] = KIND_INPUT;
  let o = 1;
  for (const m of msgs) {
    out[o] = INPUT_TAG[m.t];
    switch (m.t) {
      case 'key':
        v.setUint32(o + 1, (m.keysym | (m.down ? 0x80000000 : 0)) >>> 0, true);
        break;
      case 'pointer':
        v.setUint16(o + 1, m.x, true);
        v.setUint16(o + 3, m.y, true);
        break;
      case 'button':
        out[o + 1] = m.button | (m.down ? 0x80 : 0);
        break;
      case 'wheel':
        v.setInt8(o + 1, m.dx);
        v.setInt8(o + 2, m.dy);
        break;
      case 'ack':
        v.setUint32(o + 1, m.frame, true);
        v.setUint16(o + 5, m.heldMs ?? 0, true);
        break;
      case 'release-all':
        break;
    }
    o += INPUT_BYTES[INPUT_TAG[m.t]];
  }
  return out;
}

/** Null when a record is truncated or unknown; the messages still go through the schema. */
function decodeInput(buf: Uint8Array): unknown[] | null {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const msgs: unknown[] = [];
  for (let o = 1; o < buf.length; ) {
    const tag = buf[o]! as keyof typeof INPUT_BYTES;
    const size = INPUT_BYTES[tag];
    if (size === undefined || o + size > buf.length) return null;
    switch (tag) {
      case 1: {
        const word = v.getUint32(o + 1, true);
        msgs.push({ t: 'key', keysym: word & 0x7fffffff, down: word >= 0x80000000 });
        break;
      }
      case 2:
        msgs.push({ t: 'pointer', x: v.getUint16(o + 1, true), y: v.getUint16(o + 3, true) });
        break;
      case 3:
        msgs.push({ t: 'button', button: buf[o + 1]! & 0x7f, down: (buf[o + 1]! & 0x80) !== 0 });
        break;
      case 4:
        msgs.push({ t: 'wheel', dx: v.getInt8(o + 1), dy: v.getInt8(o + 2) });
        break;
      case 5: {
        const heldMs = v.getUint16(o + 5, true);
        msgs.push(heldMs ? { t: 'ack', frame: v.getUint32(o + 1, true), heldMs } : { t: 'ack', frame: v.getUint32(o + 1, true) });
        break;
      }
      case 6:
        msgs.push({ t: 'release-all' });
        break;
    }
    o += size;
  }
  return msgs;
}

const InputBatch = z.array(ControlMessage).min(1).max(MAX_BATCH);

/**
 * What one task sent, as one message: input and acks in binary (KIND_INPUT),
 * anything else as one control message, or a `controls` batch for several.
 */
export function encodeControls(msgs: readonly ControlMessage[]): Uint8Array {
  if (msgs.length === 0 || msgs.length > MAX_BATCH) throw new RangeError(`a batch holds 1 to ${MAX_BATCH} messages, not ${msgs.length}`);
  if (msgs.every(isInput)) return encodeInput(msgs);
  if (msgs.length === 1) return encodeControl(msgs[0]!);
  const json = encoder.encode(JSON.stringify(msgs));
  const out = new Uint8Array(json.length + 1);
  out[0] = KIND_CONTROLS;
  out.set(json, 1);
  return out;
}

const ControlBatch = z.array(ControlMessage).min(2).max(MAX_BATCH);

// ---------- screen rectangles ----------

/**
 * png/jpeg: image bytes; solid: 4 bytes RGBA; copy: u16 srcX, u16 srcY (LE) —
 * the console copies the w x h pixels it already shows at (srcX, srcY) to (x, y).
 *
 * zpal: a palette image as the next piece of the session's one zlib stream,
 * ending in a sync flush (00 00 ff ff), so it inflates as soon as it arrives,
 * given every zpal rect before it. Inflated, it is
 *   colours-1 u8 | colours x (R, G, B) | h rows of w indices
 * with 1, 2, 4 or 8 bits an index (the fewest that hold the palette), most
 * significant bits first, every row starting on a byte (see zpalLayout).
 * The first rect of a new stream (the agent starts one with each screen
 * stream, refresh and area change) has FLAG_RESET_STREAM; the console then
 * starts a new inflater, and a zpal rect without an inflater is an error.
 */
export const Encoding = { png: 1, jpeg: 2, solid: 3, copy: 4, zpal: 5 } as const;
export type EncodingName = keyof typeof Encoding;
const ENCODING_BY_ID = new Map<number, EncodingName>(Object.entries(Encoding).map(([k, v]) => [v, k as EncodingName]));

export const FLAG_END_OF_FRAME = 0x01;
export const FLAG_RESET_STREAM = 0x02;

/** Where a zpal rect's inflated parts are, given its width and palette size (its first inflated byte plus one). */
export function zpalLayout(w: number, colours: number): { bits: 1 | 2 | 4 | 8; paletteBytes: number; rowBytes: number } {
  const bits = colours <= 2 ? 1 : colours <= 4 ? 2 : colours <= 16 ? 4 : 8;
  return { bits, paletteBytes: colours * 3, rowBytes: Math.ceil((w * bits) / 8) };
}

/**
 * The console allocates a rectangle's whole size when its first fragment
 * arrives, and the agent is hostile input: bound it by the rectangle's area
 * (no encoding here needs more than 8 bytes a pixel plus headers) and overall.
 */
export const MAX_RECT_BYTES = 64 * 1024 * 1024;
export function maxEncodedRectBytes(w: number, h: number): number {
  return Math.min(MAX_RECT_BYTES, w * h * 8 + 64 * 1024);
}

/**
 * kind u8 | encoding u8 | flags u8 | reserved u8 | frame u32 |
 * x u16 | y u16 | w u16 | h u16 | total u32 | offset u32   (little-endian)
 */
export const RECT_HEADER_BYTES = 24;
export const MAX_FRAGMENT_PAYLOAD = LIMITS.channelMessageBytes - RECT_HEADER_BYTES;

export interface RectHeader {
  encoding: EncodingName;
  endOfFrame: boolean;
  /** zpal: this rect starts a new zlib stream. */
  resetStream: boolean;
  frame: number;
  x: number;
  y: number;
  w: number;
  h: number;
  /** Size of the whole encoded rectangle. */
  total: number;
  /** Where this fragment's bytes start within it. */
  offset: number;
}

export interface RectFragment extends RectHeader {
  payload: Uint8Array;
}

/** Splits one encoded rectangle into channel messages of at most LIMITS.channelMessageBytes. */
export function encodeRect(
  rect: Omit<RectHeader, 'total' | 'offset' | 'endOfFrame' | 'resetStream'> & { resetStream?: boolean },
  data: Uint8Array,
  endOfFrame: boolean,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  let offset = 0;
  do {
    const n = Math.min(MAX_FRAGMENT_PAYLOAD, data.length - offset);
    const last = offset + n >= data.length;
    const msg = new Uint8Array(RECT_HEADER_BYTES + n);
    const v = new DataView(msg.buffer);
    v.setUint8(0, KIND_RECT);
    v.setUint8(1, Encoding[rect.encoding]);
    v.setUint8(2, (last && endOfFrame ? FLAG_END_OF_FRAME : 0) | (rect.resetStream ? FLAG_RESET_STREAM : 0));
    v.setUint32(4, rect.frame, true);
    v.setUint16(8, rect.x, true);
    v.setUint16(10, rect.y, true);
    v.setUint16(12, rect.w, true);
    v.setUint16(14, rect.h, true);
    v.setUint32(16, data.length, true);
    v.setUint32(20, offset, true);
    msg.set(data.subarray(offset, offset + n), RECT_HEADER_BYTES);
    out.push(msg);
    offset += n;
  } while (offset < data.length);
  return out;
}

export type ChannelMessage =
  | { kind: 'control'; msg: ControlMessage }
  | { kind: 'controls'; msgs: ControlMessage[] }
  | { kind: 'rect'; fragment: RectFragment }
  | { kind: 'cursor'; cursor: CursorShape }
  | { kind: 'invalid'; reason: string };

/** Parses one data-channel message. Never throws: bad input is reported as `invalid`. */
export function decodeChannelMessage(buf: Uint8Array): ChannelMessage {
  if (buf.length === 0) return { kind: 'invalid', reason: 'empty message' };
  if (buf.length > LIMITS.channelMessageBytes) return { kind: 'invalid', reason: 'message too large' };
  if (buf[0] === KIND_CONTROL) {
    let json: unknown;
    try {
      json = JSON.parse(decoder.decode(buf.subarray(1)));
    } catch {
      return { kind: 'invalid', reason: 'control message is not JSON' };
    }
    const parsed = ControlMessage.safeParse(json);
    return parsed.success ? { kind: 'control', msg: parsed.data } : { kind: 'invalid', reason: 'control message does not match the schema' };
  }
  if (buf[0] === KIND_CONTROLS) {
    let json: unknown;
    try {
      json = JSON.parse(decoder.decode(buf.subarray(1)));
    } catch {
      return { kind: 'invalid', reason: 'controls message is not JSON' };
    }
    const parsed = ControlBatch.safeParse(json);
    return parsed.success ? { kind: 'controls', msgs: parsed.data } : { kind: 'invalid', reason: `controls message is not an array of 2 to ${MAX_BATCH} control messages` };
  }
  if (buf[0] === KIND_INPUT) {
    const decoded = decodeInput(buf);
    if (!decoded) return { kind: 'invalid', reason: 'input message has a truncated or unknown record' };
    const parsed = InputBatch.safeParse(decoded);
    if (!parsed.success) return { kind: 'invalid', reason: `input message is not 1 to ${MAX_BATCH} valid input records` };
    return { kind: 'controls', msgs: parsed.data };
  }
  if (buf[0] === KIND_RECT) {
    if (buf.length < RECT_HEADER_BYTES) return { kind: 'invalid', reason: 'rect header truncated' };
    const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const encoding = ENCODING_BY_ID.get(v.getUint8(1));
    if (!encoding) return { kind: 'invalid', reason: 'unknown rect encoding' };
    const fragment: RectFragment = {
      encoding,
      endOfFrame: (v.getUint8(2) & FLAG_END_OF_FRAME) !== 0,
      resetStream: (v.getUint8(2) & FLAG_RESET_STREAM) !== 0,
      frame: v.getUint32(4, true),
      x: v.getUint16(8, true),
      y: v.getUint16(10, true),
      w: v.getUint16(12, true),
      h: v.getUint16(14, true),
      total: v.getUint32(16, true),
      offset: v.getUint32(20, true),
      payload: buf.subarray(RECT_HEADER_BYTES),
    };
    if (fragment.w === 0 || fragment.h === 0) return { kind: 'invalid', reason: 'empty rect' };
    if (fragment.offset + fragment.payload.length > fragment.total) return { kind: 'invalid', reason: 'fragment overruns its rect' };
    if (fragment.total > maxEncodedRectBytes(fragment.w, fragment.h)) return { kind: 'invalid', reason: 'rect too large for its size' };
    return { kind: 'rect', fragment };
  }
  if (buf[0] === KIND_CURSOR) {
    if (buf.length <= CURSOR_HEADER_BYTES) return { kind: 'invalid', reason: 'cursor message truncated' };
    const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    const cursor: CursorShape = {
      hotX: v.getUint16(2, true),
      hotY: v.getUint16(4, true),
      w: v.getUint16(6, true),
      h: v.getUint16(8, true),
      serial: v.getUint32(12, true),
      png: buf.subarray(CURSOR_HEADER_BYTES),
    };
    if (cursor.w === 0 || cursor.h === 0 || cursor.w > 256 || cursor.h > 256) return { kind: 'invalid', reason: 'bad cursor size' };
    return { kind: 'cursor', cursor };
  }
  return { kind: 'invalid', reason: `unknown message kind ${buf[0]}` };
}

/**
 * Reassembles fragments into whole rectangles. Fragments arrive in order on a
 * reliable channel, so one rectangle is in progress at a time.
 */
export class RectAssembler {
  private current: { header: RectHeader; data: Uint8Array; received: number } | null = null;

  /** Returns the completed rectangle, or null while more fragments are due. */
  push(f: RectFragment): { header: RectHeader; data: Uint8Array } | null {
    if (f.offset === 0) {
      const { payload: _payload, ...header } = f;
      this.current = { header, data: new Uint8Array(f.total), received: 0 };
    } else if (!this.current || this.current.received !== f.offset || this.current.header.total !== f.total) {
      this.current = null;
      throw new Error('rect fragment out of order');
    }
    const cur = this.current;
    cur.data.set(f.payload, f.offset);
    cur.received += f.payload.length;
    if (cur.received < f.total) return null;
    this.current = null;
    return { header: { ...cur.header, endOfFrame: f.endOfFrame }, data: cur.data };
  }
}

// ---------- cursor shapes ----------

/** kind u8 | reserved u8 | hotX u16 | hotY u16 | w u16 | h u16 | reserved u16 | serial u32 (LE), then PNG bytes. */
export const CURSOR_HEADER_BYTES = 16;

export interface CursorShape {
  serial: number;
  hotX: number;
  hotY: number;
  w: number;
  h: number;
  png: Uint8Array;
}

export function encodeCursor(c: CursorShape): Uint8Array {
  const msg = new Uint8Array(CURSOR_HEADER_BYTES + c.png.length);
  const v = new DataView(msg.buffer);
  v.setUint8(0, KIND_CURSOR);
  v.setUint16(2, c.hotX, true);
  v.setUint16(4, c.hotY, true);
  v.setUint16(6, c.w, true);
  v.setUint16(8, c.h, true);
  v.setUint32(12, c.serial, true);
  msg.set(c.png, CURSOR_HEADER_BYTES);
  return msg;
}
