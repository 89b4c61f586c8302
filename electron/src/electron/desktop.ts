/**
 * Desktop integration decisions, as pure functions so they are tested without
 * the Electron binary: deep links, the remembered window bounds, the tray
 * label, and which queue entries deserve a notification.
 */
import type { QueueItem } from '../../../shared/protocol.js';

export const DEEP_LINK_SCHEME = 'lifeline';

export type DeepLink = { target: 'session' | 'jump'; id: string };

/** `lifeline://session/<requestId>` or `lifeline://jump/<jumpClientId>`; anything else is null. */
export function parseDeepLink(url: string): DeepLink | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.protocol !== `${DEEP_LINK_SCHEME}:`) return null;
  // lifeline://session/ID parses with host "session" and path "/ID".
  const target = u.host;
  const id = decodeURIComponent(u.pathname.replace(/^\/+/, ''));
  if ((target !== 'session' && target !== 'jump') || !/^[A-Za-z0-9-]{1,64}$/.test(id)) return null;
  return { target, id };
}

/** The deep link among a second instance's command-line arguments (Windows and Linux pass it there). */
export function deepLinkFromArgv(argv: readonly string[]): DeepLink | null {
  for (const arg of argv) {
    const link = arg.startsWith(`${DEEP_LINK_SCHEME}://`) ? parseDeepLink(arg) : null;
    if (link) return link;
  }
  return null;
}

export interface Bounds {
  x: number;
  y: number;
  width: number;
  height: number;
}

export const DEFAULT_BOUNDS = { width: 1400, height: 900 } as const;

/**
 * The saved window bounds if they are still visible on one of today's
 * displays (a monitor may have been unplugged), else a default size.
 */
export function restoreBounds(saved: unknown, workAreas: readonly Bounds[]): Partial<Bounds> & { width: number; height: number } {
  const b = saved as Partial<Bounds> | null;
  const valid = b && [b.x, b.y, b.width, b.height].every((n) => Number.isFinite(n)) && b.width! >= 400 && b.height! >= 300;
  if (!valid) return { ...DEFAULT_BOUNDS };
  const bounds = b as Bounds;
  // At least a 100x50 corner of the title bar area must be on some display.
  const visible = workAreas.some((a) =>
    bounds.x + 100 > a.x && bounds.x < a.x + a.width - 100 && bounds.y >= a.y - 10 && bounds.y < a.y + a.height - 50);
  return visible ? bounds : { width: bounds.width, height: bounds.height };
}

export function trayLabel(items: readonly QueueItem[]): string {
  const waiting = items.filter((i) => i.status === 'waiting').length;
  return waiting === 0 ? 'Lifeline: no requests waiting' : `Lifeline: ${waiting} request${waiting === 1 ? '' : 's'} waiting`;
}

/** Requests that are waiting now and were not waiting before: each gets one notification. */
export function newlyWaiting(before: ReadonlySet<string>, items: readonly QueueItem[]): QueueItem[] {
  return items.filter((i) => i.status === 'waiting' && !before.has(i.requestId));
}

/** Links from chat come from untrusted remote users: only https may leave the app, and only after the technician confirms. */
export function isOpenableExternally(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}
