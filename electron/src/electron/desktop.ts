/**
 * Desktop integration decisions, as pure functions so they are tested without
 * the Electron binary: deep links and their delivery, the remembered window
 * bounds, the tray's count and menu, and which queue entries deserve a
 * notification.
 */
import path from 'node:path';
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

/** Requests waiting to be taken: what the tray and the dock badge count. */
export function waitingCount(items: readonly QueueItem[]): number {
  return items.filter((i) => i.status === 'waiting').length;
}

/** "3 waiting requests": the tray menu's first line. */
export function waitingLabel(count: number): string {
  if (count === 0) return 'No waiting requests';
  return `${count} waiting request${count === 1 ? '' : 's'}`;
}

export function trayTooltip(count: number): string {
  return `Lifeline: ${waitingLabel(count)}`;
}

export interface TrayMenuItem {
  label?: string;
  type?: 'separator';
  enabled?: boolean;
  click?: () => void;
}

/** The tray's menu: the count (a label, not a command), then opening the console and quitting. */
export function trayMenu(count: number, actions: { open: () => void; quit: () => void }): TrayMenuItem[] {
  return [
    { label: waitingLabel(count), enabled: false },
    { type: 'separator' },
    { label: 'Open console', click: actions.open },
    { type: 'separator' },
    { label: 'Quit', click: actions.quit },
  ];
}

/**
 * Decides which queue entries deserve an OS notification: a request that
 * starts waiting, once. The first queue seen after signing in only sets the
 * baseline: what was already waiting then is in the console's list, not news.
 */
export function createQueueWatch() {
  let waiting: Set<string> | null = null;
  return {
    /** A new queue snapshot: returns the requests to announce. */
    changed(items: readonly QueueItem[]): QueueItem[] {
      const fresh = waiting ? newlyWaiting(waiting, items) : [];
      waiting = new Set(items.filter((i) => i.status === 'waiting').map((i) => i.requestId));
      return fresh;
    },
    /** After signing out, the next sign-in's first snapshot is a baseline again. */
    signedOut(): void {
      waiting = null;
    },
  };
}

/** Requests that are waiting now and were not waiting before. */
function newlyWaiting(before: ReadonlySet<string>, items: readonly QueueItem[]): QueueItem[] {
  return items.filter((i) => i.status === 'waiting' && !before.has(i.requestId));
}

/**
 * Hands deep links to the renderer exactly once each. A link that arrives
 * before the renderer has loaded (a cold start from a link, a window still
 * opening, a reload) waits, and is delivered when it has; a newer link
 * replaces a waiting one.
 */
export function createLinkDelivery(deliver: (link: DeepLink) => void) {
  let pending: DeepLink | null = null;
  let ready = false;
  return {
    push(link: DeepLink | null): void {
      if (!link) return;
      if (ready) deliver(link);
      else pending = link;
    },
    rendererReady(): void {
      ready = true;
      const link = pending;
      pending = null;
      if (link) deliver(link);
    },
    rendererGone(): void {
      ready = false;
    },
  };
}

/**
 * How the OS must start the console for a lifeline:// link when it runs from
 * source (`electron .`, process.defaultApp): Electron with the app's folder,
 * or the link would open bare Electron. Null for an installed app.
 */
export function devProtocolClient(proc: { defaultApp?: boolean; execPath: string; argv: readonly string[] }): { execPath: string; args: string[] } | null {
  const appPath = proc.argv[1];
  if (!proc.defaultApp || appPath === undefined) return null;
  return { execPath: proc.execPath, args: [path.resolve(appPath)] };
}
