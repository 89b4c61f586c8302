/**
 * Escalation: a technician hands his session on to a colleague or a team
 * queue, with a note for whoever takes it next. Pure schemas; protocol.ts and
 * console-contract.ts build on them.
 */
import { z } from 'zod';

export const TRANSFER_NOTE_CHARS = 1000;

/** Where a transferred session waits: a technician's personal queue or a team's queue. */
export const TransferTarget = z.union([
  z.object({ technician: z.string().trim().min(1).max(100) }).strict(),
  /** The same by id: what the console's presence list knows. */
  z.object({ technicianId: z.number().int().positive() }).strict(),
  z.object({ team: z.string().trim().min(1).max(100) }).strict(),
]);
export type TransferTarget = z.infer<typeof TransferTarget>;

export const TransferNote = z.string().trim().max(TRANSFER_NOTE_CHARS);

/** What the console asks the server (`ref` answered by ack or error). */
export const SessionTransfer = z.object({
  type: z.literal('session:transfer'),
  requestId: z.string().max(64),
  to: TransferTarget,
  note: TransferNote,
});
export type SessionTransfer = z.infer<typeof SessionTransfer>;

/** Told to the consoles of the technician who gave the session away: it is no longer his. */
export const SessionTransferred = z.object({
  type: z.literal('session:transferred'),
  requestId: z.string(),
  /** Who or which queue has it now, in words: "Bob Baker", "the Printers team". */
  to: z.string(),
  note: z.string(),
});
export type SessionTransferred = z.infer<typeof SessionTransferred>;

/** The line every participant reads in the chat. */
export function transferLine(from: string, to: string, note: string): string {
  return note ? `${from} transferred the session to ${to}: ${note}` : `${from} transferred the session to ${to}.`;
}
