/**
 * Support requests and their lifecycle: waiting in a technician's queue ->
 * active (accepted) -> ended. State lives in the database, so the queue
 * survives a server restart; who is online is the hub's business.
 */
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import { LifelineError } from '../../../shared/errors.js';
import type { AgentInfo, Consent } from '../../../shared/protocol.js';
import type { Db } from '../db/index.js';
import type { Database, RequestsTable } from '../db/schema.js';

export type RequestRow = Omit<RequestsTable, never>;

export class QueueService {
  constructor(private readonly db: Db) {}

  async createRequest(trx: Transaction<Database>, input: { technicianId: number; codeHash: string; customerName: string }): Promise<string> {
    const id = randomUUID();
    await trx
      .insertInto('requests')
      .values({
        id,
        technician_id: input.technicianId,
        code_hash: input.codeHash,
        customer_name: input.customerName,
        status: 'waiting',
        created_at: Date.now(),
        accepted_by: null,
        accepted_at: null,
        ended_at: null,
        ended_reason: null,
        portal_key_hash: null,
        agent_key_hash: null,
        agent_info: null,
        consent_view: 0,
        consent_control: 0,
        consent_tools: null,
      })
      .execute();
    return id;
  }

  async get(requestId: string): Promise<RequestRow | undefined> {
    return this.db.selectFrom('requests').selectAll().where('id', '=', requestId).executeTakeFirst();
  }

  async getOrThrow(requestId: string): Promise<RequestRow> {
    const row = await this.get(requestId);
    if (!row) throw new LifelineError('ERR_NOT_FOUND');
    return row;
  }

  /** Open requests a technician sees: his queue, and the sessions he runs. */
  async listFor(technicianId: number): Promise<RequestRow[]> {
    return this.db
      .selectFrom('requests')
      .selectAll()
      .where('status', '!=', 'ended')
      .where((eb) => eb.or([eb('technician_id', '=', technicianId), eb('accepted_by', '=', technicianId)]))
      .orderBy('created_at')
      .execute();
  }

  /**
   * Accepts a waiting request. One conditional UPDATE decides the winner, so
   * two simultaneous accepts give exactly one session.
   */
  async accept(requestId: string, technicianId: number): Promise<RequestRow> {
    const res = await this.db
      .updateTable('requests')
      .set({ status: 'active', accepted_by: technicianId, accepted_at: Date.now() })
      .where('id', '=', requestId)
      .where('status', '=', 'waiting')
      .where('technician_id', '=', technicianId)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 1) return this.getOrThrow(requestId);
    const row = await this.getOrThrow(requestId);
    if (row.technician_id !== technicianId) throw new LifelineError('ERR_PERMISSION');
    if (row.status === 'ended') throw new LifelineError('ERR_SESSION_ENDED');
    throw new LifelineError('ERR_ALREADY_TAKEN');
  }

  /** Ends the request; returns false when it had already ended. */
  async end(requestId: string, reason: string): Promise<boolean> {
    const res = await this.db
      .updateTable('requests')
      .set({ status: 'ended', ended_at: Date.now(), ended_reason: reason })
      .where('id', '=', requestId)
      .where('status', '!=', 'ended')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async setConsent(requestId: string, consent: Consent): Promise<void> {
    const tools = { files: !!consent.files, sysinfo: !!consent.sysinfo, shell: !!consent.shell, shell_elevated: !!consent.shell_elevated };
    await this.db
      .updateTable('requests')
      .set({ consent_view: consent.view ? 1 : 0, consent_control: consent.control ? 1 : 0, consent_tools: JSON.stringify(tools) })
      .where('id', '=', requestId)
      .execute();
  }

  async setAgentInfo(requestId: string, info: AgentInfo): Promise<void> {
    await this.db.updateTable('requests').set({ agent_info: JSON.stringify(info) }).where('id', '=', requestId).execute();
  }
}

/** The user's consent as stored: view and control columns plus the tools' JSON. */
export function consentOf(row: RequestRow): Consent {
  let tools: Partial<Record<'files' | 'sysinfo' | 'shell' | 'shell_elevated', boolean>> = {};
  try {
    tools = row.consent_tools ? (JSON.parse(row.consent_tools) as typeof tools) : {};
  } catch {
    tools = {};
  }
  return {
    view: row.consent_view === 1,
    control: row.consent_control === 1,
    files: tools.files === true,
    sysinfo: tools.sysinfo === true,
    shell: tools.shell === true,
    shell_elevated: tools.shell_elevated === true,
  };
}

export function parseAgentInfo(row: RequestRow): AgentInfo | null {
  if (!row.agent_info) return null;
  try {
    return JSON.parse(row.agent_info) as AgentInfo;
  } catch {
    return null;
  }
}

/** May this technician act on (chat in, signal for, end) this request? */
export function canAct(row: RequestRow, technicianId: number): boolean {
  return row.status === 'active' ? row.accepted_by === technicianId : row.technician_id === technicianId;
}
