/**
 * Technician chat outside any session: to a colleague, or to a team the
 * sender belongs to. Every message is stored before it is delivered; a
 * message re-sent with the same clientId is stored once. Who may read a
 * conversation is decided here, for history and live delivery alike: the two
 * technicians of a direct conversation; the members of a team.
 */
import { TEAM_CHAT_PAGE, type TeamChatMessage, type TeamChatPeer } from '../../../shared/team-chat.js';
import { LifelineError } from '../../../shared/errors.js';
import type { Db } from '../db/index.js';

interface Row {
  id: number;
  sender_id: number;
  to_kind: 'technician' | 'team';
  to_id: number;
  text: string;
  created_at: number;
  client_id: string | null;
  display_name: string;
}

function toMessage(r: Row): TeamChatMessage {
  return { id: r.id, from: { id: r.sender_id, displayName: r.display_name }, to: { kind: r.to_kind, id: r.to_id }, text: r.text, at: r.created_at, clientId: r.client_id };
}

export class TeamChatService {
  constructor(private readonly db: Db) {}

  /** Stores a message and returns it with the technicians who should receive it live. */
  async send(senderId: number, to: TeamChatPeer, text: string, clientId: string, now = Date.now()): Promise<{ message: TeamChatMessage; audience: number[] }> {
    const audience = await this.audience(senderId, to);
    const existing = await this.select().where('sender_id', '=', senderId).where('client_id', '=', clientId).executeTakeFirst();
    if (existing) return { message: toMessage(existing), audience };
    const { id } = await this.db
      .insertInto('team_chat_messages')
      .values({ sender_id: senderId, to_kind: to.kind, to_id: to.id, text, created_at: now, client_id: clientId })
      .returning('id')
      .executeTakeFirstOrThrow();
    const row = await this.select().where('team_chat_messages.id', '=', id).executeTakeFirstOrThrow();
    return { message: toMessage(row), audience };
  }

  /** The last messages of a conversation, oldest first, for a technician who may read it. */
  async history(viewerId: number, peer: TeamChatPeer): Promise<TeamChatMessage[]> {
    await this.audience(viewerId, peer);
    let q = this.select();
    q = peer.kind === 'team'
      ? q.where('to_kind', '=', 'team').where('to_id', '=', peer.id)
      : q.where('to_kind', '=', 'technician').where((eb) => eb.or([
        eb.and([eb('sender_id', '=', viewerId), eb('to_id', '=', peer.id)]),
        eb.and([eb('sender_id', '=', peer.id), eb('to_id', '=', viewerId)]),
      ]));
    const rows = await q.orderBy('team_chat_messages.id', 'desc').limit(TEAM_CHAT_PAGE).execute();
    return rows.reverse().map(toMessage);
  }

  /** Who takes part in a conversation of `technicianId` with `peer`; refuses what he may not reach. */
  private async audience(technicianId: number, peer: TeamChatPeer): Promise<number[]> {
    if (peer.kind === 'technician') {
      if (peer.id === technicianId) throw new LifelineError('ERR_PERMISSION', 'You cannot chat with yourself.');
      const other = await this.db.selectFrom('technicians').select('id').where('id', '=', peer.id).executeTakeFirst();
      if (!other) throw new LifelineError('ERR_NOT_FOUND', 'That technician no longer exists.');
      return [technicianId, peer.id];
    }
    const members = (await this.db.selectFrom('team_members').select('technician_id').where('team_id', '=', peer.id).execute()).map((m) => m.technician_id);
    if (!members.includes(technicianId)) throw new LifelineError('ERR_PERMISSION', 'Only members of a team read and write its chat.');
    return members;
  }

  private select() {
    return this.db
      .selectFrom('team_chat_messages')
      .innerJoin('technicians', 'technicians.id', 'team_chat_messages.sender_id')
      .select([
        'team_chat_messages.id', 'team_chat_messages.sender_id', 'team_chat_messages.to_kind', 'team_chat_messages.to_id',
        'team_chat_messages.text', 'team_chat_messages.created_at', 'team_chat_messages.client_id', 'technicians.display_name',
      ]);
  }
}
