/**
 * In-session tools (system information, shells) travel on their own data
 * channel, next to the screen channel, so a flood of shell output never
 * queues behind screen frames or input, and the reverse. Each message is
 * binary and starts with a kind byte:
 *
 *   0x01 json       | utf-8 JSON, parsed against `ToolMessage`
 *   0x02 shell data | u32 shell id (LE), then raw terminal bytes (either way)
 *   0x03 json part  | u32 request id (LE), u8 last, then a utf-8 slice of a
 *                   | `result` too large for one message (e.g. a process list)
 *
 * No message exceeds LIMITS.channelMessageBytes.
 *
 * Pre-negotiated channels open on each side as soon as that side creates
 * them, and a message reaching a side that has not created its end yet is
 * lost. So the agent sends `hello` when its end opens and answers every
 * `hello`; the console repeats its `hello` until the agent answers, and sends
 * requests only after that.
 */
import { z } from 'zod';
import { ERROR_CODES } from './errors.js';
import { LIMITS } from './limits.js';

/** The tools channel is pre-negotiated on both sides with this SCTP stream id (simple-peer's own channel takes 0 or 1). */
export const TOOLS_CHANNEL = { label: 'lifeline-tools', id: 1000 } as const;

export const TOOL_JSON = 0x01;
export const TOOL_SHELL_DATA = 0x02;
export const TOOL_JSON_PART = 0x03;

/** Unacknowledged shell output the agent lets through before pausing the shell (xterm.js flow-control guide). */
export const SHELL_OUTPUT_WINDOW = 256 * 1024;
/** Largest reassembled result the console accepts. */
export const MAX_TOOL_RESULT_BYTES = 8 * 1024 * 1024;

const size = z.number().nonnegative();
const text = (max = 512) => z.string().max(max);

export const SystemInfo = z.object({
  os: z.object({ platform: text(), distro: text(), release: text(), kernel: text(), arch: text(), hostname: text() }),
  uptimeSeconds: size,
  users: z.array(z.object({ user: text(), terminal: text(), since: text() })).max(200),
  cpu: z.object({ brand: text(), cores: z.number().int(), physicalCores: z.number().int(), speedGHz: size, loadPercent: size }),
  memory: z.object({ total: size, used: size, available: size }),
  disks: z.array(z.object({ mount: text(1024), fs: text(1024), type: text(), size, used: size, available: size })).max(200),
  network: z.array(z.object({ iface: text(), ip4: text(), ip6: text(), mac: text(), up: z.boolean() })).max(200),
  processes: z.array(z.object({
    pid: z.number().int(), name: text(), command: text(4096), user: text(), cpuPercent: size, memoryBytes: size,
  })).max(20_000),
  /** Null where the platform has no service manager we can read. */
  services: z.array(z.object({ name: text(), running: z.boolean(), enabled: z.boolean().nullable() })).max(5000).nullable(),
  software: z.array(z.object({ name: text(), version: text() })).max(50_000),
});
export type SystemInfo = z.infer<typeof SystemInfo>;

export const ToolMessage = z.discriminatedUnion('t', [
  // both ways: the channel handshake
  z.object({ t: z.literal('hello') }),
  // console -> agent (each request has an id; the agent answers with `result`)
  z.object({ t: z.literal('sysinfo:get'), id: z.number().int() }),
  z.object({ t: z.literal('process:kill'), id: z.number().int(), pid: z.number().int().positive() }),
  z.object({
    t: z.literal('shell:open'), id: z.number().int(), shell: z.number().int().min(0),
    elevated: z.boolean(), cols: z.number().int().min(2).max(1000), rows: z.number().int().min(2).max(1000),
  }),
  z.object({ t: z.literal('shell:resize'), shell: z.number().int(), cols: z.number().int().min(2).max(1000), rows: z.number().int().min(2).max(1000) }),
  /** The console has written this many more output bytes to its terminal. */
  z.object({ t: z.literal('shell:ack'), shell: z.number().int(), bytes: z.number().int().positive() }),
  z.object({ t: z.literal('shell:close'), shell: z.number().int() }),
  // agent -> console
  // zod refuses a repeated discriminator value, so the two kinds of result are a union of their own.
  z.discriminatedUnion('ok', [
    z.object({ t: z.literal('result'), id: z.number().int(), ok: z.literal(true), value: z.unknown() }),
    z.object({ t: z.literal('result'), id: z.number().int(), ok: z.literal(false), code: z.enum(ERROR_CODES), message: z.string() }),
  ]),
  z.object({ t: z.literal('shell:exit'), shell: z.number().int(), code: z.number().int().nullable() }),
]);
export type ToolMessage = z.infer<typeof ToolMessage>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One JSON message, or several `json part` messages when it is too large for one. */
export function encodeToolMessage(msg: ToolMessage): Uint8Array[] {
  const json = encoder.encode(JSON.stringify(msg));
  if (json.length + 1 <= LIMITS.channelMessageBytes) {
    const out = new Uint8Array(json.length + 1);
    out[0] = TOOL_JSON;
    out.set(json, 1);
    return [out];
  }
  if (msg.t !== 'result') throw new Error(`tool message ${msg.t} is too large`);
  const room = LIMITS.channelMessageBytes - 6;
  const parts: Uint8Array[] = [];
  for (let off = 0; off < json.length; off += room) {
    const slice = json.subarray(off, off + room);
    const part = new Uint8Array(slice.length + 6);
    const v = new DataView(part.buffer);
    v.setUint8(0, TOOL_JSON_PART);
    v.setUint32(1, msg.id, true);
    v.setUint8(5, off + room >= json.length ? 1 : 0);
    part.set(slice, 6);
    parts.push(part);
  }
  return parts;
}

export function encodeShellData(shell: number, data: Uint8Array): Uint8Array[] {
  const room = LIMITS.channelMessageBytes - 5;
  const out: Uint8Array[] = [];
  for (let off = 0; off < data.length; off += room) {
    const slice = data.subarray(off, off + room);
    const msg = new Uint8Array(slice.length + 5);
    msg[0] = TOOL_SHELL_DATA;
    new DataView(msg.buffer).setUint32(1, shell, true);
    msg.set(slice, 5);
    out.push(msg);
  }
  return out;
}

export type DecodedTool =
  | { kind: 'message'; msg: ToolMessage }
  | { kind: 'shell'; shell: number; data: Uint8Array }
  | { kind: 'invalid'; reason: string };

/**
 * Parses tool-channel messages, reassembling `json part`s. Never throws: bad
 * input is reported as `invalid`. One instance per channel direction.
 */
export class ToolDecoder {
  private readonly parts = new Map<number, { chunks: Uint8Array[]; bytes: number }>();

  decode(buf: Uint8Array): DecodedTool | null {
    if (buf.length === 0 || buf.length > LIMITS.channelMessageBytes) return { kind: 'invalid', reason: 'bad message size' };
    const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    switch (buf[0]) {
      case TOOL_JSON:
        return this.parse(buf.subarray(1));
      case TOOL_SHELL_DATA:
        if (buf.length < 5) return { kind: 'invalid', reason: 'shell data truncated' };
        return { kind: 'shell', shell: v.getUint32(1, true), data: buf.subarray(5) };
      case TOOL_JSON_PART: {
        if (buf.length < 6) return { kind: 'invalid', reason: 'json part truncated' };
        const id = v.getUint32(1, true);
        const entry = this.parts.get(id) ?? { chunks: [], bytes: 0 };
        entry.chunks.push(buf.slice(6));
        entry.bytes += buf.length - 6;
        if (entry.bytes > MAX_TOOL_RESULT_BYTES) {
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
        return { kind: 'invalid', reason: `unknown tool message kind ${buf[0]}` };
    }
  }

  private parse(bytes: Uint8Array): DecodedTool {
    let json: unknown;
    try {
      json = JSON.parse(decoder.decode(bytes));
    } catch {
      return { kind: 'invalid', reason: 'tool message is not JSON' };
    }
    const parsed = ToolMessage.safeParse(json);
    return parsed.success ? { kind: 'message', msg: parsed.data } : { kind: 'invalid', reason: 'tool message does not match the schema' };
  }
}
