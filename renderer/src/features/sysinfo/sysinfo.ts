/**
 * Pure helpers for the system information panel: parsing the agent's answer,
 * sorting and filtering the process list, and the figures people read.
 */
import { SystemInfo } from '../../../../shared/tools.js';
import { LifelineError } from '../../../../shared/errors.js';

export type ProcessInfo = SystemInfo['processes'][number];
export type ProcessSortKey = 'name' | 'pid' | 'cpu' | 'memory';
export interface ProcessSort {
  key: ProcessSortKey;
  dir: 'asc' | 'desc';
}

/** Long lists are cut to this many rows; the filter narrows them down. */
export const SHOWN_ROWS = 500;

export const DEFAULT_PROCESS_SORT: ProcessSort = { key: 'cpu', dir: 'desc' };

export function parseSystemInfo(value: unknown): SystemInfo {
  const parsed = SystemInfo.safeParse(value);
  if (!parsed.success) throw new LifelineError('ERR_BAD_MESSAGE', 'The remote computer sent system information this console cannot read.');
  return parsed.data;
}

const byName = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });

const COMPARE: Record<ProcessSortKey, (a: ProcessInfo, b: ProcessInfo) => number> = {
  name: (a, b) => byName.compare(a.name, b.name),
  pid: (a, b) => a.pid - b.pid,
  cpu: (a, b) => a.cpuPercent - b.cpuPercent,
  memory: (a, b) => a.memoryBytes - b.memoryBytes,
};

/** A new sorted list; ties keep pid order so rows do not jump between refreshes. */
export function sortProcesses(list: readonly ProcessInfo[], sort: ProcessSort): ProcessInfo[] {
  const sign = sort.dir === 'asc' ? 1 : -1;
  const compare = COMPARE[sort.key];
  return [...list].sort((a, b) => sign * compare(a, b) || a.pid - b.pid);
}

/** Clicking the sorted column flips it; another column starts with the order people want first (busiest first). */
export function toggleSort(current: ProcessSort, key: ProcessSortKey): ProcessSort {
  if (current.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  return { key, dir: key === 'cpu' || key === 'memory' ? 'desc' : 'asc' };
}

/** Case-insensitive match on name, command line and user; a number also matches the pid exactly. */
export function filterProcesses(list: readonly ProcessInfo[], query: string): readonly ProcessInfo[] {
  const q = query.trim().toLowerCase();
  if (!q) return list;
  const pid = /^\d+$/.test(q) ? Number(q) : null;
  return list.filter(
    (p) => p.pid === pid || p.name.toLowerCase().includes(q) || p.command.toLowerCase().includes(q) || p.user.toLowerCase().includes(q),
  );
}

/** Case-insensitive match on a name (services, installed software). */
export function filterByName<T extends { name: string }>(list: readonly T[], query: string): readonly T[] {
  const q = query.trim().toLowerCase();
  return q ? list.filter((x) => x.name.toLowerCase().includes(q)) : list;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '–';
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 || v >= 100 ? Math.round(v) : v.toFixed(1)} ${UNITS[u]}`;
}

export function formatUptime(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  const m = Math.floor(seconds / 60) % 60;
  const h = Math.floor(seconds / 3600) % 24;
  const d = Math.floor(seconds / 86_400);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  return `${m} min`;
}

export function formatPercent(p: number): string {
  return Number.isFinite(p) ? `${p < 10 ? p.toFixed(1) : Math.round(p)} %` : '–';
}

/** "Debian GNU/Linux 12 · kernel 6.1.0 · x64", from whatever parts the agent knows. */
export function describeOs(os: SystemInfo['os']): string {
  const name = [os.distro || os.platform, os.release].filter(Boolean).join(' ');
  return [name, os.kernel && `kernel ${os.kernel}`, os.arch].filter(Boolean).join(' · ');
}
