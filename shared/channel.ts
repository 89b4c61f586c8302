/**
 * The peer connection carries one ordered, reliable data channel. Each message
 * is binary and starts with a kind byte:
 *
 *   0x01 control  | utf-8 JSON, parsed against `ControlMessage`
 *   0x02 rect     | a fragment of an encoded screen rectangle (see encodeRect)
 *   0x03 cursor   | a cursor shape: PNG, drawn by the console at the pointer (see CURSOR_HEADER_BYTES)
 *   0x04 controls | utf-8 JSON array of 2 to MAX_BATCH `ControlMessage`s, handled in order
 *                 | (what one task produced: a key's down and up, an ack and the input after it;
 *                 | each data-channel message costs an SCTP packet and its acknowledgement)
 *   0x05 input    | 1 to MAX_BATCH input and ack messages in binary, handled in order (see
 *                 | encodeInput): what the console sends most, at 2-5 bytes each instead of ~40
 *
 * Each side's first message is a control message `hello` with its
 * PROTOCOL_VERSION; a side whose peer's first message is anything else, or
 * another version, stops with an error that says so (see helloProblem).
 * Small numbers in binary headers are unsigned LEB128 varints: 7 bits a byte,
 * least significant first, the top bit set on every byte but the last.
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

/**
 * The data channel's wire format. 1: PNG/JPEG rects and JSON input; 2: zpal
 * and binary input, still without a hello; 3: hello, varint rect headers,
 * zpal without the sync-flush trailer, varint input records and key taps.
 */
export const PROTOCOL_VERSION = 3;
/** The widest and tallest screen (or set of monitors) the console accepts: what bounds every rect it decodes. */
export const MAX_SCREEN_SIDE = 16384;

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
  // both ways, each side's first message
  z.object({ t: z.literal('hello'), version: z.number().int().min(1).max(0xffff) }),
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
  z.object({ t: z.literal('screen'), width: z.number().int().positive().max(MAX_SCREEN_SIDE), height: z.number().int().positive().max(MAX_SCREEN_SIDE) }),
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

// ---------- varints ----------

function putVarint(out: number[], v: number): void {
  for (; v >= 0x80; v = Math.floor(v / 0x80)) out.push((v % 0x80) | 0x80);
  out.push(v);
}

/** An unsigned varint of at most 32 bits at `at.o` (advanced past it), or null when truncated or too large. */
function readVarint(buf: Uint8Array, at: { o: number }): number | null {
  let v = 0;
  for (let i = 0, scale = 1; i < 5; i++, scale *= 0x80) {
    if (at.o >= buf.length) return null;
    const b = buf[at.o++]!;
    v += (b & 0x7f) * scale;
    if (b < 0x80) return v <= 0xffffffff ? v : null;
  }
  return null;
}

// ---------- binary input ----------

// Binary input records: a tag byte, then
//   key      varint: keysym * 2, plus 1 when down
//   tap      varint keysym: that key pressed and released (a key down and its up, back to back)
//   pointer  u16 x, u16 y (little-endian)
//   button   u8: button | 0x80 when down
//   wheel    i8 dx, i8 dy
//   ack      varint frame, varint heldMs
//   release-all  nothing
const TAG = { key: 1, pointer: 2, button: 3, wheel: 4, ack: 5, 'release-all': 6, tap: 7 } as const;
type InputMessage = Extract<ControlMessage, { t: 'key' | 'pointer' | 'button' | 'wheel' | 'ack' | 'release-all' }>;

const isInput = (m: ControlMessage): m is InputMessage =>
  m.t === 'key' || m.t === 'pointer' || m.t === 'button' || m.t === 'wheel' || m.t === 'release-all' ||
  (m.t === 'ack' && m.frame <= 0xffffffff && (m.heldMs ?? 0) <= 0xffffffff);

/** Input and acks in binary (KIND_INPUT); every message must be one of those. */
function encodeInput(msgs: readonly InputMessage[]): Uint8Array {
  const out: number[] = [KIND_INPUT];
  for (let i = 0; i < msgs.length; i++) {
    const m = msgs[i]!;
    switch (m.t) {
      case 'key': {
        const next = msgs[i + 1];
        if (m.down && next?.t === 'key' && !next.down && next.keysym === m.keysym) {
          out.push(TAG.tap);
          putVarint(out, m.keysym);
          i++;
        } else {
          out.push(TAG.key);
          putVarint(out, m.keysym * 2 + (m.down ? 1 : 0));
        }
        break;
      }
      case 'pointer':
        out.push(TAG.pointer, m.x & 0xff, m.x >>> 8, m.y & 0xff, m.y >>> 8);
        break;
      case 'button':
        out.push(TAG.button, m.button | (m.down ? 0x80 : 0));
        break;
      case 'wheel':
        out.push(TAG.wheel, m.dx & 0xff, m.dy & 0xff);
        break;
      case 'ack':
        out.push(TAG.ack);
        putVarint(out, m.frame);
        putVarint(out, m.heldMs ?? 0);
        break;
      case 'release-all':
        out.push(TAG['release-all']);
        break;
    }
  }
  return Uint8Array.from(out);
}

/** Null when a record is truncated or unknown; the messages still go through the schema. */
function decodeInput(buf: Uint8Array): unknown[] | null {
  const msgs: unknown[] = [];
  const at = { o: 1 };
  const bytes = (n: number) => (at.o + n <= buf.length ? (at.o += n) - n : -1);
  while (at.o < buf.length) {
    // More records than a batch may hold: not worth building the rest.
    if (msgs.length > MAX_BATCH) return null;
    const tag = buf[at.o++]!;
    switch (tag) {
      case TAG.key: {
        const v = readVarint(buf, at);
        if (v === null) return null;
        msgs.push({ t: 'key', keysym: Math.floor(v / 2), down: v % 2 === 1 });
        break;
      }
      case TAG.tap: {
        const keysym = readVarint(buf, at);
        if (keysym === null) return null;
        msgs.push({ t: 'key', keysym, down: true }, { t: 'key', keysym, down: false });
        break;
      }
      case TAG.pointer: {
        const o = bytes(4);
        if (o < 0) return null;
        msgs.push({ t: 'pointer', x: buf[o]! | (buf[o + 1]! << 8), y: buf[o + 2]! | (buf[o + 3]! << 8) });
        break;
      }
      case TAG.button: {
        const o = bytes(1);
        if (o < 0) return null;
        msgs.push({ t: 'button', button: buf[o]! & 0x7f, down: (buf[o]! & 0x80) !== 0 });
        break;
      }
      case TAG.wheel: {
        const o = bytes(2);
        if (o < 0) return null;
        msgs.push({ t: 'wheel', dx: (buf[o]! << 24) >> 24, dy: (buf[o + 1]! << 24) >> 24 });
        break;
      }
      case TAG.ack: {
        const frame = readVarint(buf, at);
        const heldMs = frame === null ? null : readVarint(buf, at);
        if (frame === null || heldMs === null) return null;
        msgs.push(heldMs ? { t: 'ack', frame, heldMs } : { t: 'ack', frame });
        break;
      }
      case TAG['release-all']:
        msgs.push({ t: 'release-all' });
        break;
      default:
        return null;
    }
  }
  return msgs;
}

/**
 * Null when a peer's first message is a hello of this PROTOCOL_VERSION;
 * otherwise a sentence for the person and the log. `peer` is who sent it.
 */
export function helloProblem(first: ChannelMessage, peer: 'agent' | 'console'): string | null {
  const theirs = first.kind === 'control' && first.msg.t === 'hello' ? first.msg.version : null;
  if (theirs === PROTOCOL_VERSION) return null;
  const me = peer === 'agent' ? 'console' : 'agent';
  const says = theirs === null ? `an older screen protocol than version ${PROTOCOL_VERSION} (it sent no hello)` : `screen protocol version ${theirs}`;
  return `The ${peer} speaks ${says}; this ${me} speaks version ${PROTOCOL_VERSION}. Update the older of the two.`;
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
 * up to a sync flush, so it inflates as soon as it arrives, given every zpal
 * rect before it. A sync flush always ends in the same 4 bytes (an empty
 * stored block, 00 00 ff ff: ZPAL_TRAILER), which the agent leaves out and the
 * console puts back before inflating. Inflated, it is
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

/** Flags, in the high four bits of the rect header's second byte (the encoding is in the low four). */
export const FLAG_END_OF_FRAME = 0x10;
export const FLAG_RESET_STREAM = 0x20;
/** The header goes on with total and offset: the rect is in several fragments. */
export const FLAG_FRAGMENT = 0x40;
const KNOWN_FLAGS = FLAG_END_OF_FRAME | FLAG_RESET_STREAM | FLAG_FRAGMENT;

export const ZPAL_TRAILER = Uint8Array.of(0x00, 0x00, 0xff, 0xff);

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
 * kind u8 | flags (high 4 bits) + encoding (low 4 bits) u8 | frame | x | y | w | h [| total | offset]
 *
 * every number a varint; total and offset only with FLAG_FRAGMENT (a rect
 * that fits one message, as a typed character always does, is its payload).
 * A typed character's header is 8-10 bytes; the most any can take is this:
 */
export const RECT_HEADER_MAX_BYTES = 2 + 5 + 4 * 3 + 2 * 4;
export const MAX_FRAGMENT_PAYLOAD = LIMITS.channelMessageBytes - RECT_HEADER_MAX_BYTES;
const MAX_COORD = 0xffff;

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
  for (const c of [rect.x, rect.y, rect.w, rect.h]) {
    if (!Number.isInteger(c) || c < 0 || c > MAX_COORD) throw new RangeError(`rect coordinate ${c} is outside 0..${MAX_COORD}`);
  }
  if (!Number.isInteger(rect.frame) || rect.frame < 0 || rect.frame > 0xffffffff) throw new RangeError(`bad frame number ${rect.frame}`);
  const out: Uint8Array[] = [];
  const fragmented = data.length > MAX_FRAGMENT_PAYLOAD;
  let offset = 0;
  do {
    const n = Math.min(MAX_FRAGMENT_PAYLOAD, data.length - offset);
    const last = offset + n >= data.length;
    const flags = (last && endOfFrame ? FLAG_END_OF_FRAME : 0) | (rect.resetStream ? FLAG_RESET_STREAM : 0) | (fragmented ? FLAG_FRAGMENT : 0);
    const head: number[] = [KIND_RECT, flags | Encoding[rect.encoding]];
    for (const v of [rect.frame, rect.x, rect.y, rect.w, rect.h]) putVarint(head, v);
    if (fragmented) {
      putVarint(head, data.length);
      putVarint(head, offset);
    }
    const msg = new Uint8Array(head.length + n);
    msg.set(head);
    msg.set(data.subarray(offset, offset + n), head.length);
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
    if (buf.length < 2) return { kind: 'invalid', reason: 'rect header truncated' };
    const flags = buf[1]! & 0xf0;
    const encoding = ENCODING_BY_ID.get(buf[1]! & 0x0f);
    if (!encoding) return { kind: 'invalid', reason: 'unknown rect encoding' };
    if (flags & ~KNOWN_FLAGS) return { kind: 'invalid', reason: 'unknown rect flags' };
    const at = { o: 2 };
    const fields: number[] = [];
    for (let i = 0; i < ((flags & FLAG_FRAGMENT) !== 0 ? 7 : 5); i++) {
      const v = readVarint(buf, at);
      if (v === null) return { kind: 'invalid', reason: 'rect header truncated or a number in it too large' };
      fields.push(v);
    }
    const [frame, x, y, w, h] = fields as [number, number, number, number, number];
    if (x > MAX_COORD || y > MAX_COORD || w > MAX_COORD || h > MAX_COORD) return { kind: 'invalid', reason: 'rect coordinates out of range' };
    const payload = buf.subarray(at.o);
    const fragment: RectFragment = {
      encoding,
      endOfFrame: (flags & FLAG_END_OF_FRAME) !== 0,
      resetStream: (flags & FLAG_RESET_STREAM) !== 0,
      frame,
      x,
      y,
      w,
      h,
      total: fields[5] ?? payload.length,
      offset: fields[6] ?? 0,
      payload,
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
