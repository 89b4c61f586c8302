/**
 * Support requests and their lifecycle: waiting in a queue (a technician's
 * personal queue, a team's, or the general one) -> active (accepted) ->
 * ended. State lives in the database, so the queues survive a server
 * restart; who is online is the hub's business.
 */
import { randomUUID } from 'node:crypto';
import type { ExpressionBuilder, Selectable, Transaction } from 'kysely';
import { LifelineError } from '../../../shared/errors.js';
import type { TeamRef } from '../../../shared/desk.js';
import type { AgentInfo, Consent } from '../../../shared/protocol.js';
import type { Db } from '../db/index.js';
import type { Database, RequestsTable } from '../db/schema.js';
import { inQueuesOf, type QueueNames, type Viewer } from './visibility.js';

export type RequestRow = Selectable<RequestsTable>;

/** A request for a team's queue or the general queue, made on the portal without a code. */
export interface DeskRequestInput {
  customerName: string;
  description: string;
  queue: 'team' | 'general';
  teamId: number | null;
  issueType: string | null;
  requiredSkill: string | null;
  portalKeyHash: string;
}

/**
 * SQL for "the request waits in one of this technician's queues"; the same
 * rule as inQueuesOf in visibility.ts.
 */
function inQueuesOfSql(eb: ExpressionBuilder<Database, 'requests'>, technicianId: number) {
  return eb.or([
    eb.and([eb('queue', '=', 'personal'), eb('technician_id', '=', technicianId)]),
    eb.and([
      eb('queue', '=', 'team'),
      eb('team_id', 'in', eb.selectFrom('team_members').select('team_members.team_id').where('team_members.technician_id', '=', technicianId)),
    ]),
    eb.and([eb('queue', '=', 'team'), eb('team_id', 'is', null)]),
    eb('queue', '=', 'general'),
  ]);
}

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

  /** A team or general request, with the portal already joined (it made the request); CodeService.createForRequest adds its code. */
  async createDeskRequest(trx: Transaction<Database>, input: DeskRequestInput): Promise<string> {
    const id = randomUUID();
    await trx
      .insertInto('requests')
      .values({
        id,
        technician_id: null,
        code_hash: null,
        customer_name: input.customerName,
        status: 'waiting',
        created_at: Date.now(),
        portal_key_hash: input.portalKeyHash,
        consent_view: 0,
        consent_control: 0,
        queue: input.queue,
        team_id: input.teamId,
        description: input.description,
        issue_type: input.issueType,
        required_skill: input.requiredSkill,
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

  /**
   * Open requests a technician sees: what waits in his personal queue, his
   * teams' queues and the general queue, and the sessions he runs.
   */
  async listFor(technicianId: number): Promise<RequestRow[]> {
    return this.db
      .selectFrom('requests')
      .selectAll()
      .where('status', '!=', 'ended')
      .where((eb) => eb.or([
        eb('accepted_by', '=', technicianId),
        eb.and([eb('status', '=', 'waiting'), inQueuesOfSql(eb, technicianId)]),
        // Shared sessions he was invited into.
        eb.and([
          eb('status', '=', 'active'),
          eb('id', 'in', eb.selectFrom('session_participants').select('session_participants.request_id').where('session_participants.technician_id', '=', technicianId)),
        ]),
      ]))
      .orderBy('created_at')
      .execute();
  }

  /**
   * Accepts a waiting request in one of the technician's queues. One
   * conditional UPDATE decides the winner, so two simultaneous accepts give
   * exactly one session.
   */
  async accept(requestId: string, technicianId: number): Promise<RequestRow> {
    const res = await this.db
      .updateTable('requests')
      .set({ status: 'active', accepted_by: technicianId, accepted_at: Date.now() })
      .where('id', '=', requestId)
      .where('status', '=', 'waiting')
      .where((eb) => inQueuesOfSql(eb, technicianId))
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 1) return this.getOrThrow(requestId);
    const row = await this.getOrThrow(requestId);
    if (!inQueuesOf(row, await this.viewer(technicianId))) throw new LifelineError('ERR_PERMISSION');
    if (row.status === 'ended') throw new LifelineError('ERR_SESSION_ENDED');
    throw new LifelineError('ERR_ALREADY_TAKEN');
  }

  /** The technicians invited into a session besides its holder, in the order they joined. */
  async participantsOf(requestId: string): Promise<number[]> {
    const rows = await this.db
      .selectFrom('session_participants')
      .select('technician_id')
      .where('request_id', '=', requestId)
      .orderBy('joined_at')
      .orderBy('technician_id')
      .execute();
    return rows.map((r) => r.technician_id);
  }

  /** The technician with the teams he belongs to, for the visibility rules. */
  async viewer(technicianId: number): Promise<Viewer> {
    return { id: technicianId, teamIds: (await this.teamsOf(technicianId)).map((t) => t.id) };
  }

  async teamsOf(technicianId: number): Promise<TeamRef[]> {
    return this.db
      .selectFrom('teams')
      .innerJoin('team_members', 'team_members.team_id', 'teams.id')
      .select(['teams.id', 'teams.name'])
      .where('team_members.technician_id', '=', technicianId)
      .orderBy('teams.name')
      .execute();
  }

  /**
   * Who may see the request in a queue: its personal owner, its team's
   * members, or everyone (general queue); its accepting technician in all cases.
   */
  async audienceOf(row: RequestRow): Promise<number[] | 'everyone'> {
    const accepted = row.accepted_by != null ? [row.accepted_by] : [];
    if (row.queue === 'personal') return [...new Set([...(row.technician_id != null ? [row.technician_id] : []), ...accepted])];
    if (row.queue === 'general' || row.team_id == null) return 'everyone';
    const members = await this.db.selectFrom('team_members').select('technician_id').where('team_id', '=', row.team_id).execute();
    return [...new Set([...members.map((m) => m.technician_id), ...accepted])];
  }

  /** Team and technician names for the given rows' queue entries. */
  async namesFor(rows: readonly RequestRow[]): Promise<QueueNames> {
    const teamIds = [...new Set(rows.flatMap((r) => (r.team_id != null ? [r.team_id] : [])))];
    const techIds = [...new Set(rows.flatMap((r) => (r.routed_to != null ? [r.routed_to] : [])))];
    const teams = teamIds.length ? await this.db.selectFrom('teams').select(['id', 'name']).where('id', 'in', teamIds).execute() : [];
    const techs = techIds.length ? await this.db.selectFrom('technicians').select(['id', 'display_name']).where('id', 'in', techIds).execute() : [];
    return { teams: new Map(teams.map((t) => [t.id, t.name])), technicians: new Map(techs.map((t) => [t.id, t.display_name])) };
  }

  /** Active sessions per technician (only technicians with at least one). */
  async activeSessionCounts(): Promise<Map<number, number>> {
    const rows = await this.db
      .selectFrom('requests')
      .select(['accepted_by', (eb) => eb.fn.countAll<number>().as('n')])
      .where('status', '=', 'active')
      .where('accepted_by', 'is not', null)
      .groupBy('accepted_by')
      .execute();
    return new Map(rows.map((r) => [r.accepted_by!, Number(r.n)]));
  }

  /** Team and general requests that wait, oldest first: what routing looks at. */
  /** The requests routing looks at, each with who last transferred it (null: nobody). */
  async waitingForRouting(): Promise<(RequestRow & { transferred_by: number | null })[]> {
    return this.db
      .selectFrom('requests')
      .selectAll('requests')
      .select((eb) => eb
        .selectFrom('session_notes')
        .select('session_notes.author_id')
        .whereRef('session_notes.request_id', '=', 'requests.id')
        .where('session_notes.kind', '=', 'transfer')
        .orderBy('session_notes.created_at', 'desc')
        .orderBy('session_notes.id', 'desc')
        .limit(1)
        .as('transferred_by'))
      .where('status', '=', 'waiting')
      .where('queue', 'in', ['team', 'general'])
      .orderBy('created_at')
      .orderBy('id')
      .execute();
  }

  /** When routing last assigned each technician a request. */
  async lastRoutedAt(): Promise<Map<number, number>> {
    const rows = await this.db
      .selectFrom('requests')
      .select(['routed_to', (eb) => eb.fn.max('routed_at').as('at')])
      .where('routed_to', 'is not', null)
      .groupBy('routed_to')
      .execute();
    return new Map(rows.map((r) => [r.routed_to!, Number(r.at)]));
  }

  /** Assigns a waiting request to a technician (or to nobody); false when it no longer waits. */
  async route(requestId: string, technicianId: number | null, at = Date.now()): Promise<boolean> {
    const res = await this.db
      .updateTable('requests')
      .set(technicianId == null ? { routed_to: null } : { routed_to: technicianId, routed_at: at })
      .where('id', '=', requestId)
      .where('status', '=', 'waiting')
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
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

/**
 * May this technician act on (chat in, signal for, end, transfer) this request?
 * The holder of an active session; the owner of a waiting personal request.
 */
export function canAct(row: RequestRow, technicianId: number): boolean {
  return row.status === 'active' ? row.accepted_by === technicianId : row.technician_id === technicianId;
}

/**
 * May this technician take part in (see, chat in, signal for) this request?
 * Whoever may act on it, and the colleagues invited into an active session
 * (`invited`: QueueService.participantsOf).
 */
export function canJoin(row: RequestRow, technicianId: number, invited: readonly number[]): boolean {
  return canAct(row, technicianId) || (row.status === 'active' && invited.includes(technicianId));
}

/**
 * May this technician chat in this request? Whoever takes part in it
 * (canJoin), and while it waits, whoever may accept it: the accept's rule
 * (inQueuesOf), so a user who writes while queued is answered before anyone
 * accepts, from a team's queue or the general one too.
 */
export function canChat(row: RequestRow, viewer: Viewer, invited: readonly number[]): boolean {
  return canJoin(row, viewer.id, invited) || (row.status === 'waiting' && inQueuesOf(row, viewer));
}
