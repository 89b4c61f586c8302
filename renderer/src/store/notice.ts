import type { StateCreator } from 'zustand';
import type { ErrorCode } from '../../../shared/errors.js';
import type { AppState } from './index.js';

/** A problem the core raised on its own (not an answer to something the user did). */
export interface Notice {
  code: ErrorCode;
  message: string;
  at: number;
}

export interface NoticeData {
  notice: Notice | null;
}

export const initialNotice: NoticeData = { notice: null };

export function noticeRaised(_data: NoticeData, code: ErrorCode, message: string, at: number): NoticeData {
  return { notice: { code, message, at } };
}

export interface NoticeSlice extends NoticeData {
  noticeRaised(code: ErrorCode, message: string): void;
  noticeDismissed(): void;
}

export const createNoticeSlice: StateCreator<AppState, [], [], NoticeSlice> = (set) => ({
  ...initialNotice,
  noticeRaised: (code, message) => set((s) => noticeRaised(s, code, message, Date.now())),
  noticeDismissed: () => set(initialNotice),
});
