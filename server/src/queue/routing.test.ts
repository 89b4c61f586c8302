import { describe, expect, it } from 'vitest';
import type { PresenceStatus } from '../../../shared/desk.js';
import { chooseTechnician, eligibleFor, planRoutes, type Candidate, type RoutableRequest, type RoutingWorld, type TeamRouting } from './routing.js';

const cand = (id: number, over: Partial<Candidate> = {}): Candidate => ({ id, status: 'available', activeSessions: 0, lastRoutedAt: null, ...over });

function world(over: {
  technicians?: Array<[id: number, status: PresenceStatus, active?: number]>;
  teams?: Record<number, TeamRouting>;
  lastRoutedAt?: Record<number, number>;
} = {}): RoutingWorld {
  return {
    technicians: (over.technicians ?? []).map(([id, status, active]) => ({ id, status, activeSessions: active ?? 0 })),
    teams: new Map(Object.entries(over.teams ?? {}).map(([k, v]) => [Number(k), v])),
    lastRoutedAt: new Map(Object.entries(over.lastRoutedAt ?? {}).map(([k, v]) => [Number(k), v])),
  };
}

const req = (id: string, over: Partial<RoutableRequest> = {}): RoutableRequest => ({ id, teamId: 1, requiredSkill: null, routedTo: null, transferredBy: null, ...over });
const team = (mode: TeamRouting['mode'], members: Array<[number, string[]?]>): TeamRouting => ({
  mode, members: members.map(([technicianId, skills]) => ({ technicianId, skills: skills ?? [] })),
});

describe('chooseTechnician', () => {
  it('picks the available technician with the fewest active sessions', () => {
    expect(chooseTechnician([cand(1, { activeSessions: 2 }), cand(2, { activeSessions: 0 }), cand(3, { activeSessions: 1 })])).toBe(2);
  });

  it('never picks someone busy, away or offline, even with fewer sessions', () => {
    expect(chooseTechnician([
      cand(1, { status: 'away' }), cand(2, { status: 'offline' }), cand(3, { status: 'busy' }), cand(4, { activeSessions: 3 }),
    ])).toBe(4);
  });

  it('on a tie, picks the one assigned least recently, and someone never assigned first', () => {
    expect(chooseTechnician([cand(1, { lastRoutedAt: 500 }), cand(2, { lastRoutedAt: 100 })])).toBe(2);
    expect(chooseTechnician([cand(1, { lastRoutedAt: 100 }), cand(2)])).toBe(2);
  });

  it('on a full tie, picks the same one whatever the order', () => {
    expect(chooseTechnician([cand(5), cand(3), cand(4)])).toBe(3);
    expect(chooseTechnician([cand(4), cand(5), cand(3)])).toBe(3);
  });

  it('returns null when nobody is available', () => {
    expect(chooseTechnician([cand(1, { status: 'away' })])).toBeNull();
    expect(chooseTechnician([])).toBeNull();
  });
});

describe('eligibleFor', () => {
  const w = world({
    technicians: [[1, 'available'], [2, 'available'], [3, 'available']],
    teams: { 1: team('skills', [[1, ['printers']], [2, ['network']]]), 2: team('least_busy', [[2, ['printers']], [3]]) },
  });

  it('a skills team offers only the members having the issue type\'s skill', () => {
    expect(eligibleFor(req('a', { teamId: 1, requiredSkill: 'printers' }), w)).toEqual([1]);
  });

  it('a skills team without a required skill offers all its members', () => {
    expect(eligibleFor(req('a', { teamId: 1 }), w)).toEqual([1, 2]);
  });

  it('a least-busy team ignores skills', () => {
    expect(eligibleFor(req('a', { teamId: 2, requiredSkill: 'printers' }), w)).toEqual([2, 3]);
  });

  it('a general request, or one whose team is gone, may go to any technician', () => {
    expect(eligibleFor(req('a', { teamId: null }), w)).toEqual([1, 2, 3]);
    expect(eligibleFor(req('a', { teamId: 99 }), w)).toEqual([1, 2, 3]);
  });
});

describe('planRoutes', () => {
  it('routes a team request to the least busy available member, not to a less busy one who is away or offline', () => {
    const w = world({
      technicians: [[1, 'available', 1], [2, 'available', 0], [3, 'away', 0], [4, 'offline', 0], [5, 'available', 0]],
      teams: { 1: team('least_busy', [[1], [2], [3], [4]]) },
    });
    expect(planRoutes([req('a')], w, 1000)).toEqual([{ requestId: 'a', routedTo: 2 }]);
  });

  it('spreads a burst of requests: each assignment counts as the most recent one', () => {
    const w = world({ technicians: [[1, 'available'], [2, 'available']], teams: { 1: team('least_busy', [[1], [2]]) }, lastRoutedAt: { 1: 10, 2: 20 } });
    expect(planRoutes([req('a'), req('b'), req('c')], w, 1000)).toEqual([
      { requestId: 'a', routedTo: 1 },
      { requestId: 'b', routedTo: 2 },
      { requestId: 'c', routedTo: 1 },
    ]);
  });

  it('routes by skill in a skills team, and leaves the request waiting when no member with the skill is available', () => {
    const w = world({
      technicians: [[1, 'available'], [2, 'available', 2], [3, 'busy']],
      teams: { 1: team('skills', [[1, ['network']], [2, ['printers']], [3, ['printers']]]) },
    });
    expect(planRoutes([req('a', { requiredSkill: 'printers' })], w, 1)).toEqual([{ requestId: 'a', routedTo: 2 }]);
    const noneFree = world({ technicians: [[1, 'available'], [3, 'busy']], teams: { 1: team('skills', [[1, ['network']], [3, ['printers']]]) } });
    expect(planRoutes([req('a', { requiredSkill: 'printers' })], noneFree, 1)).toEqual([]);
  });

  it('routes a general request to the least busy available technician of all', () => {
    const w = world({ technicians: [[1, 'available', 1], [2, 'busy', 0], [3, 'available', 0]] });
    expect(planRoutes([req('a', { teamId: null })], w, 1)).toEqual([{ requestId: 'a', routedTo: 3 }]);
  });

  it('keeps an assignment while its technician is available, even if someone less busy appears', () => {
    const w = world({ technicians: [[1, 'available', 0], [2, 'available', 0]], teams: { 1: team('least_busy', [[1], [2]]) } });
    expect(planRoutes([req('a', { routedTo: 2 })], w, 1)).toEqual([]);
  });

  it('moves an assignment whose technician went away, or unassigns it when nobody else is available', () => {
    const moved = world({ technicians: [[1, 'available'], [2, 'away']], teams: { 1: team('least_busy', [[1], [2]]) } });
    expect(planRoutes([req('a', { routedTo: 2 })], moved, 1)).toEqual([{ requestId: 'a', routedTo: 1 }]);
    const nobody = world({ technicians: [[1, 'offline'], [2, 'busy']], teams: { 1: team('least_busy', [[1], [2]]) } });
    expect(planRoutes([req('a', { routedTo: 2 })], nobody, 1)).toEqual([{ requestId: 'a', routedTo: null }]);
  });

  it('never routes a transferred request back to who transferred it: someone else, or nobody yet', () => {
    const w = world({ technicians: [[1, 'available', 0], [2, 'available', 1]], teams: { 1: team('least_busy', [[1], [2]]) } });
    expect(planRoutes([req('a', { transferredBy: 1 })], w, 1)).toEqual([{ requestId: 'a', routedTo: 2 }]);
    const alone = world({ technicians: [[1, 'available', 0], [2, 'away']], teams: { 1: team('least_busy', [[1], [2]]) } });
    expect(planRoutes([req('a', { transferredBy: 1 })], alone, 1)).toEqual([]);
    expect(planRoutes([req('a', { transferredBy: 1, teamId: null })], alone, 1)).toEqual([]);
  });

  it('moves an assignment whose technician left the team', () => {
    const w = world({ technicians: [[1, 'available'], [2, 'available']], teams: { 1: team('least_busy', [[1]]) } });
    expect(planRoutes([req('a', { routedTo: 2 })], w, 1)).toEqual([{ requestId: 'a', routedTo: 1 }]);
  });
});
