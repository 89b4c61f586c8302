/**
 * Sessions on jump clients: a permitted technician starts one, the server
 * makes it an accepted request (as the attended flow has after accept) and
 * hands the client a join key; the client joins as an ordinary agent. The
 * consent comes from the group's policy, or from the logged-in user's answer
 * when the policy says to ask.
 */
import { LifelineError } from '../../../shared/errors.js';
import type { JumpChange, JumpClientSummary, JumpGroupSummary, JumpReport, JumpSessionOffer } from '../../../shared/jump.js';
import type { Technician } from '../../../shared/protocol.js';
import type { ServerContext } from '../context.js';
import { randomSecret, sha256 } from '../crypto.js';
import { log } from '../log.js';
import type { RequestRow } from '../queue/service.js';
import { endSession } from '../ws/handlers.js';
import { mayAccess, NO_CONSENT, unattendedConsent } from './policy.js';
import type { JumpPeer } from './presence.js';
import { clientSummary, groupSummary, type JumpClientRow, type JumpGroup } from './service.js';
import { sendWake } from './wake.js';

/** The groups whose clients this technician may see and start sessions on. */
export async function accessibleGroups(ctx: ServerContext, technician: Technician): Promise<JumpGroup[]> {
  const teams = (await ctx.teams.teamsOf(technician.id)).map((t) => t.name);
  return (await ctx.jump.listGroups()).filter((g) => mayAccess(g.policy, { username: technician.username, teams }));
}

/**
 * What the console's jump list shows: the accessible groups and their
 * clients, with live presence. An administrator sees every group, to manage
 * its clients; he starts sessions only where the policy lets him.
 */
export async function jumpSnapshot(ctx: ServerContext, technician: Technician): Promise<{ groups: JumpGroupSummary[]; clients: JumpClientSummary[]; groupIds: Set<number> }> {
  const accessible = new Set((await accessibleGroups(ctx, technician)).map((g) => g.id));
  const groups = (await ctx.jump.listGroups()).filter((g) => technician.role === 'admin' || accessible.has(g.id));
  const groupIds = new Set(groups.map((g) => g.id));
  const rows = await ctx.jump.clientsInGroups([...groupIds]);
  return { groups: groups.map((g) => groupSummary(g, accessible.has(g.id))), clients: rows.map((r) => clientSummary(r, ctx.jumpLive.isOnline(r.id))), groupIds };
}

/**
 * An administrator's change to a client, from the console: applied, audited,
 * and shown to every console watching (a connected client that was removed
 * is told to uninstall at once; a passive one is woken to hear it).
 */
export async function manageJumpClient(ctx: ServerContext, technician: Technician, clientId: number, change: JumpChange): Promise<void> {
  if (technician.role !== 'admin') throw new LifelineError('ERR_PERMISSION', 'Only administrators manage jump clients.');
  const before = await ctx.jump.get(clientId);
  if (!before || before.removed) throw new LifelineError('ERR_NOT_FOUND', 'There is no such jump client.');
  const online = ctx.jumpLive.isOnline(clientId);
  switch (change.action) {
    case 'rename': {
      const row = await ctx.jump.rename(clientId, change.name);
      await ctx.audit.record(technician.username, 'jump.renamed', { clientId, from: before.name, to: row.name });
      if (online) ctx.jumpLive.updateRow(row);
      ctx.jumpLive.publish(clientSummary(row, online));
      return;
    }
    case 'move': {
      const target = (await ctx.jump.listGroups()).find((g) => g.id === change.groupId);
      if (!target) throw new LifelineError('ERR_NOT_FOUND', 'There is no such jump group.');
      const { client: row } = await ctx.jump.move(clientId, target.name);
      await ctx.audit.record(technician.username, 'jump.moved', { clientId, from: before.group_id, to: target.name });
      if (online) ctx.jumpLive.updateRow(row);
      ctx.jumpLive.publishRemoved(clientId, before.group_id, ctx.jumpLive.watchersOf(row.group_id));
      ctx.jumpLive.publish(clientSummary(row, online));
      return;
    }
    case 'remove': {
      await ctx.jump.remove(clientId);
      await ctx.audit.record(technician.username, 'jump.removed', { clientId, name: before.name });
      const peer = ctx.jumpLive.peer(clientId);
      if (peer) {
        ctx.jumpLive.detach(clientId, peer);
        disconnectRemoved(peer);
      }
      if (before.mode === 'passive' && before.wake_address && before.wake_port) {
        await sendWake({ clientId, credentialHash: before.credential_hash, address: before.wake_address, port: before.wake_port });
      }
      ctx.jumpLive.publishRemoved(clientId, before.group_id);
      return;
    }
  }
}

/**
 * Starts a session on a jump client for `technician`. The policy is checked
 * here, on every start, whatever the console showed: a technician without
 * access to the client's group gets ERR_PERMISSION.
 */
export async function startJumpSession(ctx: ServerContext, technician: Technician, clientId: number): Promise<string> {
  const client = await ctx.jump.get(clientId);
  const group = client && !client.removed ? await ctx.jump.groupById(client.group_id) : null;
  const teams = (await ctx.teams.teamsOf(technician.id)).map((t) => t.name);
  if (!client || !group || !mayAccess(group.policy, { username: technician.username, teams })) {
    // The same answer whether the client exists or not: no probing for other groups' machines.
    await ctx.audit.record(technician.username, 'jump.session.refused', { clientId });
    throw new LifelineError('ERR_PERMISSION', 'You may not access this jump client.');
  }
  const peer = ctx.jumpLive.peer(client.id);
  if (client.mode === 'active' && !peer) throw new LifelineError('ERR_NOT_CONNECTED', `The jump client "${client.name}" is offline.`);

  const { policy } = group;
  const grants = await ctx.auth.permissionsOf(technician.id);
  const joinKey = randomSecret();
  const now = Date.now();
  const requestId = await ctx.db.transaction().execute(async (trx) => {
    const id = await ctx.queue.createRequest(trx, { technicianId: technician.id, codeHash: '', customerName: client.name });
    await trx
      .updateTable('requests')
      .set({
        code_hash: null,
        status: 'active',
        accepted_by: technician.id,
        accepted_at: now,
        // A passive client gets its key at check-in (keys are stored hashed, so it is made then).
        agent_key_hash: client.mode === 'active' ? sha256(joinKey) : null,
        agent_info: JSON.stringify({ hostname: client.hostname, os: client.os, user: client.os_user }),
      })
      .where('id', '=', id)
      .execute();
    await trx
      .insertInto('jump_sessions')
      .values({ request_id: id, client_id: client.id, technician_id: technician.id, prompt: policy.prompt ? 1 : 0, answer: null, answer_timed_out: null, answered_at: null, delivered_at: client.mode === 'active' ? now : null, created_at: now })
      .execute();
    return id;
  });
  await ctx.queue.setConsent(requestId, policy.prompt ? NO_CONSENT : unattendedConsent({ elevated: client.elevated === 1, grants }));
  await ctx.audit.record(technician.username, 'jump.session.started', { requestId, clientId: client.id, client: client.name, group: group.name, prompt: policy.prompt });

  const row = await ctx.queue.getOrThrow(requestId);
  await ctx.hub.postChat(row, 'system', 'Lifeline', `${technician.displayName} started an unattended session on ${client.name} (jump group ${group.name}).`);
  if (policy.prompt) {
    await ctx.hub.postChat(row, 'system', 'Lifeline',
      `Asking the user at ${client.hostname} to allow the session; without an answer in ${policy.promptTimeoutSeconds} s it is ${policy.promptDefault === 'allow' ? 'allowed' : 'refused'}.`);
  }
  if (client.mode === 'passive') await wakePassive(ctx, row, client);
  if (peer) peer.send({ type: 'jump:session', session: offer(requestId, joinKey, policy.prompt ? group : null, technician.displayName) });
  await ctx.hub.broadcast(requestId);
  // A session of his counts towards being busy, whichever way it started.
  await ctx.desk.changed();
  return requestId;
}

/**
 * A passive client holds no connection: the server wakes it where it last
 * checked in, if it said it can be woken, and tells the technician what to
 * expect either way.
 */
async function wakePassive(ctx: ServerContext, row: RequestRow, client: JumpClientRow): Promise<void> {
  const last = client.last_seen_at ? `its last check-in was ${describeAgo(Date.now() - client.last_seen_at)} ago` : 'it has not checked in yet';
  const woken = client.wake_address && client.wake_port
    ? await sendWake({ clientId: client.id, credentialHash: client.credential_hash, address: client.wake_address, port: client.wake_port })
    : false;
  await ctx.audit.record('server', 'jump.wake', { clientId: client.id, sent: woken });
  await ctx.hub.postChat(row, 'system', 'Lifeline', woken
    ? `${client.name} is a passive jump client: it was sent a wake and should join in a few seconds. If the wake cannot reach it (a NAT or firewall in between), the session starts at its next check-in; ${last}.`
    : `${client.name} is a passive jump client that cannot be woken: the session starts at its next check-in; ${last}.`);
}

function describeAgo(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

function offer(requestId: string, joinKey: string, promptGroup: JumpGroup | null, technician: string): JumpSessionOffer {
  return {
    requestId,
    joinKey,
    prompt: promptGroup
      ? { timeoutSeconds: promptGroup.policy.promptTimeoutSeconds, defaultAnswer: promptGroup.policy.promptDefault, technician }
      : null,
  };
}

/**
 * A passive client's check-in: the sessions started for it since, each with
 * a fresh join key (only its hash is kept, so the key is made now).
 */
export async function checkIn(ctx: ServerContext, client: JumpClientRow): Promise<JumpSessionOffer[]> {
  const pending = await ctx.db
    .selectFrom('jump_sessions')
    .innerJoin('requests', 'requests.id', 'jump_sessions.request_id')
    .select(['jump_sessions.request_id', 'jump_sessions.technician_id', 'jump_sessions.prompt'])
    .where('jump_sessions.client_id', '=', client.id)
    .where('jump_sessions.delivered_at', 'is', null)
    .where('requests.status', '!=', 'ended')
    .execute();
  if (!pending.length) return [];
  const group = await ctx.jump.groupById(client.group_id);
  const offers: JumpSessionOffer[] = [];
  for (const p of pending) {
    const joinKey = randomSecret();
    await ctx.db.updateTable('requests').set({ agent_key_hash: sha256(joinKey) }).where('id', '=', p.request_id).execute();
    await ctx.db.updateTable('jump_sessions').set({ delivered_at: Date.now() }).where('request_id', '=', p.request_id).execute();
    const tech = await ctx.auth.getTechnician(p.technician_id);
    offers.push(offer(p.request_id, joinKey, p.prompt === 1 && group ? group : null, tech?.displayName ?? 'A technician'));
  }
  return offers;
}

/**
 * What a jump client reports about a session it was offered: the logged-in
 * user's answer to the prompt (audited; allow gives the policy's consent,
 * deny ends the session with the reason shown to the technician), or why it
 * could not join.
 */
export async function reportFromClient(ctx: ServerContext, client: JumpClientRow, report: JumpReport): Promise<void> {
  const js = await ctx.db.selectFrom('jump_sessions').selectAll().where('request_id', '=', report.requestId).where('client_id', '=', client.id).executeTakeFirst();
  if (!js) throw new LifelineError('ERR_NOT_FOUND', 'No such session for this jump client.');
  const row = await ctx.queue.getOrThrow(js.request_id);
  if (row.status === 'ended') throw new LifelineError('ERR_SESSION_ENDED');
  const actor = `jump:${client.id}`;

  if (report.kind === 'failed') {
    await ctx.audit.record(actor, 'jump.session.failed', { requestId: row.id, reason: report.reason });
    await endSession(ctx, row.id, `not started: the jump client could not join (${report.reason})`, actor);
    return;
  }
  if (js.prompt !== 1) throw new LifelineError('ERR_BAD_MESSAGE', 'This session did not ask the user.');
  // One answer per session: the first one counts.
  const res = await ctx.db
    .updateTable('jump_sessions')
    .set({ answer: report.answer, answer_timed_out: report.timedOut ? 1 : 0, answered_at: Date.now() })
    .where('request_id', '=', row.id)
    .where('answer', 'is', null)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) throw new LifelineError('ERR_ALREADY_TAKEN', 'The user has already answered.');
  await ctx.audit.record(`user@${client.hostname}`, 'jump.prompt.answered', {
    requestId: row.id, clientId: client.id, answer: report.answer, timedOut: report.timedOut,
  });
  const why = report.timedOut ? 'nobody answered at the remote computer in time, and the policy' : 'the user at the remote computer';
  if (report.answer === 'deny') {
    await endSession(ctx, row.id, report.timedOut ? 'refused: nobody answered at the remote computer in time (the policy refuses by default)' : 'declined by the user at the remote computer', actor);
    return;
  }
  const grants = await ctx.auth.permissionsOf(js.technician_id);
  await ctx.queue.setConsent(row.id, unattendedConsent({ elevated: client.elevated === 1, grants }));
  await ctx.hub.postChat(row, 'system', 'Lifeline', `The session was allowed: ${why} allowed it.`);
  await ctx.hub.broadcast(row.id);
}

/**
 * Periodic look at the connected clients: an administrator may have removed,
 * renamed or moved one from the CLI (another process). Removed ones are told
 * to uninstall and dropped; changes reach the consoles watching.
 */
export async function sweepJumpClients(ctx: ServerContext): Promise<void> {
  const ids = ctx.jumpLive.onlineIds();
  if (!ids.length) return;
  try {
    for (const cur of await ctx.jump.currentRows(ids)) {
      const cached = ctx.jumpLive.cachedRow(cur.id);
      const peer = ctx.jumpLive.peer(cur.id);
      if (!cached || !peer) continue;
      if (cur.removed) {
        disconnectRemoved(peer);
        ctx.jumpLive.detach(cur.id, peer);
        ctx.jumpLive.publishRemoved(cur.id, cached.group_id);
        continue;
      }
      if (cur.name === cached.name && cur.group_id === cached.group_id) continue;
      const row = await ctx.jump.get(cur.id);
      if (!row) continue;
      ctx.jumpLive.updateRow(row);
      if (cur.group_id !== cached.group_id) ctx.jumpLive.publishRemoved(cur.id, cached.group_id, ctx.jumpLive.watchersOf(cur.group_id));
      ctx.jumpLive.publish(clientSummary(row, true));
    }
  } catch (e) {
    log.error('jump sweep failed', { error: e instanceof Error ? e.message : String(e) });
  }
}

export const REMOVED_MESSAGE = 'This jump client was removed by an administrator.';

/** Tells a removed client to uninstall, then that its credential is refused, and hangs up. */
export function disconnectRemoved(peer: JumpPeer): void {
  peer.send({ type: 'jump:uninstall', reason: REMOVED_MESSAGE });
  peer.send({ type: 'error', code: 'ERR_NOT_AUTHENTICATED', message: REMOVED_MESSAGE, cause: 'hello' });
  peer.close(4003, 'removed');
}
