/** Chat is stored before it is delivered, so no side loses a message across a reconnect. */
import type { ChatMessage } from '../../../shared/protocol.js';
import type { Db } from '../db/index.js';

type Row = { id: number; request_id: string; sender: ChatMessage['from']; author: string; text: string; created_at: number; client_id: string | null };
const toMessage = (r: Row): ChatMessage => ({ id: r.id, requestId: r.request_id, from: r.sender, author: r.author, text: r.text, at: Number(r.created_at), clientId: r.client_id });

export class ChatService {
  constructor(private readonly db: Db) {}

  /**
   * Stores a message. A `clientId` seen before for this request returns
   * null: the sender re-sent it after a reconnect and it was already delivered.
   */
  async add(input: { requestId: string; from: ChatMessage['from']; author: string; text: string; clientId?: string | undefined }): Promise<ChatMessage | null> {
    // One statement, so a re-send racing the original (from a new connection) is still stored once.
    const row = await this.db
      .insertInto('chat_messages')
      .values({ request_id: input.requestId, sender: input.from, author: input.author, text: input.text, created_at: Date.now(), client_id: input.clientId ?? null })
      .onConflict((oc) => oc.columns(['request_id', 'client_id']).doNothing())
      .returning(['id', 'request_id', 'sender', 'author', 'text', 'created_at', 'client_id'])
      .executeTakeFirst();
    return row ? toMessage(row) : null;
  }

  async history(requestId: string): Promise<ChatMessage[]> {
    const rows = await this.db
      .selectFrom('chat_messages')
      .select(['id', 'request_id', 'sender', 'author', 'text', 'created_at', 'client_id'])
      .where('request_id', '=', requestId)
      .orderBy('id')
      .execute();
    return rows.map(toMessage);
  }
}
