import { describe, expect, it } from 'vitest';
import type { TeamChatMessage } from '../../../../shared/team-chat.js';
import { historyLoaded, initialTeamChat, received, selected, totalUnread } from './conversations.js';

const msg = (id: number, from: number, to: TeamChatMessage['to'], text = `m${id}`): TeamChatMessage => ({
  id, from: { id: from, displayName: `T${from}` }, to, text, at: id, clientId: null,
});

describe('team chat panel state', () => {
  it('files direct messages under the other technician, team messages under the team, once each, in id order', () => {
    let s = received(initialTeamChat, msg(2, 7, { kind: 'technician', id: 1 }), 1, false);
    s = received(s, msg(1, 1, { kind: 'technician', id: 7 }), 1, false);
    s = received(s, msg(2, 7, { kind: 'technician', id: 1 }), 1, false);
    s = received(s, msg(3, 7, { kind: 'team', id: 4 }), 1, false);
    expect(s.messages['technician:7']!.map((m) => m.id)).toEqual([1, 2]);
    expect(s.messages['team:4']!.map((m) => m.id)).toEqual([3]);
    // His own message is not unread; the duplicate did not count twice.
    expect(s.unread).toEqual({ 'technician:7': 1, 'team:4': 1 });
    expect(totalUnread(s)).toBe(2);
  });

  it('clears unread on opening a conversation, counts none while it is open, and merges history with live messages', () => {
    let s = received(initialTeamChat, msg(5, 7, { kind: 'technician', id: 1 }), 1, true);
    s = selected(s, { kind: 'technician', id: 7 });
    expect(totalUnread(s)).toBe(0);
    s = received(s, msg(6, 7, { kind: 'technician', id: 1 }), 1, true);
    expect(totalUnread(s)).toBe(0);
    s = historyLoaded(s, { kind: 'technician', id: 7 }, [msg(4, 1, { kind: 'technician', id: 7 }), msg(5, 7, { kind: 'technician', id: 1 })]);
    expect(s.messages['technician:7']!.map((m) => m.id)).toEqual([4, 5, 6]);
  });
});
