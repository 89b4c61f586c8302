/**
 * The support desk: queues (a technician's own, his teams', the general
 * one), issue types the user picks on the portal, and technicians' presence.
 * Pure schemas; protocol.ts and console-contract.ts build on them.
 */
import { z } from 'zod';
import { LIMITS } from './limits.js';

// ---------- queues ----------

export const QUEUE_KINDS = ['personal', 'team', 'general'] as const;
export const QueueKind = z.enum(QUEUE_KINDS);
export type QueueKind = z.infer<typeof QueueKind>;

export const TeamRef = z.object({ id: z.number().int(), name: z.string() });
export type TeamRef = z.infer<typeof TeamRef>;

/** Which queue a request waits in. A team request whose team was removed counts as general. */
export const QueuePlacement = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('personal') }),
  z.object({ kind: z.literal('team'), team: TeamRef }),
  z.object({ kind: z.literal('general') }),
]);
export type QueuePlacement = z.infer<typeof QueuePlacement>;

/**
 * What a queue entry carries beyond the request itself. Optional on the wire
 * so an older server's items still parse (they are all personal).
 */
export const DESK_QUEUE_FIELDS = {
  queue: QueuePlacement.optional(),
  /** The technician routing assigned the request to; the others still see it in the team or general queue. */
  routedTo: z.object({ id: z.number().int(), displayName: z.string() }).nullable().optional(),
  description: z.string().nullable().optional(),
  issueType: z.string().nullable().optional(),
};

// ---------- presence ----------

export const PRESENCE_STATUSES = ['available', 'busy', 'away', 'offline'] as const;
export const PresenceStatus = z.enum(PRESENCE_STATUSES);
export type PresenceStatus = z.infer<typeof PresenceStatus>;

/**
 * What a technician sets by hand. `available` means "decide for me": busy
 * once he runs as many sessions as the server allows, available otherwise.
 */
export const ChosenStatus = z.enum(['available', 'busy', 'away']);
export type ChosenStatus = z.infer<typeof ChosenStatus>;

export const TechnicianPresence = z.object({
  id: z.number().int(),
  displayName: z.string(),
  status: PresenceStatus,
  chosen: ChosenStatus,
  activeSessions: z.number().int().min(0),
});
export type TechnicianPresence = z.infer<typeof TechnicianPresence>;

// ---------- the portal's "Ask for help" ----------

export const ISSUE_TYPE_NAME = /^[\p{L}\p{N}][\p{L}\p{N} .,'&()/+-]{0,79}$/u;

export const IssueTypeName = z.string().trim().regex(ISSUE_TYPE_NAME);

/** What the portal lists: names only; which team gets them is the server's business. */
export const IssueTypesResponse = z.object({ issueTypes: z.array(z.object({ name: z.string() })) });
export type IssueTypesResponse = z.infer<typeof IssueTypesResponse>;

export const DESCRIPTION_CHARS = 500;

/** A user asking for help without a code. No issue type (or an unknown one) means the general queue. */
export const PortalHelpRequest = z.object({
  name: z.string().trim().min(1).max(LIMITS.displayNameChars),
  description: z.string().trim().min(1).max(DESCRIPTION_CHARS),
  issueType: z.string().trim().max(80).optional(),
});
export type PortalHelpRequest = z.infer<typeof PortalHelpRequest>;

/** The same next step as a code session, plus the code the support client needs. */
export const PortalHelpResponse = z.object({
  requestId: z.string(),
  resumeKey: z.string(),
  technician: z.object({ displayName: z.string() }),
  agentCommand: z.string(),
  code: z.string(),
  /** Where the request waits, in words: "the Printers team", "the support desk". */
  queueName: z.string(),
});
export type PortalHelpResponse = z.infer<typeof PortalHelpResponse>;
