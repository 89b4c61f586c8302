/**
 * Technician chat outside any session: one technician with another, or with
 * a team he belongs to. Kept by the server with history; new messages are
 * delivered live over the console's WebSocket. protocol.ts adds the
 * WebSocket messages to its unions, console-contract.ts the console's.
 */
import { z } from 'zod';
import { LIMITS } from './limits.js';

/** Who a conversation is with: a colleague (technician id) or a team (team id). */
export const TeamChatPeer = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('technician'), id: z.number().int().positive() }),
  z.object({ kind: z.literal('team'), id: z.number().int().positive() }),
]);
export type TeamChatPeer = z.infer<typeof TeamChatPeer>;

export const TeamChatText = z.string().trim().min(1).max(LIMITS.chatTextChars);

export const TeamChatMessage = z.object({
  id: z.number().int(),
  from: z.object({ id: z.number().int(), displayName: z.string() }),
  /** As sent: a technician or a team. */
  to: TeamChatPeer,
  text: z.string(),
  at: z.number(),
  clientId: z.string().nullable(),
});
export type TeamChatMessage = z.infer<typeof TeamChatMessage>;

/** History is read in pages of at most this many messages, newest last. */
export const TEAM_CHAT_PAGE = 200;

// ---------- console <-> server, WebSocket ----------

export const TeamChatSend = z.object({
  type: z.literal('team-chat:send'),
  to: TeamChatPeer,
  text: TeamChatText,
  /** Sender-chosen, so a message re-sent after a reconnect is stored once. */
  clientId: z.string().min(1).max(64),
});
export type TeamChatSend = z.infer<typeof TeamChatSend>;

export const TeamChatDelivered = z.object({ type: z.literal('team-chat:message'), message: TeamChatMessage });
export type TeamChatDelivered = z.infer<typeof TeamChatDelivered>;

// ---------- REST: history ----------

export const TeamChatHistoryRequest = z.object({ with: TeamChatPeer });
export const TeamChatHistoryResponse = z.object({ messages: z.array(TeamChatMessage) });
export type TeamChatHistoryResponse = z.infer<typeof TeamChatHistoryResponse>;

/** The conversation a message belongs to, seen from technician `me`. */
export function conversationOf(message: TeamChatMessage, me: number): TeamChatPeer {
  if (message.to.kind === 'team') return message.to;
  return { kind: 'technician', id: message.from.id === me ? message.to.id : message.from.id };
}

export function conversationKey(peer: TeamChatPeer): string {
  return `${peer.kind}:${peer.id}`;
}
