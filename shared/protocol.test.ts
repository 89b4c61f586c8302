import { describe, expect, it } from 'vitest';
import { LIMITS } from './limits.js';
import {
  AgentToServer, ConsoleToServer, Hello, PortalJoinRequest, PortalToServer, ServerToConsole, ServerToPortal, SignalData,
} from './protocol.js';

const ok = (schema: { safeParse(v: unknown): { success: boolean } }, v: unknown) => schema.safeParse(v).success;

/** An object-shaped signal whose JSON form is exactly `size` characters long. */
function signalOfSize(size: number): Record<string, unknown> {
  const overhead = JSON.stringify({ sdp: '' }).length;
  return { sdp: 'x'.repeat(size - overhead) };
}

const AGENT_INFO = { hostname: 'pc-7', os: 'Debian 12', user: 'ada' };

describe('Hello', () => {
  it('accepts each role\'s hello', () => {
    expect(ok(Hello, { type: 'hello', role: 'console', token: 't0k3n' })).toBe(true);
    expect(ok(Hello, { type: 'hello', role: 'portal', resumeKey: 'key' })).toBe(true);
    expect(ok(Hello, { type: 'hello', role: 'agent', code: '4829130567', info: AGENT_INFO })).toBe(true);
    expect(ok(Hello, { type: 'hello', role: 'agent', resumeKey: 'key', info: { ...AGENT_INFO, screen: { width: 800, height: 600 } } })).toBe(true);
  });

  it('rejects a role that does not exist', () => {
    expect(ok(Hello, { type: 'hello', role: 'admin', token: 't' })).toBe(false);
    expect(ok(Hello, { type: 'hello', token: 't' })).toBe(false);
    expect(ok(Hello, { type: 'hello', role: 42, token: 't' })).toBe(false);
  });

  it('rejects a hello missing its role\'s credential', () => {
    expect(ok(Hello, { type: 'hello', role: 'console' })).toBe(false);
    expect(ok(Hello, { type: 'hello', role: 'console', token: '' })).toBe(false);
    expect(ok(Hello, { type: 'hello', role: 'portal', resumeKey: '' })).toBe(false);
    expect(ok(Hello, { type: 'hello', role: 'agent', code: '4829130567' })).toBe(false);
  });

  it('rejects credentials of the wrong type', () => {
    expect(ok(Hello, { type: 'hello', role: 'console', token: 123 })).toBe(false);
    expect(ok(Hello, { type: 'hello', role: 'agent', code: 4829130567, info: AGENT_INFO })).toBe(false);
  });
});

describe('ConsoleToServer', () => {
  const chat = (text: unknown, extra: object = {}) => ({ type: 'chat:send', requestId: 'r1', text, ...extra });

  it('accepts every message a console may send', () => {
    expect(ok(ConsoleToServer, { type: 'queue:accept', requestId: 'r1' })).toBe(true);
    expect(ok(ConsoleToServer, { type: 'session:end', requestId: 'r1' })).toBe(true);
    expect(ok(ConsoleToServer, chat('hello', { clientId: 'c-1' }))).toBe(true);
    expect(ok(ConsoleToServer, { type: 'signal', requestId: 'r1', data: { type: 'offer', sdp: 'v=0' } })).toBe(true);
  });

  it('rejects an unknown type', () => {
    expect(ok(ConsoleToServer, { type: 'queue:delete', requestId: 'r1' })).toBe(false);
    expect(ok(ConsoleToServer, { requestId: 'r1' })).toBe(false);
  });

  it('rejects fields of the wrong type', () => {
    expect(ok(ConsoleToServer, { type: 'queue:accept', requestId: 17 })).toBe(false);
    expect(ok(ConsoleToServer, chat(['hello']))).toBe(false);
    expect(ok(ConsoleToServer, chat('hello', { clientId: 5 }))).toBe(false);
  });

  it(`accepts chat of exactly ${LIMITS.chatTextChars} characters and rejects one more`, () => {
    expect(ok(ConsoleToServer, chat('a'.repeat(LIMITS.chatTextChars)))).toBe(true);
    expect(ok(ConsoleToServer, chat('a'.repeat(LIMITS.chatTextChars + 1)))).toBe(false);
  });

  it('rejects empty and whitespace-only chat', () => {
    expect(ok(ConsoleToServer, chat(''))).toBe(false);
    expect(ok(ConsoleToServer, chat(' \n\t  '))).toBe(false);
  });

  it('trims chat text before delivering it', () => {
    const r = ConsoleToServer.safeParse(chat('  hi there \n'));
    expect(r.success && r.data.type === 'chat:send' && r.data.text).toBe('hi there');
  });

  it('rejects an empty or oversized chat clientId', () => {
    expect(ok(ConsoleToServer, chat('hi', { clientId: '' }))).toBe(false);
    expect(ok(ConsoleToServer, chat('hi', { clientId: 'c'.repeat(65) }))).toBe(false);
  });

  it(`accepts signal data up to ${LIMITS.signalBytes} bytes of JSON and rejects larger`, () => {
    expect(JSON.stringify(signalOfSize(LIMITS.signalBytes)).length).toBe(LIMITS.signalBytes);
    expect(ok(ConsoleToServer, { type: 'signal', requestId: 'r1', data: signalOfSize(LIMITS.signalBytes) })).toBe(true);
    expect(ok(ConsoleToServer, { type: 'signal', requestId: 'r1', data: signalOfSize(LIMITS.signalBytes + 1) })).toBe(false);
  });
});

describe('SignalData', () => {
  it('accepts only object-shaped data', () => {
    expect(ok(SignalData, { type: 'answer', sdp: 'v=0' })).toBe(true);
    expect(ok(SignalData, [1, 2])).toBe(false);
    expect(ok(SignalData, 'offer')).toBe(false);
    expect(ok(SignalData, null)).toBe(false);
  });

  it('rejects oversized signals from agents too', () => {
    expect(ok(AgentToServer, { type: 'signal', data: signalOfSize(LIMITS.signalBytes) })).toBe(true);
    expect(ok(AgentToServer, { type: 'signal', data: signalOfSize(LIMITS.signalBytes + 1) })).toBe(false);
  });
});

describe('PortalToServer', () => {
  it('accepts chat, consent and ending the session', () => {
    expect(ok(PortalToServer, { type: 'chat:send', text: 'help', clientId: 'p-1' })).toBe(true);
    expect(ok(PortalToServer, { type: 'consent:set', consent: { view: true, control: false } })).toBe(true);
    expect(ok(PortalToServer, { type: 'session:end' })).toBe(true);
  });

  it('rejects messages only a console may send', () => {
    expect(ok(PortalToServer, { type: 'queue:accept', requestId: 'r1' })).toBe(false);
    expect(ok(PortalToServer, { type: 'signal', data: {} })).toBe(false);
  });

  it('rejects consent that is not two booleans', () => {
    expect(ok(PortalToServer, { type: 'consent:set', consent: { view: 'yes', control: false } })).toBe(false);
    expect(ok(PortalToServer, { type: 'consent:set', consent: { view: true } })).toBe(false);
  });

  it('rejects oversized and blank chat', () => {
    expect(ok(PortalToServer, { type: 'chat:send', text: 'a'.repeat(LIMITS.chatTextChars + 1) })).toBe(false);
    expect(ok(PortalToServer, { type: 'chat:send', text: '   ' })).toBe(false);
  });
});

describe('server messages', () => {
  it('rejects an error with a code that is not in the catalogue', () => {
    expect(ok(ServerToPortal, { type: 'error', code: 'ERR_CODE_USED', message: 'used' })).toBe(true);
    expect(ok(ServerToPortal, { type: 'error', code: 'ERR_TEAPOT', message: 'no' })).toBe(false);
  });

  it('rejects an ack without a numeric ref', () => {
    expect(ok(ServerToConsole, { type: 'ack', ref: 3 })).toBe(true);
    expect(ok(ServerToConsole, { type: 'ack', ref: '3' })).toBe(false);
  });

  it('rejects a message a portal is never sent', () => {
    expect(ok(ServerToPortal, { type: 'queue:snapshot', items: [] })).toBe(false);
  });
});

describe('PortalJoinRequest', () => {
  it('accepts a code with or without a name, and rejects a blank or overlong name', () => {
    expect(ok(PortalJoinRequest, { code: '482 913 0567' })).toBe(true);
    expect(ok(PortalJoinRequest, { code: '482 913 0567', name: 'Ada' })).toBe(true);
    expect(ok(PortalJoinRequest, { code: '482 913 0567', name: '  ' })).toBe(false);
    expect(ok(PortalJoinRequest, { code: '482 913 0567', name: 'n'.repeat(LIMITS.displayNameChars + 1) })).toBe(false);
    expect(ok(PortalJoinRequest, { code: '' })).toBe(false);
  });
});
