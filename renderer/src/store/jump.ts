import type { StateCreator } from 'zustand';
import type { JumpClientSummary, JumpGroupSummary } from '../../../shared/jump.js';
import type { AppState } from './index.js';

/** What the console shows when no session is open. */
export type HomeView = 'queue' | 'jump';

export interface JumpFilter {
  /** Matched against name, host, user and OS, case-insensitively. */
  search: string;
  status: 'all' | 'online' | 'offline';
  /** One OS exactly, or '' for all. */
  os: string;
}

export interface JumpData {
  home: HomeView;
  jumpGroups: JumpGroupSummary[];
  jumpClients: JumpClientSummary[];
  /** The server has sent the list at least once. */
  jumpLoaded: boolean;
  jumpFilter: JumpFilter;
  /** The client a lifeline://jump link pointed at, shown highlighted. */
  jumpSelected: number | null;
}

export const initialJump: JumpData = {
  home: 'queue', jumpGroups: [], jumpClients: [], jumpLoaded: false, jumpFilter: { search: '', status: 'all', os: '' }, jumpSelected: null,
};

export function jumpChanged(data: JumpData, list: { groups: JumpGroupSummary[]; clients: JumpClientSummary[] }): JumpData {
  return { ...data, jumpGroups: list.groups, jumpClients: list.clients, jumpLoaded: true };
}

export function homeChanged(data: JumpData, home: HomeView): JumpData {
  return { ...data, home };
}

export function jumpFilterChanged(data: JumpData, patch: Partial<JumpFilter>): JumpData {
  return { ...data, jumpFilter: { ...data.jumpFilter, ...patch } };
}

export interface JumpGroupView {
  group: JumpGroupSummary;
  clients: JumpClientSummary[];
}

/** The groups that have clients matching the filter, by name; in each, online clients first, then by name. */
export function visibleJumpGroups(groups: readonly JumpGroupSummary[], clients: readonly JumpClientSummary[], filter: JumpFilter): JumpGroupView[] {
  const words = filter.search.toLowerCase().split(/\s+/).filter(Boolean);
  const matches = (c: JumpClientSummary) => {
    if (filter.status === 'online' && !c.online) return false;
    if (filter.status === 'offline' && c.online) return false;
    if (filter.os && c.os !== filter.os) return false;
    const text = `${c.name} ${c.hostname} ${c.user} ${c.os}`.toLowerCase();
    return words.every((w) => text.includes(w));
  };
  const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
  return [...groups]
    .sort(byName)
    .map((group) => ({
      group,
      clients: clients.filter((c) => c.groupId === group.id && matches(c)).sort((a, b) => Number(b.online) - Number(a.online) || byName(a, b)),
    }))
    .filter((g) => g.clients.length > 0);
}

/** The operating systems to filter by, as the clients report them. */
export function jumpOsChoices(clients: readonly JumpClientSummary[]): string[] {
  return [...new Set(clients.map((c) => c.os))].sort((a, b) => a.localeCompare(b));
}

export interface JumpSlice extends JumpData {
  jumpChanged(list: { groups: JumpGroupSummary[]; clients: JumpClientSummary[] }): void;
  homeChanged(home: HomeView): void;
  jumpFilterChanged(patch: Partial<JumpFilter>): void;
}

export const createJumpSlice: StateCreator<AppState, [], [], JumpSlice> = (set) => ({
  ...initialJump,
  jumpChanged: (list) => set((s) => jumpChanged(s, list)),
  homeChanged: (home) => set((s) => homeChanged(s, home)),
  jumpFilterChanged: (patch) => set((s) => jumpFilterChanged(s, patch)),
});
