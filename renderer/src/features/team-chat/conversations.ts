/**
 * The team chat panel's state, as pure functions: conversations keyed by
 * who they are with, messages kept in id order and never twice (the history
 * and a live delivery may carry the same message), and unread counts.
 */
import { conversationKey, conversationOf, type TeamChatMessage, type TeamChatPeer } from '../../../../shared/team-chat.js';

export interface TeamChatState {
  selected: TeamChatPeer | null;
  /** conversationKey -> messages, oldest first. */
  messages: Record<string, TeamChatMessage[]>;
  unread: Record<string, number>;
}

export const initialTeamChat: TeamChatState = { selected: null, messages: {}, unread: {} };

export function merge(list: readonly TeamChatMessage[], more: readonly TeamChatMessage[]): TeamChatMessage[] {
  const byId = new Map<number, TeamChatMessage>();
  for (const m of [...list, ...more]) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

export function selected(state: TeamChatState, peer: TeamChatPeer): TeamChatState {
  const key = conversationKey(peer);
  return { ...state, selected: peer, unread: { ...state.unread, [key]: 0 } };
}

export function historyLoaded(state: TeamChatState, peer: TeamChatPeer, messages: readonly TeamChatMessage[]): TeamChatState {
  const key = conversationKey(peer);
  return { ...state, messages: { ...state.messages, [key]: merge(state.messages[key] ?? [], messages) } };
}

/** A live message: filed under its conversation; unread unless that conversation is open or he sent it. */
export function received(state: TeamChatState, message: TeamChatMessage, me: number, panelOpen: boolean): TeamChatState {
  const key = conversationKey(conversationOf(message, me));
  const list = state.messages[key] ?? [];
  if (list.some((m) => m.id === message.id)) return state;
  const open = panelOpen && state.selected !== null && conversationKey(state.selected) === key;
  const unread = open || message.from.id === me ? state.unread[key] ?? 0 : (state.unread[key] ?? 0) + 1;
  return { ...state, messages: { ...state.messages, [key]: merge(list, [message]) }, unread: { ...state.unread, [key]: unread } };
}

export function totalUnread(state: TeamChatState): number {
  return Object.values(state.unread).reduce((a, b) => a + b, 0);
}
