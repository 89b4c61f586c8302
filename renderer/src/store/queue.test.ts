import { describe, expect, it } from 'vitest';
import { queueItem } from '../test/fixtures.js';
import { codeCreated, initialQueue, queueChanged, requestSelected, waitingRequests } from './queue.js';

describe('queue slice', () => {
  it('a queue:changed snapshot replaces the whole queue', () => {
    const first = queueChanged(initialQueue, [queueItem({ requestId: 'a' }), queueItem({ requestId: 'b' })]);
    const second = queueChanged(first, [queueItem({ requestId: 'c' })]);
    expect(second.queue.map((i) => i.requestId)).toEqual(['c']);
  });

  it('the first snapshot marks the queue loaded; a selected request that no longer waits is no longer selected', () => {
    expect(initialQueue.queueLoaded).toBe(false);
    const loaded = requestSelected(queueChanged(initialQueue, [queueItem({ requestId: 'a' })]), 'a');
    expect(loaded).toMatchObject({ queueLoaded: true, selected: 'a' });
    expect(queueChanged(loaded, [queueItem({ requestId: 'a' })]).selected).toBe('a');
    expect(queueChanged(loaded, [queueItem({ requestId: 'a', status: 'active' })]).selected).toBeNull();
    expect(queueChanged(loaded, []).selected).toBeNull();
  });

  it('lists only waiting requests, longest-waiting first', () => {
    const items = [
      queueItem({ requestId: 'new', createdAt: 300 }),
      queueItem({ requestId: 'taken', createdAt: 100, status: 'active' }),
      queueItem({ requestId: 'old', createdAt: 200 }),
      queueItem({ requestId: 'gone', createdAt: 50, status: 'ended' }),
    ];
    expect(waitingRequests(items).map((i) => i.requestId)).toEqual(['old', 'new']);
    expect(items[0]!.requestId).toBe('new'); // the snapshot itself is not reordered
  });

  it('keeps the last generated session code', () => {
    const s = codeCreated(initialQueue, { code: '4829130567', expiresAt: 5 });
    expect(codeCreated(s, { code: '1112223333', expiresAt: 9 }).sessionCode).toEqual({ code: '1112223333', expiresAt: 9 });
  });
});
