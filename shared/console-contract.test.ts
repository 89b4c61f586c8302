import { describe, expect, it, vi } from 'vitest';
import { CONSOLE_EVENTS, CONSOLE_REQUESTS, dispatchRequest, isEventName, isRequestChannel, type ConsoleHandlers } from './console-contract.js';
import { ERROR_MESSAGES, LifelineError } from './errors.js';
import { LIMITS } from './limits.js';

const TECH = { id: 1, username: 'admin', displayName: 'Administrator', role: 'admin' as const };

function handlers(overrides: Partial<ConsoleHandlers> = {}): ConsoleHandlers {
  return {
    'auth:login': vi.fn(async () => ({ technician: TECH })),
    'auth:logout': vi.fn(async () => ({})),
    'auth:change-password': vi.fn(async () => ({ technician: TECH })),
    'auth:status': vi.fn(async () => ({ technician: null })),
    'code:create': vi.fn(async () => ({ code: '4829130567', expiresAt: 1 })),
    'queue:accept': vi.fn(async () => ({})),
    'presence:set': vi.fn(async () => ({})),
    'session:end': vi.fn(async () => ({})),
    'chat:send': vi.fn(async () => ({})),
    'signal:send': vi.fn(async () => ({})),
    'config:get': vi.fn(async () => ({ iceServers: [] })),
    'scripts:list': vi.fn(async () => ({ scripts: [] })),
    'script:run': vi.fn(async () => ({})),
    'jump:list': vi.fn(async () => ({ groups: [], clients: [] })),
    'jump:start': vi.fn(async () => ({})),
    'jump:manage': vi.fn(async () => ({})),
    'session:transfer': vi.fn(async () => ({})),
    'session:invite': vi.fn(async () => ({})),
    'session:handover': vi.fn(async () => ({})),
    'session:leave': vi.fn(async () => ({})),
    'team-chat:send': vi.fn(async () => ({})),
    'team-chat:history': vi.fn(async () => ({ messages: [] })),
    ...overrides,
  };
}

describe('console contract schemas', () => {
  const chat = CONSOLE_REQUESTS['chat:send'].request;

  it('accepts a valid chat request and rejects blank or oversized text', () => {
    expect(chat.safeParse({ requestId: 'r1', text: 'hello' }).success).toBe(true);
    expect(chat.safeParse({ requestId: 'r1', text: '\t \n' }).success).toBe(false);
    expect(chat.safeParse({ requestId: 'r1', text: 'a'.repeat(LIMITS.chatTextChars + 1) }).success).toBe(false);
  });

  it('rejects an empty request id', () => {
    expect(CONSOLE_REQUESTS['queue:accept'].request.safeParse({ requestId: '' }).success).toBe(false);
  });

  it('rejects oversized signal data', () => {
    const signal = CONSOLE_REQUESTS['signal:send'].request;
    expect(signal.safeParse({ requestId: 'r1', data: { sdp: 'x'.repeat(100) } }).success).toBe(true);
    expect(signal.safeParse({ requestId: 'r1', data: { sdp: 'x'.repeat(LIMITS.signalBytes) } }).success).toBe(false);
  });

  it('rejects an event payload of the wrong shape', () => {
    expect(CONSOLE_EVENTS['connection:changed'].safeParse({ state: 'online' }).success).toBe(true);
    expect(CONSOLE_EVENTS['connection:changed'].safeParse({ state: 'sleeping' }).success).toBe(false);
  });

  it('knows its own channel and event names, and nothing inherited from Object', () => {
    expect(isRequestChannel('chat:send')).toBe(true);
    expect(isRequestChannel('toString')).toBe(false);
    expect(isRequestChannel('__proto__')).toBe(false);
    expect(isEventName('chat:received')).toBe(true);
    expect(isEventName('constructor')).toBe(false);
  });
});

describe('dispatchRequest', () => {
  it('passes a valid payload to its handler and returns the result', async () => {
    const h = handlers();
    const r = await dispatchRequest(h, 'chat:send', { requestId: 'r1', text: '  hi  ' });
    expect(r).toEqual({ ok: true, value: {} });
    // The handler sees the parsed payload, not the raw one.
    expect(h['chat:send']).toHaveBeenCalledWith({ requestId: 'r1', text: 'hi' });
  });

  it('treats a missing payload as an empty object', async () => {
    const h = handlers();
    expect(await dispatchRequest(h, 'auth:status', undefined)).toEqual({ ok: true, value: { technician: null } });
  });

  it('answers an unknown channel with ERR_UNKNOWN_TYPE', async () => {
    const r = await dispatchRequest(handlers(), 'files:delete-everything', {});
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('ERR_UNKNOWN_TYPE');
  });

  it('answers a channel named after an Object property with ERR_UNKNOWN_TYPE', async () => {
    const r = await dispatchRequest(handlers(), 'constructor', {});
    expect(!r.ok && r.error.code).toBe('ERR_UNKNOWN_TYPE');
  });

  it('answers a bad payload with ERR_BAD_MESSAGE without calling the handler', async () => {
    const h = handlers();
    for (const payload of [{ requestId: 'r1' }, { requestId: 'r1', text: 42 }, { requestId: 'r1', text: ' ' }, 'hi', 7]) {
      const r = await dispatchRequest(h, 'chat:send', payload);
      expect(!r.ok && r.error.code, JSON.stringify(payload)).toBe('ERR_BAD_MESSAGE');
    }
    expect(h['chat:send']).not.toHaveBeenCalled();
  });

  it('keeps the code and message of a LifelineError thrown by the handler', async () => {
    const h = handlers({ 'queue:accept': async () => { throw new LifelineError('ERR_ALREADY_TAKEN', 'Taken by Bob.'); } });
    const r = await dispatchRequest(h, 'queue:accept', { requestId: 'r1' });
    expect(r).toEqual({ ok: false, error: { code: 'ERR_ALREADY_TAKEN', message: 'Taken by Bob.' } });
  });

  it('turns a plain Error into ERR_INTERNAL without leaking its message', async () => {
    const h = handlers({ 'code:create': async () => { throw new Error('SQLITE_BUSY at /var/lib/secret.db'); } });
    const r = await dispatchRequest(h, 'code:create', {});
    expect(r).toEqual({ ok: false, error: { code: 'ERR_INTERNAL', message: ERROR_MESSAGES.ERR_INTERNAL } });
    expect(JSON.stringify(r)).not.toMatch(/SQLITE|secret/);
  });

  it('turns a thrown non-Error into ERR_INTERNAL', async () => {
    const h = handlers({ 'config:get': async () => { throw 'boom'; } });
    const r = await dispatchRequest(h, 'config:get', {});
    expect(!r.ok && r.error.code).toBe('ERR_INTERNAL');
  });
});
