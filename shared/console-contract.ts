/**
 * The contract between the console renderer and the console core (the
 * Electron main process, or the web host for a browser console). One entry
 * per channel: adding a channel is one edit here plus a handler in the core.
 * The Electron adapter, the web host and the renderer bridge are all generic
 * over this object; every payload is parsed with its schema on arrival.
 *
 * Channel names are `domain:verb`; events are in the past tense.
 */
import { z } from 'zod';
import { ERROR_CODES } from './errors.js';
import { ChatMessage, CodeResponse, IceServer, QueueItem, ScriptSummary, SessionState, SignalData, Technician } from './protocol.js';
import { LIMITS } from './limits.js';
import { JumpChange, JumpClientSummary, JumpGroupSummary } from './jump.js';
import { ChosenStatus, TeamRef, TechnicianPresence } from './desk.js';
import { TransferNote, TransferTarget } from './escalation.js';
import { TeamChatMessage, TeamChatPeer, TeamChatText } from './team-chat.js';
import { LifelineError, toWireError, type WireError } from './errors.js';

const requestId = z.string().min(1).max(64);

export const CONSOLE_REQUESTS = {
  'auth:login': {
    request: z.object({ username: z.string().min(1).max(100), password: z.string().min(1).max(1000) }),
    /** `mustChangePassword`: signed in with a one-time password; nothing works until `auth:change-password`. */
    response: z.object({ technician: Technician, mustChangePassword: z.boolean().optional() }),
  },
  /** Replaces the signed-in technician's password (the one-time one, or his own later); the console is fully signed in after it. */
  'auth:change-password': {
    request: z.object({ currentPassword: z.string().min(1).max(1000), newPassword: z.string().min(1).max(1000) }),
    response: z.object({ technician: Technician }),
  },
  'auth:logout': { request: z.object({}), response: z.object({}) },
  /** Who is signed in, for a renderer that (re)loads. */
  'auth:status': { request: z.object({}), response: z.object({ technician: Technician.nullable() }) },
  'code:create': { request: z.object({}), response: CodeResponse },
  'queue:accept': { request: z.object({ requestId }), response: z.object({}) },
  /** The technician's own status; `available` lets the server derive busy from his sessions. */
  'presence:set': { request: z.object({ status: ChosenStatus }), response: z.object({}) },
  'session:end': { request: z.object({ requestId }), response: z.object({}) },
  'chat:send': {
    request: z.object({ requestId, text: z.string().trim().min(1).max(LIMITS.chatTextChars) }),
    response: z.object({}),
  },
  'signal:send': { request: z.object({ requestId, data: SignalData }), response: z.object({}) },
  'config:get': { request: z.object({}), response: z.object({ iceServers: z.array(IceServer) }) },
  'scripts:list': { request: z.object({}), response: z.object({ scripts: z.array(ScriptSummary) }) },
  'script:run': { request: z.object({ requestId, scriptId: z.number().int() }), response: z.object({}) },
  /** The jump clients this technician may access; later changes arrive as `jump:changed`. */
  'jump:list': { request: z.object({}), response: z.object({ groups: z.array(JumpGroupSummary), clients: z.array(JumpClientSummary) }) },
  /** Starts an unattended session on a jump client; the session then arrives like an accepted request. */
  'jump:start': { request: z.object({ clientId: z.number().int().positive() }), response: z.object({}) },
  /** Administrators: renames, moves or removes a jump client. */
  'jump:manage': { request: z.object({ clientId: z.number().int().positive(), change: JumpChange }), response: z.object({}) },
  /** Hands the session to a colleague's or a team's queue, with a note for the next technician. */
  'session:transfer': { request: z.object({ requestId, to: TransferTarget, note: TransferNote }), response: z.object({}) },
  /** Shared sessions (shared/sharing.ts): the holder invites an online colleague or hands control to a participant; an invitee leaves. */
  'session:invite': { request: z.object({ requestId, technicianId: z.number().int().positive() }), response: z.object({}) },
  'session:handover': { request: z.object({ requestId, technicianId: z.number().int().positive() }), response: z.object({}) },
  'session:leave': { request: z.object({ requestId }), response: z.object({}) },
  /** Technician chat outside sessions (shared/team-chat.ts): send to a colleague or a team; read a conversation's history. */
  'team-chat:send': { request: z.object({ to: TeamChatPeer, text: TeamChatText }), response: z.object({}) },
  'team-chat:history': { request: z.object({ with: TeamChatPeer }), response: z.object({ messages: z.array(TeamChatMessage) }) },
} as const;

export const CONSOLE_EVENTS = {
  'connection:changed': z.object({ state: z.enum(['signed-out', 'connecting', 'online', 'offline']) }),
  'queue:changed': z.object({ items: z.array(QueueItem), teams: z.array(TeamRef).optional() }),
  /** Every technician's status, the signed-in one included. */
  'presence:changed': z.object({ technicians: z.array(TechnicianPresence) }),
  'session:changed': z.object({ state: SessionState }),
  'chat:history-loaded': z.object({ requestId, messages: z.array(ChatMessage) }),
  'chat:received': z.object({ message: ChatMessage }),
  'signal:received': z.object({ requestId, data: SignalData }),
  'error:raised': z.object({ code: z.enum(ERROR_CODES), message: z.string() }),
  'script:started': z.object({ requestId, runId: z.number().int(), name: z.string() }),
  'script:output-received': z.object({ requestId, runId: z.number().int(), chunk: z.string() }),
  'script:exited': z.object({ requestId, runId: z.number().int(), code: z.number().int().nullable(), error: z.string().optional() }),
  'jump:changed': z.object({ groups: z.array(JumpGroupSummary), clients: z.array(JumpClientSummary) }),
  /** A lifeline:// link asked the desktop console to show a session or a jump client. */
  /** The session this console held was transferred: it is someone else's now. */
  'session:transferred': z.object({ requestId, to: z.string(), note: z.string() }),
  /** A technician chat message to or from this technician, or to one of his teams. */
  'team-chat:received': z.object({ message: TeamChatMessage }),
  'deep-link:opened': z.object({ target: z.enum(['session', 'jump']), id: z.string().max(64) }),
} as const;

export type ConsoleRequests = typeof CONSOLE_REQUESTS;
export type ConsoleEvents = typeof CONSOLE_EVENTS;
export type RequestChannel = keyof ConsoleRequests;
export type EventName = keyof ConsoleEvents;
export type RequestOf<C extends RequestChannel> = z.infer<ConsoleRequests[C]['request']>;
export type ResponseOf<C extends RequestChannel> = z.infer<ConsoleRequests[C]['response']>;
export type EventOf<E extends EventName> = z.infer<ConsoleEvents[E]>;

export type Disposer = () => void;

/** What the renderer sees: `window.lifeline` in Electron, a WebSocket bridge in a browser. */
export interface ConsoleApi {
  invoke<C extends RequestChannel>(channel: C, payload: RequestOf<C>): Promise<ResponseOf<C>>;
  on<E extends EventName>(event: E, listener: (payload: EventOf<E>) => void): Disposer;
}

/** What the core implements: one handler per request channel. */
export type ConsoleHandlers = { [C in RequestChannel]: (payload: RequestOf<C>) => Promise<ResponseOf<C>> };

/** Core -> renderer event sink. */
export type EmitEvent = <E extends EventName>(event: E, payload: EventOf<E>) => void;

export function isRequestChannel(name: string): name is RequestChannel {
  return Object.prototype.hasOwnProperty.call(CONSOLE_REQUESTS, name);
}

export function isEventName(name: string): name is EventName {
  return Object.prototype.hasOwnProperty.call(CONSOLE_EVENTS, name);
}

/** Web-host bridge frames (renderer <-> web host over one WebSocket). */
export const BridgeToHost = z.object({
  kind: z.literal('invoke'),
  id: z.number().int(),
  channel: z.string().max(64),
  payload: z.unknown(),
});
export const BridgeToRenderer = z.union([
  z.object({ kind: z.literal('result'), id: z.number().int(), ok: z.literal(true), value: z.unknown() }),
  z.object({
    kind: z.literal('result'), id: z.number().int(), ok: z.literal(false),
    error: z.object({ code: z.enum(ERROR_CODES), message: z.string() }),
  }),
  z.object({ kind: z.literal('event'), event: z.string(), payload: z.unknown() }),
]);

export type DispatchResult = { ok: true; value: unknown } | { ok: false; error: WireError };

/**
 * The one place a renderer request is checked before it reaches the core:
 * the channel must be in the contract and the payload must match its schema.
 * Used by the Electron adapter and the web host alike. Never throws.
 */
export async function dispatchRequest(handlers: ConsoleHandlers, channel: string, payload: unknown): Promise<DispatchResult> {
  try {
    if (!isRequestChannel(channel)) throw new LifelineError('ERR_UNKNOWN_TYPE', `Unknown console channel "${channel}".`);
    const parsed = CONSOLE_REQUESTS[channel].request.safeParse(payload ?? {});
    if (!parsed.success) throw new LifelineError('ERR_BAD_MESSAGE', `Invalid payload for "${channel}".`);
    const handler = handlers[channel] as (p: unknown) => Promise<unknown>;
    return { ok: true, value: await handler(parsed.data) };
  } catch (e) {
    return { ok: false, error: toWireError(e) };
  }
}
