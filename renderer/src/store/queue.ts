import type { StateCreator } from 'zustand';
import type { CodeResponse, QueueItem } from '../../../shared/protocol.js';
import type { AppState } from './index.js';

export interface QueueData {
  queue: QueueItem[];
  /** The last session code this console generated. */
  sessionCode: CodeResponse | null;
}

export const initialQueue: QueueData = { queue: [], sessionCode: null };

export function queueChanged(data: QueueData, items: QueueItem[]): QueueData {
  return { ...data, queue: items };
}

export function codeCreated(data: QueueData, code: CodeResponse): QueueData {
  return { ...data, sessionCode: code };
}

/** Requests a technician can still take, longest-waiting first. */
export function waitingRequests(items: readonly QueueItem[]): QueueItem[] {
  return items.filter((i) => i.status === 'waiting').sort((a, b) => a.createdAt - b.createdAt);
}

export interface QueueSlice extends QueueData {
  queueChanged(items: QueueItem[]): void;
  codeCreated(code: CodeResponse): void;
}

export const createQueueSlice: StateCreator<AppState, [], [], QueueSlice> = (set) => ({
  ...initialQueue,
  queueChanged: (items) => set((s) => queueChanged(s, items)),
  codeCreated: (code) => set((s) => codeCreated(s, code)),
});
