import { describe, expect, it } from 'vitest';
import { ChosenStatus, DESCRIPTION_CHARS, IssueTypeName, PortalHelpRequest, QueuePlacement } from './desk.js';
import { QueueItem } from './protocol.js';

const ok = (schema: { safeParse(v: unknown): { success: boolean } }, v: unknown) => schema.safeParse(v).success;

describe('PortalHelpRequest', () => {
  it('accepts a name and a description, with or without an issue type', () => {
    expect(PortalHelpRequest.parse({ name: '  Ada  ', description: ' Printer jam \n', issueType: 'Printers' })).toEqual({
      name: 'Ada', description: 'Printer jam', issueType: 'Printers',
    });
    expect(ok(PortalHelpRequest, { name: 'Ada', description: 'help' })).toBe(true);
  });

  it('refuses a blank or missing name or description', () => {
    expect(ok(PortalHelpRequest, { name: '   ', description: 'help' })).toBe(false);
    expect(ok(PortalHelpRequest, { name: 'Ada', description: '\t' })).toBe(false);
    expect(ok(PortalHelpRequest, { description: 'help' })).toBe(false);
    expect(ok(PortalHelpRequest, { name: 'Ada' })).toBe(false);
  });

  it('refuses oversized fields and wrong types', () => {
    expect(ok(PortalHelpRequest, { name: 'A'.repeat(81), description: 'help' })).toBe(false);
    expect(ok(PortalHelpRequest, { name: 'Ada', description: 'x'.repeat(DESCRIPTION_CHARS + 1) })).toBe(false);
    expect(ok(PortalHelpRequest, { name: 'Ada', description: 'x'.repeat(DESCRIPTION_CHARS) })).toBe(true);
    expect(ok(PortalHelpRequest, { name: 'Ada', description: 'help', issueType: 'x'.repeat(81) })).toBe(false);
    expect(ok(PortalHelpRequest, { name: 42, description: 'help' })).toBe(false);
    expect(ok(PortalHelpRequest, { name: 'Ada', description: ['help'] })).toBe(false);
  });
});

describe('desk schemas', () => {
  it('issue type names are words, not markup or control characters', () => {
    expect(ok(IssueTypeName, 'Printer jam')).toBe(true);
    expect(ok(IssueTypeName, 'E-mail & calendar (Outlook)')).toBe(true);
    expect(ok(IssueTypeName, '<script>')).toBe(false);
    expect(ok(IssueTypeName, 'line\nbreak')).toBe(false);
    expect(ok(IssueTypeName, '')).toBe(false);
  });

  it('a team placement names its team; only known statuses can be chosen', () => {
    expect(ok(QueuePlacement, { kind: 'team', team: { id: 1, name: 'Printers' } })).toBe(true);
    expect(ok(QueuePlacement, { kind: 'team' })).toBe(false);
    expect(ok(ChosenStatus, 'away')).toBe(true);
    expect(ok(ChosenStatus, 'offline')).toBe(false);
  });

  it('a queue item from a server without queues still parses', () => {
    const item = { requestId: 'r', customerName: 'Ada', createdAt: 1, status: 'waiting', agentOnline: false, portalOnline: true, agent: null };
    expect(ok(QueueItem, item)).toBe(true);
    expect(ok(QueueItem, { ...item, queue: { kind: 'general' }, routedTo: { id: 2, displayName: 'Bob' }, description: 'x', issueType: null })).toBe(true);
  });
});
