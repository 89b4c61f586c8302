/**
 * Who sees which request, as pure functions over a request row. A
 * technician sees his personal queue, the queues of his teams and the
 * general queue, plus the sessions he runs; he may take what he sees. The
 * database queries in QueueService say the same thing in SQL (listFor,
 * accept), and the tests hold both to it.
 */
import type { QueueKind, QueuePlacement } from '../../../shared/desk.js';
import type { QueueItem } from '../../../shared/protocol.js';
import type { RequestRow } from './service.js';

export interface Viewer {
  id: number;
  teamIds: readonly number[];
}

type Placed = Pick<RequestRow, 'queue' | 'team_id' | 'technician_id'>;

/** The queue a request is in; a team request whose team was removed is general. */
export function queueKindOf(row: Placed): QueueKind {
  if (row.queue === 'team') return row.team_id == null ? 'general' : 'team';
  return row.queue === 'general' ? 'general' : 'personal';
}

/** Whether the request's queue is one of the viewer's, whatever its status. */
export function inQueuesOf(row: Placed, viewer: Viewer): boolean {
  switch (queueKindOf(row)) {
    case 'personal':
      return row.technician_id === viewer.id;
    case 'team':
      return viewer.teamIds.includes(row.team_id!);
    case 'general':
      return true;
  }
}

/** What a technician's queue view lists: what waits in his queues, and what he accepted. */
export function canSee(row: Placed & Pick<RequestRow, 'status' | 'accepted_by'>, viewer: Viewer): boolean {
  if (row.status === 'ended') return false;
  if (row.accepted_by === viewer.id) return true;
  return row.status === 'waiting' && inQueuesOf(row, viewer);
}

/** Names the queue entry shows, looked up once per snapshot. */
export interface QueueNames {
  teams: ReadonlyMap<number, string>;
  technicians: ReadonlyMap<number, string>;
}

export const NO_NAMES: QueueNames = { teams: new Map(), technicians: new Map() };

export function placementOf(row: Placed, names: QueueNames): QueuePlacement {
  const kind = queueKindOf(row);
  if (kind !== 'team') return { kind };
  return { kind, team: { id: row.team_id!, name: names.teams.get(row.team_id!) ?? `team ${row.team_id}` } };
}

/** The desk's part of a queue entry. */
export function deskFieldsOf(row: RequestRow, names: QueueNames): Pick<QueueItem, 'queue' | 'routedTo' | 'description' | 'issueType'> {
  return {
    queue: placementOf(row, names),
    routedTo: row.routed_to == null ? null : { id: row.routed_to, displayName: names.technicians.get(row.routed_to) ?? 'a technician' },
    description: row.description,
    issueType: row.issue_type,
  };
}
