/**
 * In-session tools (system information, shells) travel on their own data
 * channel, next to the screen channel, so a flood of shell output never
 * queues behind screen frames or input, and the reverse. Messages are framed
 * as shared/frames.ts says: JSON `ToolMessage`s, and binary data whose stream
 * id is a shell id (terminal bytes, either way).
 *
 * Pre-negotiated channels open on each side as soon as that side creates
 * them, and a message reaching a side that has not created its end yet is
 * lost. So the agent sends `hello` when its end opens and answers every
 * `hello`; the console repeats its `hello` until the agent answers, and sends
 * requests only after that.
 */
import { z } from 'zod';
import { ERROR_CODES } from './errors.js';
import { encodeBinaryFrames, encodeJsonFrames, FrameDecoder } from './frames.js';

/** The tools channel is pre-negotiated on both sides with this SCTP stream id (simple-peer's own channel takes 0 or 1). */
export const TOOLS_CHANNEL = { label: 'lifeline-tools', id: 1000 } as const;

/** Unacknowledged shell output the agent lets through before pausing the shell (xterm.js flow-control guide). */
export const SHELL_OUTPUT_WINDOW = 256 * 1024;

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

/** One JSON message, or several `json part` messages when it is too large for one. */
export function encodeToolMessage(msg: ToolMessage): Uint8Array[] {
  return encodeJsonFrames(msg);
}

export function encodeShellData(shell: number, data: Uint8Array): Uint8Array[] {
  return encodeBinaryFrames(shell, data);
}

export type DecodedTool =
  | { kind: 'message'; msg: ToolMessage }
  | { kind: 'shell'; shell: number; data: Uint8Array }
  | { kind: 'invalid'; reason: string };

/** Parses tool-channel messages (shared/frames.ts). Never throws. One instance per channel direction. */
export class ToolDecoder {
  private readonly frames = new FrameDecoder(ToolMessage, 'tool');

  decode(buf: Uint8Array): DecodedTool | null {
    const r = this.frames.decode(buf);
    return r?.kind === 'binary' ? { kind: 'shell', shell: r.stream, data: r.data } : r;
  }
}
