import { describe, expect, it, vi } from 'vitest';
import { FakeApi, queueItem, technician } from '../test/fixtures.js';
import { initialDesk, newArrivals, queueSeen } from './desk.js';
import { createAppStore, signedOut } from './index.js';
import { wireStore } from './wire.js';

const ME = 7;
const printers = { kind: 'team' as const, team: { id: 1, name: 'Printers' } };

describe('newArrivals', () => {
  it('never rings for the first snapshot: that is what already waited at sign-in', () => {
    expect(newArrivals(null, [queueItem({ requestId: 'a' })], ME)).toEqual([]);
  });

  it('rings for a new request in his personal queue or a team queue', () => {
    const before = [queueItem({ requestId: 'a' })];
    const after = [...before, queueItem({ requestId: 'b' }), queueItem({ requestId: 'c', queue: printers })];
    expect(newArrivals(before, after, ME).map((i) => i.requestId)).toEqual(['b', 'c']);
  });

  it('does not ring for a new general request routed to someone else, but does when routing gives one to him', () => {
    const g = queueItem({ requestId: 'g', queue: { kind: 'general' } });
    expect(newArrivals([], [g], ME)).toEqual([]);
    expect(newArrivals([], [{ ...g, routedTo: { id: 8, displayName: 'Bob' } }], ME)).toEqual([]);
    const routed = { ...g, routedTo: { id: ME, displayName: 'Me' } };
    expect(newArrivals([g], [routed], ME).map((i) => i.requestId)).toEqual(['g']);
    // Already his: no second ring.
    expect(newArrivals([routed], [routed], ME)).toEqual([]);
  });

  it('does not ring for requests that are not waiting', () => {
    expect(newArrivals([], [queueItem({ requestId: 'a', status: 'active' })], ME)).toEqual([]);
  });
});

describe('desk slice', () => {
  it('keeps the alert for the latest arrivals, in words', () => {
    let d = queueSeen(initialDesk, [], ME, 1);
    expect(d.alert).toBeNull();
    d = queueSeen(d, [queueItem({ requestId: 'a', customerName: 'Ada', queue: printers })], ME, 2);
    expect(d.alert).toEqual({ text: 'New request in Printers: Ada', requestIds: ['a'], at: 2 });
    d = queueSeen(d, [queueItem({ requestId: 'a', customerName: 'Ada', queue: printers, routedTo: { id: ME, displayName: 'Me' } })], ME, 3);
    expect(d.alert?.text).toBe('New request for you: Ada');
    // A snapshot with nothing new keeps the last alert.
    expect(queueSeen(d, d.alertSeen!, ME, 4).alert?.at).toBe(3);
  });

  it('signing out forgets presence, teams and alerts, but not the bell', () => {
    const store = createAppStore();
    store.getState().presenceChanged([{ id: 1, displayName: 'Ann', status: 'busy', chosen: 'busy', activeSessions: 0 }]);
    store.getState().teamsChanged([{ id: 1, name: 'Printers' }]);
    store.getState().alertsToggled(false);
    const after = signedOut(store.getState());
    expect(after).toMatchObject({ presence: [], teams: [], alertSeen: null, alert: null, alertsOn: false });
  });

  it('the core\'s queue and presence events land in the store', () => {
    const api = new FakeApi();
    api.handlers['auth:status'] = () => ({ technician });
    const store = createAppStore();
    wireStore(api, store, { onLinkChanged: (l) => (l('connecting'), () => {}), log: { warn: vi.fn() } });
    store.getState().signedIn(technician);
    api.emit('queue:changed', { items: [], teams: [{ id: 1, name: 'Printers' }] });
    api.emit('queue:changed', { items: [queueItem({ requestId: 'x', customerName: 'Ada', routedTo: { id: technician.id, displayName: 'Ada L.' }, queue: printers })] });
    api.emit('presence:changed', { technicians: [{ id: 2, displayName: 'Bob', status: 'away', chosen: 'away', activeSessions: 0 }] });
    const s = store.getState();
    expect(s.teams).toEqual([{ id: 1, name: 'Printers' }]);
    expect(s.alert?.text).toBe('New request for you: Ada');
    expect(s.presence.map((p) => [p.displayName, p.status])).toEqual([['Bob', 'away']]);
  });
});
