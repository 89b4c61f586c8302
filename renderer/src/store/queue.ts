import type { StateCreator } from 'zustand';
import type { CodeResponse, QueueItem } from '../../../shared/protocol.js';
import type { AppState } from './index.js';

export interface QueueData {
  queue: QueueItem[];
  /** The last session code this console generated. */
  sessionCode: CodeResponse | null;
  /** The request a lifeline:// link pointed at, shown highlighted. */
  highlighted: string | null;
}

export const initialQueue: QueueData = { queue: [], sessionCode: null, highlighted: null };

export function queueChanged(data: QueueData, items: QueueItem[]): QueueData {
  return { ...data, queue: items };
}

export function codeCreated(data: QueueData, code: CodeResponse): QueueData {
  return { ...data, sessionCode: code };
}

export function requestHighlighted(data: QueueData, requestId: string): QueueData {
  return { ...data, highlighted: requestId };
}

/** Requests a technician can still take, longest-waiting first. */
export function waitingRequests(items: readonly QueueItem[]): QueueItem[] {
  return items.filter((i) => i.status === 'waiting').sort((a, b) => a.createdAt - b.createdAt);
}

export interface QueueSlice extends QueueData {
  queueChanged(items: QueueItem[]): void;
  codeCreated(code: CodeResponse): void;
  requestHighlighted(requestId: string): void;
}

export const createQueueSlice: StateCreator<AppState, [], [], QueueSlice> = (set) => ({
  ...initialQueue,
  queueChanged: (items) => set((s) => queueChanged(s, items)),
  codeCreated: (code) => set((s) => codeCreated(s, code)),
  requestHighlighted: (requestId) => set((s) => requestHighlighted(s, requestId)),
});
