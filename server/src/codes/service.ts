/**
 * Session codes: single-use, expiring, ten digits. A code is claimed once by
 * the user's portal and once by the agent (in either order); both then hold a
 * resume key for reconnecting. Presenting the code again for a role that
 * already joined, or after the session ended, is ERR_CODE_USED.
 */
import type { Transaction } from 'kysely';
import { LifelineError } from '../../../shared/errors.js';
import { generateSessionCode, normalizeSessionCode } from '../../../shared/session-code.js';
import type { Db } from '../db/index.js';
import type { Database } from '../db/schema.js';
import { randomSecret, sha256 } from '../crypto.js';
import type { QueueService } from '../queue/service.js';

export const CODE_TTL_MS = 20 * 60 * 1000;

export type JoinRole = 'portal' | 'agent';

export class CodeService {
  constructor(private readonly db: Db, private readonly queue: QueueService, private readonly ttlMs = CODE_TTL_MS) {}

  async create(technicianId: number): Promise<{ code: string; expiresAt: number }> {
    const code = generateSessionCode();
    const now = Date.now();
    const expiresAt = now + this.ttlMs;
    await this.db.insertInto('session_codes').values({ code_hash: sha256(code), technician_id: technicianId, created_at: now, expires_at: expiresAt, request_id: null }).execute();
    return { code, expiresAt };
  }

  /**
   * A code for a request that already exists (a portal request made without
   * a code): the agent joins with it as with any code. The portal made the
   * request, so the user has started and the code does not expire while the
   * request is open.
   */
  async createForRequest(trx: Transaction<Database>, requestId: string): Promise<{ code: string }> {
    const code = generateSessionCode();
    const now = Date.now();
    const codeHash = sha256(code);
    await trx.insertInto('session_codes').values({ code_hash: codeHash, technician_id: null, created_at: now, expires_at: now + this.ttlMs, request_id: requestId }).execute();
    await trx.updateTable('requests').set({ code_hash: codeHash }).where('id', '=', requestId).execute();
    return { code };
  }

  /** Joins `role` to the request behind `input`, creating the request on first use. */
  async claim(input: string, role: JoinRole, customerName?: string): Promise<{ requestId: string; resumeKey: string; technicianId: number | null }> {
    const code = normalizeSessionCode(input);
    if (!code) throw new LifelineError('ERR_CODE_INVALID');
    const codeHash = sha256(code);
    const resumeKey = randomSecret();
    const keyColumn = role === 'portal' ? 'portal_key_hash' : 'agent_key_hash';

    return this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('session_codes').selectAll().where('code_hash', '=', codeHash).executeTakeFirst();
      if (!row) throw new LifelineError('ERR_CODE_INVALID');
      let requestId = row.request_id;
      if (!requestId) {
        if (row.expires_at < Date.now()) throw new LifelineError('ERR_CODE_EXPIRED');
        // Only a technician's code starts a request; a server-made one always has its request.
        if (row.technician_id == null) throw new LifelineError('ERR_CODE_INVALID');
        requestId = await this.queue.createRequest(trx, { technicianId: row.technician_id, codeHash, customerName: customerName ?? 'Customer' });
        await trx.updateTable('session_codes').set({ request_id: requestId }).where('code_hash', '=', codeHash).execute();
      }
      // Atomic: of two simultaneous claims for the same role, exactly one sets the key.
      const updated = await trx
        .updateTable('requests')
        .set({ [keyColumn]: sha256(resumeKey), ...(role === 'portal' && customerName ? { customer_name: customerName } : {}) })
        .where('id', '=', requestId)
        .where(keyColumn, 'is', null)
        .where('status', '!=', 'ended')
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) throw new LifelineError('ERR_CODE_USED');
      return { requestId, resumeKey, technicianId: row.technician_id };
    });
  }

  /** The request a resume key belongs to, for a reconnecting portal or agent. */
  async resume(resumeKey: string, role: JoinRole): Promise<string> {
    const keyColumn = role === 'portal' ? 'portal_key_hash' : 'agent_key_hash';
    const row = await this.db.selectFrom('requests').select(['id', 'status']).where(keyColumn, '=', sha256(resumeKey)).executeTakeFirst();
    if (!row) throw new LifelineError('ERR_NOT_AUTHENTICATED', 'This session link is not valid.');
    if (row.status === 'ended') throw new LifelineError('ERR_SESSION_ENDED');
    return row.id;
  }
}
