import { describe, expect, it } from 'vitest';
import { queueItem } from '../../test/fixtures.js';
import { presenceLabel, queueSections } from './sections.js';

const printers = { id: 1, name: 'Printers' };
const network = { id: 2, name: 'Network' };
const team = (t: { id: number; name: string }) => ({ kind: 'team' as const, team: t });

describe('queueSections', () => {
  it('shows My queue, each team by name (even empty), then General', () => {
    const sections = queueSections([], [printers, network], 7);
    expect(sections.map((s) => [s.kind, s.title, s.items.length])).toEqual([
      ['personal', 'My queue', 0], ['team', 'Network', 0], ['team', 'Printers', 0], ['general', 'General', 0],
    ]);
  });

  it('puts each waiting request in its queue\'s section; items from a server without queues are personal', () => {
    const items = [
      queueItem({ requestId: 'old-server' }),
      queueItem({ requestId: 'p', queue: { kind: 'personal' } }),
      queueItem({ requestId: 't', queue: team(printers) }),
      queueItem({ requestId: 'g', queue: { kind: 'general' } }),
      queueItem({ requestId: 'active', queue: { kind: 'general' }, status: 'active' }),
    ];
    const byKey = Object.fromEntries(queueSections(items, [printers], 7).map((s) => [s.key, s.items.map((i) => i.requestId)]));
    expect(byKey).toEqual({ personal: ['old-server', 'p'], 'team-1': ['t'], general: ['g'] });
  });

  it('lists what routing gave this technician first, then the longest waiting', () => {
    const items = [
      queueItem({ requestId: 'newer', createdAt: 300, queue: team(printers) }),
      queueItem({ requestId: 'older', createdAt: 100, queue: team(printers), routedTo: { id: 8, displayName: 'Bob' } }),
      queueItem({ requestId: 'mine', createdAt: 200, queue: team(printers), routedTo: { id: 7, displayName: 'Ann' } }),
    ];
    expect(queueSections(items, [printers], 7)[1]!.items.map((i) => i.requestId)).toEqual(['mine', 'older', 'newer']);
  });

  it('shows a team an item names before the team list has caught up', () => {
    const sections = queueSections([queueItem({ requestId: 't', queue: team(network) })], [], 7);
    expect(sections.map((s) => s.title)).toEqual(['My queue', 'Network', 'General']);
  });
});

describe('presenceLabel', () => {
  it('says the status, and the sessions when there are any', () => {
    expect(presenceLabel({ status: 'available', activeSessions: 0 })).toBe('Available');
    expect(presenceLabel({ status: 'busy', activeSessions: 1 })).toBe('Busy · 1 session');
    expect(presenceLabel({ status: 'away', activeSessions: 2 })).toBe('Away · 2 sessions');
    expect(presenceLabel({ status: 'offline', activeSessions: 1 })).toBe('Offline');
  });
});
