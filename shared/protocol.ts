/**
 * The server's one WebSocket endpoint (`/ws`) speaks this protocol with three
 * kinds of peers: technician consoles, agents, and the user's portal page.
 * Every message is a JSON object with a `type`; the server parses every
 * incoming message with these schemas in one place before using it.
 */
import { z } from 'zod';
import { ERROR_CODES } from './errors.js';
import { LIMITS } from './limits.js';
import { Tool } from './permissions.js';
import {
  JumpClientChanged, JumpClientRemoved, JumpHeartbeat, JumpHello, JumpManage, JumpSessionMessage, JumpSnapshot, JumpStart, JumpSubscribe,
  JumpUninstall, JumpWelcome,
} from './jump.js';
import { ChosenStatus, DESK_QUEUE_FIELDS, TeamRef, TechnicianPresence } from './desk.js';
import { SessionTransfer, SessionTransferred } from './escalation.js';
import { TeamChatDelivered, TeamChatSend } from './team-chat.js';
import { Participant, PeerClosed, PeerId, SessionHandover, SessionInvite, SessionLeave } from './sharing.js';

// ---------- shared pieces ----------

export const IceServer = z.object({
  urls: z.union([z.string(), z.array(z.string())]),
  username: z.string().optional(),
  credential: z.string().optional(),
});
export type IceServer = z.infer<typeof IceServer>;

/** simple-peer signalling data: opaque to the server, but bounded and object-shaped. */
export const SignalData = z
  .record(z.string(), z.unknown())
  .refine((v) => JSON.stringify(v).length <= LIMITS.signalBytes, { message: 'signal too large' });
export type SignalData = z.infer<typeof SignalData>;

/**
 * What the user allows, tool by tool. The in-session tools are optional in
 * the schema (absent = not allowed), so older peers that only know view and
 * control still parse.
 */
export const Consent = z.object({
  view: z.boolean(),
  control: z.boolean(),
  files: z.boolean().optional(),
  sysinfo: z.boolean().optional(),
  shell: z.boolean().optional(),
  shell_elevated: z.boolean().optional(),
});
export type Consent = z.infer<typeof Consent>;

export const AgentInfo = z.object({
  hostname: z.string().max(255),
  os: z.string().max(255),
  user: z.string().max(255),
  screen: z.object({ width: z.number().int().positive(), height: z.number().int().positive() }).optional(),
});
export type AgentInfo = z.infer<typeof AgentInfo>;

export const ChatMessage = z.object({
  id: z.number().int(),
  requestId: z.string(),
  from: z.enum(['technician', 'user', 'system']),
  author: z.string(),
  text: z.string(),
  at: z.number(),
  /** The sender's own id for the message, so it can match its pending copy. */
  clientId: z.string().nullable(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

export const RequestStatus = z.enum(['waiting', 'active', 'ended']);
export type RequestStatus = z.infer<typeof RequestStatus>;

export const QueueItem = z.object({
  requestId: z.string(),
  customerName: z.string(),
  createdAt: z.number(),
  status: RequestStatus,
  agentOnline: z.boolean(),
  portalOnline: z.boolean(),
  agent: AgentInfo.nullable(),
  ...DESK_QUEUE_FIELDS,
});
export type QueueItem = z.infer<typeof QueueItem>;

/** What every participant knows about a live request/session. */
export const SessionState = z.object({
  requestId: z.string(),
  status: RequestStatus,
  customerName: z.string(),
  technician: z.object({ id: z.number().int(), displayName: z.string() }).nullable(),
  agentOnline: z.boolean(),
  portalOnline: z.boolean(),
  consoleOnline: z.boolean(),
  consent: Consent,
  /** What the server lets the session's technician do (the agent enforces it with the consent). */
  grants: z.array(Tool),
  agent: AgentInfo.nullable(),
  endedReason: z.string().nullable(),
  /** A shared session's technicians, the holder (`control`) first; absent from older servers. */
  participants: z.array(Participant).optional(),
});
export type SessionState = z.infer<typeof SessionState>;

export const Technician = z.object({
  id: z.number().int(),
  username: z.string(),
  displayName: z.string(),
  role: z.enum(['admin', 'technician']),
});
export type Technician = z.infer<typeof Technician>;

const chatText = z.string().trim().min(1).max(LIMITS.chatTextChars);
/** Sender-chosen message id: a message re-sent after a reconnect is stored once. */
const clientId = z.string().min(1).max(64).optional();

// ---------- client -> server ----------

export const Hello = z.discriminatedUnion('role', [
  z.object({ type: z.literal('hello'), role: z.literal('console'), token: z.string().min(1).max(200) }),
  z.object({
    type: z.literal('hello'),
    role: z.literal('agent'),
    /** First contact uses the session code; reconnects use the key returned in `welcome`. */
    code: z.string().max(40).optional(),
    resumeKey: z.string().max(200).optional(),
    info: AgentInfo,
  }),
  z.object({ type: z.literal('hello'), role: z.literal('portal'), resumeKey: z.string().min(1).max(200) }),
  JumpHello,
]);
export type Hello = z.infer<typeof Hello>;

export const ScriptSummary = z.object({ id: z.number().int(), name: z.string(), description: z.string(), shell: z.string() });
export type ScriptSummary = z.infer<typeof ScriptSummary>;

export const ConsoleToServer = z.discriminatedUnion('type', [
  z.object({ type: z.literal('script:run'), requestId: z.string().max(64), scriptId: z.number().int() }),
  z.object({ type: z.literal('queue:accept'), requestId: z.string().max(64) }),
  z.object({ type: z.literal('presence:set'), status: ChosenStatus }),
  z.object({ type: z.literal('session:end'), requestId: z.string().max(64) }),
  z.object({ type: z.literal('chat:send'), requestId: z.string().max(64), text: chatText, clientId }),
  z.object({ type: z.literal('signal'), requestId: z.string().max(64), data: SignalData }),
  JumpSubscribe,
  JumpStart,
  JumpManage,
  SessionTransfer,
  SessionInvite,
  SessionHandover,
  SessionLeave,
  TeamChatSend,
]);
export type ConsoleToServer = z.infer<typeof ConsoleToServer>;

export const AgentToServer = z.discriminatedUnion('type', [
  /** `peerId`: the console connection the signal is for (absent: the holder's). */
  z.object({ type: z.literal('signal'), peerId: PeerId.optional(), data: SignalData }),
  z.object({ type: z.literal('script:output'), runId: z.number().int(), chunk: z.string().max(32 * 1024) }),
  z.object({ type: z.literal('script:exit'), runId: z.number().int(), code: z.number().int().nullable(), error: z.string().max(500).optional() }),
  /** A command line typed in an elevated shell, for the audit log. */
  z.object({ type: z.literal('audit:command'), line: z.string().max(4096) }),
]);
export type AgentToServer = z.infer<typeof AgentToServer>;

export const PortalToServer = z.discriminatedUnion('type', [
  z.object({ type: z.literal('chat:send'), text: chatText, clientId }),
  z.object({ type: z.literal('consent:set'), consent: Consent }),
  z.object({ type: z.literal('session:end') }),
]);
export type PortalToServer = z.infer<typeof PortalToServer>;

// ---------- server -> client ----------

export const ErrorMessage = z.object({
  type: z.literal('error'),
  code: z.enum(ERROR_CODES),
  message: z.string(),
  /** The `type` of the message that caused it, when known. */
  cause: z.string().optional(),
  /** Echoes the `ref` of the message that caused it. */
  ref: z.number().int().optional(),
  /** With ERR_RATE_LIMITED: how long to wait before trying again. */
  retryAfterMs: z.number().int().nonnegative().optional(),
});
export type ErrorMessage = z.infer<typeof ErrorMessage>;

/**
 * Any client message may carry a numeric `ref`; the server then answers with
 * `ack` (same ref) when it was handled, or an `error` carrying the ref.
 */
export const AckMessage = z.object({ type: z.literal('ack'), ref: z.number().int() });

export const ServerToConsole = z.discriminatedUnion('type', [
  AckMessage,
  z.object({ type: z.literal('welcome'), technician: Technician, iceServers: z.array(IceServer) }),
  /** `teams`: the technician's teams, so the console shows their queues even when empty. */
  z.object({ type: z.literal('queue:snapshot'), items: z.array(QueueItem), teams: z.array(TeamRef).optional() }),
  z.object({ type: z.literal('presence:snapshot'), technicians: z.array(TechnicianPresence) }),
  z.object({ type: z.literal('session:state'), state: SessionState }),
  z.object({ type: z.literal('chat:history'), requestId: z.string(), messages: z.array(ChatMessage) }),
  z.object({ type: z.literal('chat:message'), message: ChatMessage }),
  z.object({ type: z.literal('signal'), requestId: z.string(), data: SignalData }),
  z.object({ type: z.literal('script:started'), requestId: z.string(), runId: z.number().int(), name: z.string() }),
  z.object({ type: z.literal('script:output'), requestId: z.string(), runId: z.number().int(), chunk: z.string() }),
  z.object({ type: z.literal('script:exit'), requestId: z.string(), runId: z.number().int(), code: z.number().int().nullable(), error: z.string().optional() }),
  JumpSnapshot,
  JumpClientChanged,
  JumpClientRemoved,
  SessionTransferred,
  TeamChatDelivered,
  ErrorMessage,
]);
export type ServerToConsole = z.infer<typeof ServerToConsole>;

export const ServerToAgent = z.discriminatedUnion('type', [
  AckMessage,
  z.object({ type: z.literal('welcome'), requestId: z.string(), resumeKey: z.string(), iceServers: z.array(IceServer) }),
  z.object({ type: z.literal('session:state'), state: SessionState }),
  /** From the console connection `peerId`, of technician `technicianId` (the agent gives control only to the holder's). */
  z.object({ type: z.literal('signal'), peerId: PeerId, technicianId: z.number().int(), data: SignalData }),
  PeerClosed,
  /** Scripts come from the server's curated store, never from the console. */
  z.object({ type: z.literal('script:run'), runId: z.number().int(), name: z.string(), shell: z.string(), body: z.string() }),
  ErrorMessage,
]);
export type ServerToAgent = z.infer<typeof ServerToAgent>;

export const ServerToPortal = z.discriminatedUnion('type', [
  AckMessage,
  z.object({ type: z.literal('welcome'), requestId: z.string() }),
  z.object({ type: z.literal('session:state'), state: SessionState }),
  z.object({ type: z.literal('chat:history'), requestId: z.string(), messages: z.array(ChatMessage) }),
  z.object({ type: z.literal('chat:message'), message: ChatMessage }),
  ErrorMessage,
]);
export type ServerToPortal = z.infer<typeof ServerToPortal>;

/** The installed jump client's own connection (shared/jump.ts); its sessions run as an ordinary agent. */
export const JumpToServer = z.discriminatedUnion('type', [JumpHeartbeat]);
export type JumpToServer = z.infer<typeof JumpToServer>;

export const ServerToJump = z.discriminatedUnion('type', [AckMessage, JumpWelcome, JumpSessionMessage, JumpUninstall, ErrorMessage]);
export type ServerToJump = z.infer<typeof ServerToJump>;

// ---------- REST ----------

export const LoginRequest = z.object({
  username: z.string().min(1).max(100),
  password: z.string().min(1).max(1000),
});
export const LoginResponse = z.object({
  token: z.string(),
  technician: Technician,
  expiresAt: z.number(),
  /** A one-time password: the token may do nothing but POST /api/password until it is changed. Absent from older servers. */
  mustChangePassword: z.boolean().optional(),
});
export type LoginResponse = z.infer<typeof LoginResponse>;

/** POST /api/password, with the bearer token: a technician replaces his password (the first-run admin and new accounts must). */
export const ChangePasswordRequest = z.object({
  currentPassword: z.string().min(1).max(1000),
  newPassword: z.string().min(1).max(1000),
});
export type ChangePasswordRequest = z.infer<typeof ChangePasswordRequest>;

export const CodeResponse = z.object({ code: z.string(), expiresAt: z.number() });
export type CodeResponse = z.infer<typeof CodeResponse>;

export const PortalJoinRequest = z.object({
  code: z.string().min(1).max(40),
  name: z.string().trim().min(1).max(LIMITS.displayNameChars).optional(),
});
export const PortalJoinResponse = z.object({
  requestId: z.string(),
  resumeKey: z.string(),
  technician: z.object({ displayName: z.string() }),
  /** The command the user runs to start the client. */
  agentCommand: z.string(),
});
export type PortalJoinResponse = z.infer<typeof PortalJoinResponse>;

export const ApiError = z.object({ error: z.object({ code: z.enum(ERROR_CODES), message: z.string() }) });
