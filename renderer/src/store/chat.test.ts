import { describe, expect, it } from 'vitest';
import { chatMessage } from '../test/fixtures.js';
import { CHAT_KEPT, chatForgotten, historyLoaded, initialChat, messageReceived } from './chat.js';

const ids = (d: { chat: Record<string, { id: number }[]> }, r = 'r1') => (d.chat[r] ?? []).map((m) => m.id);

describe('chat slice', () => {
  it('history and live messages merge in id order without duplicates, whichever arrives first', () => {
    let s = messageReceived(initialChat, chatMessage(3));
    s = historyLoaded(s, 'r1', [chatMessage(1), chatMessage(2), chatMessage(3)]);
    s = messageReceived(s, chatMessage(4));
    s = messageReceived(s, chatMessage(4));
    expect(ids(s)).toEqual([1, 2, 3, 4]);
  });

  it('keeps each request\'s messages apart', () => {
    let s = messageReceived(initialChat, chatMessage(1));
    s = messageReceived(s, chatMessage(2, { requestId: 'r2' }));
    expect(ids(s, 'r1')).toEqual([1]);
    expect(ids(s, 'r2')).toEqual([2]);
  });

  it('ignores history entries that belong to another request', () => {
    const s = historyLoaded(initialChat, 'r1', [chatMessage(1), chatMessage(2, { requestId: 'r9' })]);
    expect(ids(s)).toEqual([1]);
  });

  it(`keeps only the newest ${CHAT_KEPT} messages`, () => {
    const many = Array.from({ length: CHAT_KEPT + 10 }, (_, i) => chatMessage(i + 1));
    const s = historyLoaded(initialChat, 'r1', many);
    expect(ids(s)).toHaveLength(CHAT_KEPT);
    expect(ids(s)[0]).toBe(11);
  });

  it('forgets a request\'s chat', () => {
    const s = messageReceived(initialChat, chatMessage(1));
    expect(chatForgotten(s, 'r1').chat).toEqual({});
    expect(chatForgotten(initialChat, 'r1')).toBe(initialChat);
  });
});
