/**
 * Routing of team and general requests to technicians. A team routes by its
 * mode: `least_busy` — among its available members, the one with the fewest
 * active sessions (tie: the one assigned least recently); `skills` — the same
 * among the members having the issue type's skill. General requests go to
 * the least busy available technician. When nobody fits, the request waits
 * unassigned in its queue and the next pass (whenever someone becomes
 * available) routes it.
 *
 * A pass runs over every waiting request, so an assignment whose technician
 * is no longer available (went away, offline, or busy) moves on; an
 * assignment whose technician is still available stays put.
 *
 * A request transferred to a team queue is never routed back to the
 * technician who transferred it; with nobody else available it waits.
 *
 * The decisions are pure functions (planRoutes); Router only reads the
 * database and writes the plan back.
 */
import type { TechnicianPresence } from '../../../shared/desk.js';
import type { PresenceStatus } from '../../../shared/desk.js';
import type { RoutingMode, TeamService } from '../teams/service.js';
import type { QueueService, RequestRow } from './service.js';
import { queueKindOf } from './visibility.js';

export interface RoutableRequest {
  id: string;
  /** null: the general queue. */
  teamId: number | null;
  requiredSkill: string | null;
  routedTo: number | null;
  /** Who transferred it to this queue: he handed it on, so it is never routed back to him (he may still accept it). */
  transferredBy: number | null;
}

export interface TeamRouting {
  mode: RoutingMode;
  members: ReadonlyArray<{ technicianId: number; skills: readonly string[] }>;
}

export interface Candidate {
  id: number;
  status: PresenceStatus;
  activeSessions: number;
  /** When routing last assigned him a request; null = never. */
  lastRoutedAt: number | null;
}

export interface RoutingWorld {
  teams: ReadonlyMap<number, TeamRouting>;
  /** Every technician. */
  technicians: ReadonlyArray<Pick<Candidate, 'id' | 'status' | 'activeSessions'>>;
  lastRoutedAt: ReadonlyMap<number, number>;
}

export interface RouteChange {
  requestId: string;
  routedTo: number | null;
}

/**
 * The available candidate with the fewest active sessions; ties go to the
 * one assigned least recently (never assigned first), then the lowest id so
 * the choice never depends on input order.
 */
export function chooseTechnician(candidates: readonly Candidate[]): number | null {
  let best: Candidate | null = null;
  for (const c of candidates) {
    if (c.status !== 'available') continue;
    if (!best || compare(c, best) < 0) best = c;
  }
  return best?.id ?? null;
}

function compare(a: Candidate, b: Candidate): number {
  if (a.activeSessions !== b.activeSessions) return a.activeSessions - b.activeSessions;
  const la = a.lastRoutedAt ?? -Infinity;
  const lb = b.lastRoutedAt ?? -Infinity;
  if (la !== lb) return la < lb ? -1 : 1;
  return a.id - b.id;
}

/** Who may be routed this request at all, available or not. */
export function eligibleFor(request: RoutableRequest, world: RoutingWorld): number[] {
  const team = request.teamId == null ? undefined : world.teams.get(request.teamId);
  // A general request, or one whose team no longer exists: anyone.
  const ids = !team
    ? world.technicians.map((t) => t.id)
    : (team.mode === 'skills' && request.requiredSkill ? team.members.filter((m) => m.skills.includes(request.requiredSkill!)) : team.members).map((m) => m.technicianId);
  return ids.filter((id) => id !== request.transferredBy);
}

/**
 * The assignments that change, for requests given oldest first. Each
 * assignment counts as the technician's most recent one for the requests
 * after it, so a burst of requests is spread over the available technicians.
 */
export function planRoutes(requests: readonly RoutableRequest[], world: RoutingWorld, now: number): RouteChange[] {
  const byId = new Map(world.technicians.map((t) => [t.id, t]));
  const lastRouted = new Map(world.lastRoutedAt);
  const changes: RouteChange[] = [];
  for (const request of requests) {
    const eligible = eligibleFor(request, world);
    const current = request.routedTo;
    if (current != null && eligible.includes(current) && byId.get(current)?.status === 'available') continue;
    const candidates = eligible.flatMap((id) => {
      const t = byId.get(id);
      return t ? [{ ...t, lastRoutedAt: lastRouted.get(id) ?? null }] : [];
    });
    const chosen = chooseTechnician(candidates);
    if (chosen === current) continue;
    changes.push({ requestId: request.id, routedTo: chosen });
    if (chosen != null) lastRouted.set(chosen, now);
  }
  return changes;
}

export function routableOf(row: RequestRow & { transferred_by: number | null }): RoutableRequest {
  return {
    id: row.id,
    teamId: queueKindOf(row) === 'team' ? row.team_id : null,
    requiredSkill: row.required_skill,
    routedTo: row.routed_to,
    transferredBy: row.transferred_by,
  };
}

export class Router {
  constructor(private readonly queue: QueueService, private readonly teams: TeamService) {}

  /** One routing pass; returns the requests whose assignment changed. */
  async route(presence: readonly TechnicianPresence[], now = Date.now()): Promise<RouteChange[]> {
    const waiting = await this.queue.waitingForRouting();
    if (!waiting.length) return [];
    const teams = new Map<number, TeamRouting>();
    for (const t of await this.teams.list()) {
      teams.set(t.id, { mode: t.routing, members: (await this.teams.members(t.id)).map((m) => ({ technicianId: m.technicianId, skills: m.skills })) });
    }
    const world: RoutingWorld = { teams, technicians: presence, lastRoutedAt: await this.queue.lastRoutedAt() };
    const changes = planRoutes(waiting.map(routableOf), world, now);
    const applied: RouteChange[] = [];
    // A request accepted meanwhile no longer waits: route() leaves it alone.
    for (const c of changes) if (await this.queue.route(c.requestId, c.routedTo, now)) applied.push(c);
    return applied;
  }
}
