import type { StateCreator } from 'zustand';
import type { EventOf } from '../../../shared/console-contract.js';
import type { Technician } from '../../../shared/protocol.js';
import type { LinkState } from '../bridge/ws-bridge.js';
import type { AppState } from './index.js';

/** `restoring` until the core has told us who (if anyone) is signed in. */
export type AuthPhase = 'restoring' | 'signed-out' | 'signed-in';
export type ServerConnection = EventOf<'connection:changed'>['state'];

export interface AuthData {
  phase: AuthPhase;
  technician: Technician | null;
  /** The core's connection to the support server. */
  connection: ServerConnection | null;
  /** The renderer's connection to the core (only ever drops in a browser console). */
  link: LinkState;
}

export const initialAuth: AuthData = { phase: 'restoring', technician: null, connection: null, link: 'connecting' };

export function signedIn(data: AuthData, technician: Technician): AuthData {
  return { ...data, phase: 'signed-in', technician };
}

export function connectionChanged(data: AuthData, connection: ServerConnection): AuthData {
  return { ...data, connection };
}

export function linkChanged(data: AuthData, link: LinkState): AuthData {
  return { ...data, link };
}

export interface AuthSlice extends AuthData {
  authRestored(technician: Technician | null): void;
  signedIn(technician: Technician): void;
  connectionChanged(connection: ServerConnection): void;
  linkChanged(link: LinkState): void;
}

export const createAuthSlice: StateCreator<AppState, [], [], AuthSlice> = (set, get) => ({
  ...initialAuth,
  authRestored: (t) => (t ? set((s) => signedIn(s, t)) : get().signedOut()),
  signedIn: (t) => set((s) => signedIn(s, t)),
  connectionChanged: (c) => {
    set((s) => connectionChanged(s, c));
    // The core reports `signed-out` when its token is refused or after a logout.
    if (c === 'signed-out' && get().phase !== 'signed-out') get().signedOut();
  },
  linkChanged: (l) => set((s) => linkChanged(s, l)),
});
