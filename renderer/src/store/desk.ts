import type { StateCreator } from 'zustand';
import type { QueueKind, TeamRef, TechnicianPresence } from '../../../shared/desk.js';
import type { QueueItem } from '../../../shared/protocol.js';
import type { AppState } from './index.js';

/** Items from a server without queues carry no placement: they are all personal. */
export function kindOf(item: QueueItem): QueueKind {
  return item.queue?.kind ?? 'personal';
}

export function isForMe(item: QueueItem, meId: number | null): boolean {
  return meId != null && item.routedTo?.id === meId;
}

/**
 * What deserves an alert in a new snapshot: a request that arrived in his
 * personal queue or a team queue, and one routing just gave him (from any
 * queue). General arrivals alone do not ring: routing gives each to someone.
 * `before` is null until the first snapshot, which never rings (that is what
 * already waited when he signed in).
 */
export function newArrivals(before: readonly QueueItem[] | null, after: readonly QueueItem[], meId: number | null): QueueItem[] {
  if (before === null) return [];
  const old = new Map(before.map((i) => [i.requestId, i]));
  return after.filter((i) => {
    if (i.status !== 'waiting') return false;
    const prev = old.get(i.requestId);
    if (isForMe(i, meId) && !(prev && isForMe(prev, meId))) return true;
    return !prev && kindOf(i) !== 'general';
  });
}

/** One line for an alert: who waits and where. */
export function arrivalText(items: readonly QueueItem[], meId: number | null): string {
  if (items.length > 1) return `${items.length} new requests are waiting for you.`;
  const [i] = items;
  if (!i) return '';
  if (isForMe(i, meId)) return `New request for you: ${i.customerName}`;
  if (i.queue?.kind === 'team') return `New request in ${i.queue.team.name}: ${i.customerName}`;
  return `New request in your queue: ${i.customerName}`;
}

/** An arrival worth a sound and a notification. */
export interface DeskAlert {
  text: string;
  requestIds: string[];
  at: number;
}

export interface DeskData {
  /** The technician's teams: their queues show even when empty. */
  teams: TeamRef[];
  /** Every technician's status, this one's included. */
  presence: TechnicianPresence[];
  /** The last queue snapshot the alert rules saw; null before the first one. */
  alertSeen: QueueItem[] | null;
  alert: DeskAlert | null;
  /** The bell: sound and OS notifications for arrivals. */
  alertsOn: boolean;
}

export const initialDesk: DeskData = { teams: [], presence: [], alertSeen: null, alert: null, alertsOn: true };

export function teamsChanged(data: DeskData, teams: TeamRef[]): DeskData {
  return { ...data, teams };
}

export function presenceChanged(data: DeskData, presence: TechnicianPresence[]): DeskData {
  return { ...data, presence };
}

/** Runs the alert rules over a new snapshot; an alert replaces the previous one. */
export function queueSeen(data: DeskData, items: QueueItem[], meId: number | null, at: number): DeskData {
  const arrived = newArrivals(data.alertSeen, items, meId);
  const alert = arrived.length ? { text: arrivalText(arrived, meId), requestIds: arrived.map((i) => i.requestId), at } : data.alert;
  return { ...data, alertSeen: items, alert };
}

export function alertDismissed(data: DeskData): DeskData {
  return { ...data, alert: null };
}

export function alertsToggled(data: DeskData, on: boolean): DeskData {
  return { ...data, alertsOn: on };
}

export interface DeskSlice extends DeskData {
  teamsChanged(teams: TeamRef[]): void;
  presenceChanged(presence: TechnicianPresence[]): void;
  queueSeen(items: QueueItem[]): void;
  alertDismissed(): void;
  alertsToggled(on: boolean): void;
}

export const createDeskSlice: StateCreator<AppState, [], [], DeskSlice> = (set) => ({
  ...initialDesk,
  teamsChanged: (teams) => set((s) => teamsChanged(s, teams)),
  presenceChanged: (presence) => set((s) => presenceChanged(s, presence)),
  queueSeen: (items) => set((s) => queueSeen(s, items, s.technician?.id ?? null, Date.now())),
  alertDismissed: () => set((s) => alertDismissed(s)),
  alertsToggled: (on) => set((s) => alertsToggled(s, on)),
});
