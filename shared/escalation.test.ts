import { describe, expect, it } from 'vitest';
import { CONSOLE_EVENTS, CONSOLE_REQUESTS } from './console-contract.js';
import { TRANSFER_NOTE_CHARS, transferLine } from './escalation.js';
import { ConsoleToServer, ServerToConsole } from './protocol.js';

describe('session transfer schemas', () => {
  const ok = (v: unknown) => ConsoleToServer.safeParse(v).success;
  const base = { type: 'session:transfer', requestId: 'r1', note: 'see chat' };

  it('takes a technician by username or id, or a team by name, with a bounded note', () => {
    expect(ok({ ...base, to: { technician: 'bob' } })).toBe(true);
    expect(ok({ ...base, to: { technicianId: 3 } })).toBe(true);
    expect(ok({ ...base, to: { team: 'Printers' } })).toBe(true);
    expect(ok({ ...base, to: { team: 'Printers' }, note: '' })).toBe(true);
    expect(ok({ ...base, to: { team: 'Printers' }, note: 'x'.repeat(TRANSFER_NOTE_CHARS + 1) })).toBe(false);
  });

  it('refuses an empty, ambiguous or mistyped target and a missing note', () => {
    for (const to of [{}, { team: '' }, { team: 'A', technician: 'b' }, { technician: 7 }, { technicianId: 0 }, { queue: 'general' }, null]) {
      expect(ok({ ...base, to }), JSON.stringify(to)).toBe(false);
    }
    expect(ok({ type: 'session:transfer', requestId: 'r1', to: { team: 'A' } })).toBe(false);
  });

  it('the console contract carries the same request and the transferred event', () => {
    expect(CONSOLE_REQUESTS['session:transfer'].request.safeParse({ requestId: 'r1', to: { technicianId: 2 }, note: '' }).success).toBe(true);
    expect(CONSOLE_REQUESTS['session:transfer'].request.safeParse({ requestId: 'r1', to: {}, note: '' }).success).toBe(false);
    const event = { requestId: 'r1', to: 'the Printers team', note: 'n' };
    expect(CONSOLE_EVENTS['session:transferred'].safeParse(event).success).toBe(true);
    expect(ServerToConsole.safeParse({ type: 'session:transferred', ...event }).success).toBe(true);
  });

  it('writes the chat line with or without a note', () => {
    expect(transferLine('Ann', 'Bob', 'driver')).toBe('Ann transferred the session to Bob: driver');
    expect(transferLine('Ann', 'the Printers team', '')).toBe('Ann transferred the session to the Printers team.');
  });
});
