import type { StateCreator } from 'zustand';
import type { CodeResponse, QueueItem } from '../../../shared/protocol.js';
import type { AppState } from './index.js';

export interface QueueData {
  queue: QueueItem[];
  /** The last session code this console generated. */
  sessionCode: CodeResponse | null;
  /** The server has sent the queue at least once since sign-in. */
  queueLoaded: boolean;
  /** The waiting request shown beside the queue with its chat (clicked, or a lifeline:// link pointed at it). */
  selected: string | null;
}

export const initialQueue: QueueData = { queue: [], sessionCode: null, queueLoaded: false, selected: null };

/** A selected request that no longer waits in the list is no longer selected. */
export function queueChanged(data: QueueData, items: QueueItem[]): QueueData {
  const selected = items.some((i) => i.requestId === data.selected && i.status === 'waiting') ? data.selected : null;
  return { ...data, queue: items, queueLoaded: true, selected };
}

export function codeCreated(data: QueueData, code: CodeResponse): QueueData {
  return { ...data, sessionCode: code };
}

export function requestSelected(data: QueueData, requestId: string | null): QueueData {
  return { ...data, selected: requestId };
}

/** Requests a technician can still take, longest-waiting first. */
export function waitingRequests(items: readonly QueueItem[]): QueueItem[] {
  return items.filter((i) => i.status === 'waiting').sort((a, b) => a.createdAt - b.createdAt);
}

export interface QueueSlice extends QueueData {
  queueChanged(items: QueueItem[]): void;
  codeCreated(code: CodeResponse): void;
  requestSelected(requestId: string | null): void;
}

export const createQueueSlice: StateCreator<AppState, [], [], QueueSlice> = (set) => ({
  ...initialQueue,
  queueChanged: (items) => set((s) => queueChanged(s, items)),
  codeCreated: (code) => set((s) => codeCreated(s, code)),
  requestSelected: (requestId) => set((s) => requestSelected(s, requestId)),
});
