/**
 * The console's one store, built from typed slices (zustand's slices
 * pattern). Each slice's updates are pure functions in its own module; this
 * file only combines them. Screen rectangles and other high-rate data never
 * pass through here.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { createAuthSlice, type AuthData, type AuthSlice } from './auth.js';
import { createChatSlice, initialChat, type ChatData, type ChatSlice } from './chat.js';
import { createDeepLinkSlice, type DeepLinkData, type DeepLinkSlice } from './deep-link.js';
import { createDeskSlice, initialDesk, type DeskData, type DeskSlice } from './desk.js';
import { createNoticeSlice, initialNotice, type NoticeData, type NoticeSlice } from './notice.js';
import { createQueueSlice, initialQueue, type QueueData, type QueueSlice } from './queue.js';
import { createScriptsSlice, initialScripts, type ScriptsData, type ScriptsSlice } from './scripts.js';
import { createSessionSlice, initialSession, type SessionData, type SessionSlice } from './session.js';
import { createJumpSlice, initialJump, type JumpData, type JumpSlice } from './jump.js';

export type AppData = AuthData & QueueData & SessionData & ChatData & ScriptsData & NoticeData & DeskData & JumpData & DeepLinkData;

export interface RootActions {
  /** Forget everything that belonged to the technician who signed out. */
  signedOut(): void;
}

export type AppState = AuthSlice & QueueSlice & SessionSlice & ChatSlice & ScriptsSlice & NoticeSlice & DeskSlice & JumpSlice & DeepLinkSlice & RootActions;
export type AppStore = StoreApi<AppState>;

export function signedOut(data: AppData): AppData {
  return {
    ...data, ...initialQueue, ...initialSession, ...initialChat, ...initialScripts, ...initialNotice,
    // The bell is the person's choice at this console, not the account's.
    ...initialDesk, alertsOn: data.alertsOn,
    ...initialJump,
    // pendingLink stays: a lifeline:// link that came before sign-in (a cold start passes through signed-out) is followed after it.
    phase: 'signed-out', technician: null,
  };
}

export function createAppStore(): AppStore {
  return createStore<AppState>()((set, get, store) => ({
    ...createAuthSlice(set, get, store),
    ...createQueueSlice(set, get, store),
    ...createSessionSlice(set, get, store),
    ...createChatSlice(set, get, store),
    ...createScriptsSlice(set, get, store),
    ...createNoticeSlice(set, get, store),
    ...createDeskSlice(set, get, store),
    ...createJumpSlice(set, get, store),
    ...createDeepLinkSlice(set, get, store),
    signedOut: () => set((s) => signedOut(s)),
  }));
}
