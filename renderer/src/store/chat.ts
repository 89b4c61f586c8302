import type { StateCreator } from 'zustand';
import type { ChatMessage } from '../../../shared/protocol.js';
import type { AppState } from './index.js';

/** Older messages are dropped beyond this; the server keeps the full history. */
export const CHAT_KEPT = 500;

export interface ChatData {
  /** Messages per request, oldest first, unique by id. */
  chat: Record<string, ChatMessage[]>;
}

export const initialChat: ChatData = { chat: {} };

/** History and live messages can arrive in either order and overlap. */
function merge(existing: readonly ChatMessage[], incoming: readonly ChatMessage[]): ChatMessage[] {
  const byId = new Map<number, ChatMessage>();
  for (const m of existing) byId.set(m.id, m);
  for (const m of incoming) byId.set(m.id, m);
  const all = [...byId.values()].sort((a, b) => a.id - b.id);
  return all.length > CHAT_KEPT ? all.slice(all.length - CHAT_KEPT) : all;
}

export function historyLoaded(data: ChatData, requestId: string, messages: readonly ChatMessage[]): ChatData {
  const own = messages.filter((m) => m.requestId === requestId);
  return { chat: { ...data.chat, [requestId]: merge(data.chat[requestId] ?? [], own) } };
}

export function messageReceived(data: ChatData, message: ChatMessage): ChatData {
  const list = data.chat[message.requestId] ?? [];
  return { chat: { ...data.chat, [message.requestId]: merge(list, [message]) } };
}

export function chatForgotten(data: ChatData, requestId: string): ChatData {
  if (!(requestId in data.chat)) return data;
  const { [requestId]: _gone, ...rest } = data.chat;
  return { chat: rest };
}

export interface ChatSlice extends ChatData {
  historyLoaded(requestId: string, messages: ChatMessage[]): void;
  messageReceived(message: ChatMessage): void;
  chatForgotten(requestId: string): void;
}

export const createChatSlice: StateCreator<AppState, [], [], ChatSlice> = (set) => ({
  ...initialChat,
  historyLoaded: (id, messages) => set((s) => historyLoaded(s, id, messages)),
  messageReceived: (m) => set((s) => messageReceived(s, m)),
  chatForgotten: (id) => set((s) => chatForgotten(s, id)),
});
