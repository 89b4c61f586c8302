/**
 * Transferring a session: the technician holding it hands it to a colleague's
 * personal queue or a team's queue, with a note. The request goes back to
 * waiting there (a team's request is routed like any other); the agent and
 * the portal stay connected with their resume keys, so nobody needs a new
 * code. The peer connection goes with the old console; the next technician
 * to accept builds a new one and reads the chat so far, the note included.
 */
import { LifelineError } from '../../../shared/errors.js';
import { transferLine, type SessionTransfer, type TransferTarget } from '../../../shared/escalation.js';
import type { Technician } from '../../../shared/protocol.js';
import type { ServerContext } from '../context.js';
import type { Db } from '../db/index.js';
import type { RequestRow } from '../queue/service.js';

/** Where a transfer puts the request, resolved against the database. */
export type ResolvedTarget =
  | { kind: 'personal'; technicianId: number; label: string; audit: string }
  | { kind: 'team'; teamId: number; label: string; audit: string };

export interface SessionNote {
  id: number;
  requestId: string;
  authorId: number;
  target: string;
  text: string;
  createdAt: number;
}

/** The target must exist; a technician target is a person other than the one transferring. */
export async function resolveTarget(db: Db, to: TransferTarget, from: number): Promise<ResolvedTarget> {
  if ('team' in to) {
    const team = await db.selectFrom('teams').select(['id', 'name']).where('name', '=', to.team).executeTakeFirst();
    if (!team) throw new LifelineError('ERR_NOT_FOUND', `There is no team "${to.team}".`);
    return { kind: 'team', teamId: team.id, label: `the ${team.name} team`, audit: `team:${team.name}` };
  }
  const q = db.selectFrom('technicians').select(['id', 'username', 'display_name']);
  const tech = await ('technician' in to ? q.where('username', '=', to.technician) : q.where('id', '=', to.technicianId)).executeTakeFirst();
  if (!tech) throw new LifelineError('ERR_NOT_FOUND', 'There is no such technician.');
  if (tech.id === from) throw new LifelineError('ERR_BAD_MESSAGE', 'The session is already yours.');
  return { kind: 'personal', technicianId: tech.id, label: tech.display_name, audit: `technician:${tech.username}` };
}

/**
 * Moves an active session of `from` back to waiting in the target's queue.
 * One conditional UPDATE, so a session that ended or changed hands meanwhile
 * is never moved; the note is stored in the same transaction.
 */
export async function moveToQueue(db: Db, requestId: string, from: number, target: ResolvedTarget, note: string, at = Date.now()): Promise<RequestRow> {
  return db.transaction().execute(async (trx) => {
    const res = await trx
      .updateTable('requests')
      .set({
        status: 'waiting',
        accepted_by: null,
        accepted_at: null,
        routed_to: null,
        routed_at: null,
        ...(target.kind === 'team'
          ? { queue: 'team' as const, team_id: target.teamId, technician_id: null }
          : { queue: 'personal' as const, team_id: null, technician_id: target.technicianId }),
      })
      .where('id', '=', requestId)
      .where('status', '=', 'active')
      .where('accepted_by', '=', from)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) !== 1) {
      const row = await trx.selectFrom('requests').select('status').where('id', '=', requestId).executeTakeFirst();
      if (!row) throw new LifelineError('ERR_NOT_FOUND');
      if (row.status === 'ended') throw new LifelineError('ERR_SESSION_ENDED');
      throw new LifelineError('ERR_PERMISSION', 'Only the technician holding the session may transfer it.');
    }
    // A shared session's invited technicians leave with the holder.
    await trx.deleteFrom('session_participants').where('request_id', '=', requestId).execute();
    await trx.insertInto('session_notes').values({ request_id: requestId, author_id: from, kind: 'transfer', target: target.label, text: note, created_at: at }).execute();
    return trx.selectFrom('requests').selectAll().where('id', '=', requestId).executeTakeFirstOrThrow();
  });
}

export async function notesOf(db: Db, requestId: string): Promise<SessionNote[]> {
  const rows = await db.selectFrom('session_notes').selectAll().where('request_id', '=', requestId).orderBy('created_at').orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, requestId: r.request_id, authorId: r.author_id, target: r.target, text: r.text, createdAt: Number(r.created_at) }));
}

/** The console's `session:transfer`, from permission check to everyone's new picture. */
export async function transferSession(ctx: ServerContext, technician: Technician, msg: SessionTransfer): Promise<void> {
  const before = await ctx.queue.getOrThrow(msg.requestId);
  if (before.status === 'ended') throw new LifelineError('ERR_SESSION_ENDED');
  if (before.status !== 'active' || before.accepted_by !== technician.id) {
    throw new LifelineError('ERR_PERMISSION', 'Only the technician holding the session may transfer it.');
  }
  const target = await resolveTarget(ctx.db, msg.to, technician.id);
  const invited = await ctx.queue.participantsOf(before.id);
  const row = await moveToQueue(ctx.db, before.id, technician.id, target, msg.note);
  await ctx.audit.record(technician.username, 'session.transferred', { requestId: row.id, to: target.audit, note: msg.note });
  // His consoles leave the session; the peer connection goes with them.
  for (const id of [technician.id, ...invited]) {
    ctx.hub.dropLinks(row.id, id);
    for (const c of ctx.hub.consolesOf(id)) c.send({ type: 'session:transferred', requestId: row.id, to: target.label, note: msg.note });
  }
  await ctx.hub.postChat(row, 'system', 'Lifeline', transferLine(technician.displayName, target.label, msg.note));
  // Whoever may take it now reads the chat so far, and may answer before accepting.
  await ctx.hub.sendChatHistory(row);
  await ctx.hub.broadcast(row.id, invited);
  for (const id of [technician.id, ...invited]) await ctx.hub.sendQueue(id);
  // He has one session fewer, and a team's request is routed.
  await ctx.desk.changed();
}
