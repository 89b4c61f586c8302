import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, mayAccess, parseDuration, parseNameList, unattendedConsent } from './policy.js';

describe('jump group policy', () => {
  const policy = { ...DEFAULT_POLICY, technicians: ['alice'], teams: ['Servers', 'Network'] };

  it('lets in a technician named in the policy', () => {
    expect(mayAccess(policy, { username: 'alice', teams: [] })).toBe(true);
  });

  it('lets in a member of a team named in the policy', () => {
    expect(mayAccess(policy, { username: 'carol', teams: ['Printers', 'Network'] })).toBe(true);
  });

  it('keeps out everyone else, administrators included, and matches names exactly', () => {
    expect(mayAccess(policy, { username: 'bob', teams: ['Printers'] })).toBe(false);
    expect(mayAccess(policy, { username: 'admin', teams: [] })).toBe(false);
    expect(mayAccess(policy, { username: 'Alice', teams: ['servers'] })).toBe(false);
    expect(mayAccess(DEFAULT_POLICY, { username: 'alice', teams: ['Servers'] })).toBe(false);
  });

  it('gives an unattended session the everyday tools, and an administrator shell only on a root client for a granted technician', () => {
    const everyday = { view: true, control: true, files: true, sysinfo: true, shell: true };
    expect(unattendedConsent({ elevated: false, grants: ['shell_elevated'] })).toEqual({ ...everyday, shell_elevated: false });
    expect(unattendedConsent({ elevated: true, grants: ['view', 'shell'] })).toEqual({ ...everyday, shell_elevated: false });
    expect(unattendedConsent({ elevated: true, grants: ['view', 'shell_elevated'] })).toEqual({ ...everyday, shell_elevated: true });
  });

  it('reads name lists and durations from the command line', () => {
    expect(parseNameList(' a, b,,a ,c ')).toEqual(['a', 'b', 'c']);
    expect(parseNameList(undefined)).toEqual([]);
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('7d')).toBe(604_800_000);
    expect(parseDuration('90')).toBe(90_000);
    expect(parseDuration('0h')).toBeNull();
    expect(parseDuration('soon')).toBeNull();
    expect(parseDuration('-1h')).toBeNull();
  });
});
