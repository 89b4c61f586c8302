/**
 * A lifeline:// link waits here until it can be followed: on a cold start it
 * arrives before sign-in, before the first queue snapshot and before the jump
 * list has loaded. followLink says what following it changes once the console
 * knows enough, and only then does it say that a target is gone.
 */
import type { StateCreator } from 'zustand';
import type { EventOf } from '../../../shared/console-contract.js';
import type { AppData, AppState } from './index.js';
import { initialJump } from './jump.js';
import { noticeRaised } from './notice.js';

export type DeepLink = EventOf<'deep-link:opened'>;

export interface DeepLinkData {
  pendingLink: DeepLink | null;
  /** A jump link has switched to the jump list once; leaving that view gives the link up. */
  linkOpenedJumpView: boolean;
}

export const initialDeepLink: DeepLinkData = { pendingLink: null, linkOpenedJumpView: false };

export const LINK_GONE = {
  session: 'The linked request is not in your queue any more.',
  jump: 'The linked jump client is unknown, or you may not access it.',
} as const;

export function deepLinkOpened(data: DeepLinkData, link: DeepLink): DeepLinkData {
  return { ...data, pendingLink: link, linkOpenedJumpView: false };
}

/** What following the pending link changes now; null while there is nothing to do yet. */
export function followLink(data: AppData, at: number): Partial<AppData> | null {
  const link = data.pendingLink;
  if (!link || data.phase !== 'signed-in') return null;
  if (link.target === 'session') {
    if (data.session?.requestId === link.id) return { pendingLink: null };
    if (!data.queueLoaded) return null;
    const item = data.queue.find((i) => i.requestId === link.id);
    if (!item) return { pendingLink: null, ...noticeRaised(data, 'ERR_NOT_FOUND', LINK_GONE.session, at) };
    // A session of his shows by itself once its state arrives (just after the queue on a connect).
    return item.status === 'waiting' ? { pendingLink: null, home: 'queue', selected: item.requestId } : { pendingLink: null };
  }
  // The jump list loads when its view opens: open it once. If the technician
  // leaves it before it has loaded (or its loading failed), the link is given up
  // rather than pulling him back at every change of the store.
  if (!data.jumpLoaded) {
    if (!data.linkOpenedJumpView) return { home: 'jump', linkOpenedJumpView: true };
    return data.home === 'jump' ? null : { pendingLink: null, linkOpenedJumpView: false };
  }
  const client = data.jumpClients.find((c) => String(c.id) === link.id);
  if (!client) return { pendingLink: null, linkOpenedJumpView: false, home: 'jump', ...noticeRaised(data, 'ERR_NOT_FOUND', LINK_GONE.jump, at) };
  // No filter may hide the client the link is about.
  return { pendingLink: null, linkOpenedJumpView: false, home: 'jump', jumpSelected: client.id, jumpFilter: initialJump.jumpFilter };
}

export interface DeepLinkSlice extends DeepLinkData {
  deepLinkOpened(link: DeepLink): void;
  /** Follows the pending link as far as the store allows now; call it whenever the store changes. */
  followPendingLink(): void;
}

export const createDeepLinkSlice: StateCreator<AppState, [], [], DeepLinkSlice> = (set, get) => ({
  ...initialDeepLink,
  deepLinkOpened: (link) => set((s) => deepLinkOpened(s, link)),
  followPendingLink: () => {
    const next = followLink(get(), Date.now());
    if (next) set(next);
  },
});
