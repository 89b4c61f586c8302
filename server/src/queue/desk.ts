/**
 * The support desk: presence, routing, issue types and the portal's
 * requests without a code, on top of the queue and the hub.
 *
 * Whatever can change who is available — a console connecting or leaving, a
 * status set by hand, a session accepted or ended, a new request — calls
 * `changed()`: one pass recomputes every technician's presence, tells the
 * consoles when it moved, and routes what waits. Passes run one at a time
 * (and coalesce), so two passes never assign the same request twice.
 */
import type { PortalHelpRequest, PortalHelpResponse, TechnicianPresence } from '../../../shared/desk.js';
import { LifelineError } from '../../../shared/errors.js';
import type { ServerToConsole } from '../../../shared/protocol.js';
import { agentCommand } from '../../../shared/session-code.js';
import type { AuditService } from '../audit/service.js';
import type { CodeService } from '../codes/service.js';
import { randomSecret, sha256 } from '../crypto.js';
import type { Db } from '../db/index.js';
import { log } from '../log.js';
import { PresenceService } from '../presence/presence.js';
import type { FailureLimiter } from '../rate-limit.js';
import type { Hub } from '../sessions/hub.js';
import type { TeamService } from '../teams/service.js';
import { IssueTypeService } from './issue-types.js';
import { Router } from './routing.js';
import type { QueueService } from './service.js';

export interface DeskOptions {
  db: Db;
  queue: QueueService;
  teams: TeamService;
  codes: CodeService;
  audit: AuditService;
  hub: Hub;
  /** Portal requests without a code allowed per address per window. */
  portalRequests: FailureLimiter;
  /** Active sessions at which a technician counts as busy. */
  busyAfterSessions?: number;
}

export class Desk {
  readonly presence: PresenceService;
  readonly issueTypes: IssueTypeService;
  private readonly router: Router;
  private lastPresence = '';
  private presenceList: TechnicianPresence[] = [];
  private tail: Promise<void> = Promise.resolve();
  private pending: Promise<void> | null = null;

  constructor(private readonly o: DeskOptions) {
    this.presence = new PresenceService(o.db, (id) => o.hub.isOnline(id), o.busyAfterSessions);
    this.issueTypes = new IssueTypeService(o.db);
    this.router = new Router(o.queue, o.teams);
  }

  /**
   * Runs a presence-and-routing pass after anything that may have changed
   * them. A call while a pass is waiting to start joins that pass.
   */
  changed(): Promise<void> {
    if (this.pending) return this.pending;
    const pass = this.tail
      .then(async () => {
        this.pending = null;
        await this.pass();
      })
      // A failed pass is logged; the next change runs a fresh one.
      .catch((e: unknown) => log.error('desk pass failed', { error: e instanceof Error ? e.stack : String(e) }));
    this.pending = pass;
    this.tail = pass;
    return pass;
  }

  /** The presence of every technician, as last computed. */
  presenceSnapshot(): Extract<ServerToConsole, { type: 'presence:snapshot' }> {
    return { type: 'presence:snapshot', technicians: this.presenceList };
  }

  private async pass(): Promise<void> {
    const list = await this.presence.list(await this.o.queue.activeSessionCounts());
    this.presenceList = list;
    const json = JSON.stringify(list);
    if (json !== this.lastPresence) {
      this.lastPresence = json;
      this.o.hub.sendToConsoles(this.presenceSnapshot());
    }
    for (const change of await this.router.route(list)) {
      const row = await this.o.queue.get(change.requestId);
      if (row) await this.o.hub.sendQueues(row);
    }
  }

  /**
   * A user asks for help on the portal without a code: the request goes to
   * the issue type's team queue (no or unknown issue type: the general
   * queue), with a session code for the support client, and is routed.
   */
  async createPortalRequest(input: PortalHelpRequest, ip: string, serverUrl: string): Promise<PortalHelpResponse> {
    // Counted per address like wrong codes: each request is work for a person.
    if (this.o.portalRequests.isBlocked(ip)) throw new LifelineError('ERR_RATE_LIMITED');
    this.o.portalRequests.recordFailure(ip);
    const type = input.issueType ? await this.issueTypes.byName(input.issueType) : null;
    const team = type?.team ?? null;
    const resumeKey = randomSecret();
    const { requestId, code } = await this.o.db.transaction().execute(async (trx) => {
      const requestId = await this.o.queue.createDeskRequest(trx, {
        customerName: input.name,
        description: input.description,
        queue: team ? 'team' : 'general',
        teamId: team?.id ?? null,
        issueType: type?.name ?? null,
        requiredSkill: type?.skill ?? null,
        portalKeyHash: sha256(resumeKey),
      });
      const { code } = await this.o.codes.createForRequest(trx, requestId);
      return { requestId, code };
    });
    await this.o.audit.record(`user:${requestId}`, 'request.created', { queue: team ? `team:${team.name}` : 'general', issueType: type?.name ?? null, ip });
    const row = await this.o.queue.getOrThrow(requestId);
    await this.o.hub.sendQueues(row);
    await this.changed();
    return {
      requestId,
      resumeKey,
      technician: { displayName: 'a technician' },
      agentCommand: agentCommand(serverUrl, code),
      code,
      queueName: team ? `the ${team.name} team` : 'the support desk',
    };
  }
}
