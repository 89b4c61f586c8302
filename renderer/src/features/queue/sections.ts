/**
 * How the queue view groups what waits: My queue, one section per team of
 * the technician's, and General. Pure, so the grouping is tested without a
 * DOM (the alert rules are in store/desk.ts).
 */
import type { ChosenStatus, PresenceStatus, QueueKind, TeamRef, TechnicianPresence } from '../../../../shared/desk.js';
import type { QueueItem } from '../../../../shared/protocol.js';
import { isForMe, kindOf } from '../../store/desk.js';

export interface QueueSection {
  key: string;
  kind: QueueKind;
  title: string;
  items: QueueItem[];
}

/**
 * The sections, always in the same order: My queue, the teams by name (an
 * empty team queue still shows), General. Within one, what routing gave
 * this technician comes first, then the longest waiting.
 */
export function queueSections(items: readonly QueueItem[], teams: readonly TeamRef[], meId: number | null): QueueSection[] {
  const waiting = items.filter((i) => i.status === 'waiting');
  const order = (list: QueueItem[]) =>
    list.sort((a, b) => Number(isForMe(b, meId)) - Number(isForMe(a, meId)) || a.createdAt - b.createdAt);
  const teamList = new Map(teams.map((t) => [t.id, t.name]));
  // A snapshot may name a team before the team list catches up.
  for (const i of waiting) if (i.queue?.kind === 'team' && !teamList.has(i.queue.team.id)) teamList.set(i.queue.team.id, i.queue.team.name);
  const teamSections = [...teamList]
    .sort((a, b) => a[1].localeCompare(b[1]))
    .map(([id, name]): QueueSection => ({
      key: `team-${id}`, kind: 'team', title: name,
      items: order(waiting.filter((i) => i.queue?.kind === 'team' && i.queue.team.id === id)),
    }));
  return [
    { key: 'personal', kind: 'personal', title: 'My queue', items: order(waiting.filter((i) => kindOf(i) === 'personal')) },
    ...teamSections,
    { key: 'general', kind: 'general', title: 'General', items: order(waiting.filter((i) => kindOf(i) === 'general')) },
  ];
}

export const STATUS_LABELS: Record<PresenceStatus, string> = {
  available: 'Available', busy: 'Busy', away: 'Away', offline: 'Offline',
};

export const CHOICE_LABELS: Record<ChosenStatus, string> = {
  available: 'Available', busy: 'Busy', away: 'Away',
};

/** "Busy · 1 session", "Available", "Offline". */
export function presenceLabel(p: Pick<TechnicianPresence, 'status' | 'activeSessions'>): string {
  if (p.activeSessions === 0 || p.status === 'offline') return STATUS_LABELS[p.status];
  return `${STATUS_LABELS[p.status]} · ${p.activeSessions} session${p.activeSessions === 1 ? '' : 's'}`;
}
