/**
 * Jump clients (unattended access): an agent installed on a machine with a
 * credential, reachable by permitted technicians without anyone at the
 * keyboard. These are the schemas of its own WebSocket role (`jump`), of the
 * console's jump list, and of the REST calls the installer and a passive
 * client make. shared/protocol.ts adds the WebSocket ones to its unions.
 */
import { z } from 'zod';

export const JUMP_MODES = ['active', 'passive'] as const;
/** Active: holds one outbound connection. Passive: checks in over REST on a schedule. */
export const JumpMode = z.enum(JUMP_MODES);
export type JumpMode = z.infer<typeof JumpMode>;

export const PromptAnswer = z.enum(['allow', 'deny']);
export type PromptAnswer = z.infer<typeof PromptAnswer>;

/** What a jump client says about its machine on every connect and check-in. */
export const JumpInfo = z.object({
  hostname: z.string().max(255),
  /** The desktop user (the one a prompt would ask). */
  user: z.string().max(255),
  os: z.string().max(255),
  /** Whether the client runs as root, so an administrator shell is possible at all. */
  elevated: z.boolean(),
});
export type JumpInfo = z.infer<typeof JumpInfo>;

const credential = z.string().min(1).max(200);
const requestId = z.string().min(1).max(64);
const clientId = z.number().int().positive();

// ---------- jump client <-> server, WebSocket ----------

export const JumpHello = z.object({
  type: z.literal('hello'),
  role: z.literal('jump'),
  credential,
  info: JumpInfo,
  /** How often the client sends a heartbeat; the server drops a client silent for much longer. */
  heartbeatSeconds: z.number().int().min(1).max(600),
});
export type JumpHello = z.infer<typeof JumpHello>;

export const JumpHeartbeat = z.object({ type: z.literal('jump:heartbeat') });

/** Whether and how the logged-in user is asked before a session starts. */
export const JumpPrompt = z.object({
  timeoutSeconds: z.number().int().min(1).max(3600),
  /** What applies when nobody answers in time. */
  defaultAnswer: PromptAnswer,
  /** Who wants to connect, for the question. */
  technician: z.string().max(200),
});
export type JumpPrompt = z.infer<typeof JumpPrompt>;

/** A session the client should join: the join key stands in for a session code (agent hello `resumeKey`). */
export const JumpSessionOffer = z.object({
  requestId,
  joinKey: z.string().min(1).max(200),
  prompt: JumpPrompt.nullable(),
});
export type JumpSessionOffer = z.infer<typeof JumpSessionOffer>;

export const JumpWelcome = z.object({ type: z.literal('welcome'), clientId, name: z.string() });
export const JumpSessionMessage = z.object({ type: z.literal('jump:session'), session: JumpSessionOffer });
/** The client was removed by an administrator: delete the local config and service, stop. */
export const JumpUninstall = z.object({ type: z.literal('jump:uninstall'), reason: z.string().max(500) });

// ---------- console <-> server ----------

/** `mayStart`: the group's policy lets this technician start sessions (an administrator sees every group, to manage it). */
export const JumpGroupSummary = z.object({ id: z.number().int(), name: z.string(), mayStart: z.boolean() });
export type JumpGroupSummary = z.infer<typeof JumpGroupSummary>;

export const JumpClientSummary = z.object({
  id: clientId,
  groupId: z.number().int(),
  name: z.string(),
  hostname: z.string(),
  user: z.string(),
  os: z.string(),
  mode: JumpMode,
  elevated: z.boolean(),
  /** Active clients: connected right now. Passive clients are never online; they check in. */
  online: z.boolean(),
  lastSeenAt: z.number().nullable(),
});
export type JumpClientSummary = z.infer<typeof JumpClientSummary>;

/** Starts sending the jump clients this technician may access, and every change to them. */
export const JumpSubscribe = z.object({ type: z.literal('jump:subscribe') });
export const JumpStart = z.object({ type: z.literal('jump:start'), clientId });

/** What an administrator changes about an installed client from the console (the CLI does the same). */
export const JumpChange = z.discriminatedUnion('action', [
  z.object({ action: z.literal('rename'), name: z.string().trim().min(1).max(100) }),
  z.object({ action: z.literal('move'), groupId: z.number().int().positive() }),
  /** Its credential stops working and it is told to uninstall when it next reaches the server (a passive one is woken for that). */
  z.object({ action: z.literal('remove') }),
]);
export type JumpChange = z.infer<typeof JumpChange>;
export const JumpManage = z.object({ type: z.literal('jump:manage'), clientId, change: JumpChange });

export const JumpSnapshot = z.object({ type: z.literal('jump:snapshot'), groups: z.array(JumpGroupSummary), clients: z.array(JumpClientSummary) });
export const JumpClientChanged = z.object({ type: z.literal('jump:client'), client: JumpClientSummary });
export const JumpClientRemoved = z.object({ type: z.literal('jump:removed'), clientId });

// ---------- REST ----------

/** POST /api/jump/enroll: an install token for a credential (the token is spent). */
export const JumpEnrollRequest = z.object({ token: z.string().min(1).max(200), mode: JumpMode, info: JumpInfo });
export const JumpEnrollResponse = z.object({ clientId, name: z.string(), group: z.string(), credential: z.string() });
export type JumpEnrollResponse = z.infer<typeof JumpEnrollResponse>;

/** POST /api/jump/check-in (Bearer credential): a passive client asks whether a session waits. */
export const JumpCheckInRequest = z.object({
  info: JumpInfo,
  /** The UDP port the client listens on for wake datagrams (below); null or absent: it cannot be woken. */
  wakePort: z.number().int().min(1).max(65535).nullable().optional(),
});
export const JumpCheckInResponse = z.object({ sessions: z.array(JumpSessionOffer) });
export type JumpCheckInResponse = z.infer<typeof JumpCheckInResponse>;

/** POST /api/jump/report (Bearer credential): the user's answer to the prompt, or why the client could not join. */
export const JumpReport = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('prompt'), requestId, answer: PromptAnswer, timedOut: z.boolean() }),
  z.object({ kind: z.literal('failed'), requestId, reason: z.string().max(500) }),
]);
export type JumpReport = z.infer<typeof JumpReport>;

/** A refused credential; `uninstall` when the client was removed. */
export const JumpApiError = z.object({
  error: z.object({ code: z.string(), message: z.string(), retryAfterMs: z.number().optional() }),
  uninstall: z.boolean().optional(),
});

/** How long a client may stay silent before the server drops it: a few missed heartbeats. */
export function silenceLimitMs(heartbeatSeconds: number): number {
  return Math.round(heartbeatSeconds * 2.5 * 1000);
}

// ---------- waking a passive client, UDP ----------

/**
 * A wake datagram, server -> passive client, to the address and port of the
 * client's last check-in: "LLW1", the client id (u32), when it was sent (ms
 * since the epoch, f64), 8 random bytes, then an HMAC-SHA256 of those 24
 * bytes keyed with the 32 bytes of SHA-256(credential), which the server
 * keeps. It carries no authority: a valid one only makes the client check in
 * now, over HTTPS and with its credential, instead of at its next interval.
 */
const WAKE_MAGIC = [0x4c, 0x4c, 0x57, 0x31];
export const WAKE_BODY_BYTES = 24;
export const WAKE_MAC_BYTES = 32;
export const WAKE_BYTES = WAKE_BODY_BYTES + WAKE_MAC_BYTES;
/** A wake sent longer ago than this, or this far in the future (clock skew), is ignored. */
export const WAKE_MAX_AGE_MS = 5 * 60_000;

export interface WakeBody {
  clientId: number;
  sentAt: number;
  nonce: Uint8Array;
}

/** The signed part of a wake datagram. */
export function encodeWakeBody({ clientId, sentAt, nonce }: WakeBody): Uint8Array {
  if (nonce.length !== 8) throw new RangeError('a wake nonce is 8 bytes');
  const out = new Uint8Array(WAKE_BODY_BYTES);
  const v = new DataView(out.buffer);
  out.set(WAKE_MAGIC, 0);
  v.setUint32(4, clientId);
  v.setFloat64(8, sentAt);
  out.set(nonce, 16);
  return out;
}

/** Splits a datagram into its body and MAC; null when it is not a wake datagram at all. */
export function parseWake(datagram: Uint8Array): { body: WakeBody; signed: Uint8Array; mac: Uint8Array } | null {
  if (datagram.length !== WAKE_BYTES || WAKE_MAGIC.some((b, i) => datagram[i] !== b)) return null;
  const v = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
  const sentAt = v.getFloat64(8);
  if (!Number.isFinite(sentAt)) return null;
  return {
    body: { clientId: v.getUint32(4), sentAt, nonce: datagram.slice(16, 24) },
    signed: datagram.subarray(0, WAKE_BODY_BYTES),
    mac: datagram.subarray(WAKE_BODY_BYTES),
  };
}
