/**
 * Shared sessions: the technician holding a session invites an online
 * colleague; both see the screen, exactly one (the holder) has control, and
 * he can hand it over. Pure schemas; protocol.ts builds on them.
 */
import { z } from 'zod';

/** A console connection's id for the agent, assigned by the server: one peer connection per console. */
export const PeerId = z.string().min(1).max(64);
export type PeerId = z.infer<typeof PeerId>;

/** Someone taking part in a session; `control`: the holder (input, clipboard, tools, files). */
export const Participant = z.object({
  technicianId: z.number().int(),
  displayName: z.string(),
  control: z.boolean(),
  /** Whether a console of his is connected (absent: unknown). */
  online: z.boolean().optional(),
});
export type Participant = z.infer<typeof Participant>;

/** The holder invites an online colleague (view only until he is handed control). */
export const SessionInvite = z.object({
  type: z.literal('session:invite'),
  requestId: z.string().max(64),
  technicianId: z.number().int().positive(),
});
export type SessionInvite = z.infer<typeof SessionInvite>;

/** The holder hands control (and with it the session) to a participant. */
export const SessionHandover = z.object({
  type: z.literal('session:handover'),
  requestId: z.string().max(64),
  technicianId: z.number().int().positive(),
});
export type SessionHandover = z.infer<typeof SessionHandover>;

/** An invited technician leaves the session (the holder ends or transfers it instead). */
export const SessionLeave = z.object({
  type: z.literal('session:leave'),
  requestId: z.string().max(64),
});
export type SessionLeave = z.infer<typeof SessionLeave>;

/** Server to agent: that console connection is gone (closed, or its technician left): drop its peer connection. */
export const PeerClosed = z.object({ type: z.literal('peer:closed'), peerId: PeerId });
export type PeerClosed = z.infer<typeof PeerClosed>;

/** The holder of a session, from its participants. */
export function holderOf(participants: readonly Participant[] | undefined): Participant | undefined {
  return participants?.find((p) => p.control);
}

/** The participant other than `me` who holds control, when someone else does (a console then only watches). */
export function heldByOther(participants: readonly Participant[] | undefined, me: number | null): Participant | undefined {
  const holder = holderOf(participants);
  return holder && holder.technicianId !== me ? holder : undefined;
}
