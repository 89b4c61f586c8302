/**
 * Shared sessions: the holder of an active session (requests.accepted_by)
 * invites online colleagues, who see the screen and the chat; exactly one
 * technician holds control (input, clipboard, tools, files) and may hand it
 * to a participant, which swaps him with the holder; an invited technician
 * leaves on his own. Only the holder may end, transfer, invite or hand over.
 * The agent enforces control per peer connection from the session state.
 */
import { LifelineError } from '../../../shared/errors.js';
import type { Technician } from '../../../shared/protocol.js';
import type { SessionHandover, SessionInvite, SessionLeave } from '../../../shared/sharing.js';
import type { ServerContext } from '../context.js';
import type { Db } from '../db/index.js';
import type { RequestRow } from '../queue/service.js';

const HOLDER_ONLY = 'Only the technician holding the session may do that.';

/** The session must be active and held by `holder`. */
function requireHolder(row: RequestRow, holder: number): void {
  if (row.status === 'ended') throw new LifelineError('ERR_SESSION_ENDED');
  if (row.status !== 'active' || row.accepted_by !== holder) throw new LifelineError('ERR_PERMISSION', HOLDER_ONLY);
}

/** Adds an invited technician; false when he already takes part. */
export async function addParticipant(db: Db, requestId: string, holder: number, invitee: number, at = Date.now()): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('requests').selectAll().where('id', '=', requestId).executeTakeFirst();
    if (!row) throw new LifelineError('ERR_NOT_FOUND');
    requireHolder(row, holder);
    if (invitee === holder) throw new LifelineError('ERR_BAD_MESSAGE', 'You already take part in this session.');
    const there = await trx.selectFrom('session_participants').select('technician_id').where('request_id', '=', requestId).where('technician_id', '=', invitee).executeTakeFirst();
    if (there) return false;
    await trx.insertInto('session_participants').values({ request_id: requestId, technician_id: invitee, invited_by: holder, joined_at: at }).execute();
    return true;
  });
}

/**
 * Hands the session from its holder to a participant: one conditional UPDATE
 * of accepted_by (so a session that ended or changed hands meanwhile is left
 * alone), and the two swap places in the participants table.
 */
export async function handOver(db: Db, requestId: string, from: number, to: number, at = Date.now()): Promise<RequestRow> {
  return db.transaction().execute(async (trx) => {
    const invited = await trx.selectFrom('session_participants').select('technician_id').where('request_id', '=', requestId).where('technician_id', '=', to).executeTakeFirst();
    const res = invited
      ? await trx.updateTable('requests').set({ accepted_by: to }).where('id', '=', requestId).where('status', '=', 'active').where('accepted_by', '=', from).executeTakeFirst()
      : null;
    if (!res || Number(res.numUpdatedRows) !== 1) {
      const row = await trx.selectFrom('requests').selectAll().where('id', '=', requestId).executeTakeFirst();
      if (!row) throw new LifelineError('ERR_NOT_FOUND');
      requireHolder(row, from);
      throw new LifelineError('ERR_NOT_FOUND', 'That technician does not take part in this session.');
    }
    await trx.deleteFrom('session_participants').where('request_id', '=', requestId).where('technician_id', '=', to).execute();
    await trx.insertInto('session_participants').values({ request_id: requestId, technician_id: from, invited_by: to, joined_at: at }).execute();
    return trx.selectFrom('requests').selectAll().where('id', '=', requestId).executeTakeFirstOrThrow();
  });
}

/** Removes an invited technician; false when he did not take part. */
export async function removeParticipant(db: Db, requestId: string, technicianId: number): Promise<boolean> {
  const res = await db.deleteFrom('session_participants').where('request_id', '=', requestId).where('technician_id', '=', technicianId).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

/** The console's `session:invite`: the colleague must exist and be online. */
export async function inviteToSession(ctx: ServerContext, technician: Technician, msg: SessionInvite): Promise<void> {
  const row = await ctx.queue.getOrThrow(msg.requestId);
  requireHolder(row, technician.id);
  const invitee = await ctx.auth.getTechnician(msg.technicianId);
  if (!invitee) throw new LifelineError('ERR_NOT_FOUND', 'There is no such technician.');
  if (!ctx.hub.isOnline(invitee.id)) throw new LifelineError('ERR_NOT_CONNECTED', `${invitee.displayName} is not online.`);
  if (!(await ctx.auth.permissionsOf(invitee.id)).includes('view')) throw new LifelineError('ERR_PERMISSION', `${invitee.displayName} may not view screens.`);
  if (!(await addParticipant(ctx.db, row.id, technician.id, invitee.id))) return;
  await ctx.audit.record(technician.username, 'session.invited', { requestId: row.id, technician: invitee.username });
  // The chat so far is new to him.
  const messages = await ctx.chat.history(row.id);
  for (const c of ctx.hub.consolesOf(invitee.id)) c.send({ type: 'chat:history', requestId: row.id, messages });
  await ctx.hub.postChat(row, 'system', 'Lifeline', `${technician.displayName} invited ${invitee.displayName} into the session.`);
  await ctx.hub.broadcast(row.id);
  await ctx.hub.sendQueue(invitee.id);
}

/** The console's `session:handover`: control, and the session with it, go to a participant. */
export async function handOverSession(ctx: ServerContext, technician: Technician, msg: SessionHandover): Promise<void> {
  const before = await ctx.queue.getOrThrow(msg.requestId);
  requireHolder(before, technician.id);
  const to = await ctx.auth.getTechnician(msg.technicianId);
  if (!to) throw new LifelineError('ERR_NOT_FOUND', 'There is no such technician.');
  const row = await handOver(ctx.db, before.id, technician.id, to.id);
  await ctx.audit.record(technician.username, 'session.handed_over', { requestId: row.id, to: to.username });
  await ctx.hub.postChat(row, 'system', 'Lifeline', `${technician.displayName} handed control to ${to.displayName}.`);
  await ctx.hub.broadcast(row.id);
  await ctx.hub.sendQueue(technician.id);
  await ctx.hub.sendQueue(to.id);
  // Active session counts per technician changed.
  await ctx.desk.changed();
}

/** The console's `session:leave`: an invited technician leaves; the holder ends or transfers instead. */
export async function leaveSession(ctx: ServerContext, technician: Technician, msg: SessionLeave): Promise<void> {
  const row = await ctx.queue.getOrThrow(msg.requestId);
  if (row.accepted_by === technician.id && row.status === 'active') {
    throw new LifelineError('ERR_BAD_MESSAGE', 'You hold this session: hand control over first, or end or transfer it.');
  }
  if (!(await removeParticipant(ctx.db, row.id, technician.id))) throw new LifelineError('ERR_PERMISSION', 'You do not take part in this session.');
  ctx.hub.dropLinks(row.id, technician.id);
  await ctx.audit.record(technician.username, 'session.left', { requestId: row.id });
  if (row.status !== 'ended') await ctx.hub.postChat(row, 'system', 'Lifeline', `${technician.displayName} left the session.`);
  // His consoles read the state without him once more, then nothing more of this session.
  await ctx.hub.broadcast(row.id, [technician.id]);
  await ctx.hub.sendQueue(technician.id);
}
