/**
 * Jump-group policy, as pure functions: who may reach a group's clients, and
 * what a session on one may do. The server decides both; the console only
 * shows what it is sent and the agent enforces the consent it is given.
 */
import type { Consent } from '../../../shared/protocol.js';
import type { PromptAnswer } from '../../../shared/jump.js';
import type { Tool } from '../../../shared/permissions.js';

export interface JumpPolicy {
  /** Technician usernames allowed to access the group's clients. */
  technicians: string[];
  /** Team names whose members are allowed. */
  teams: string[];
  /** Ask the logged-in user before a session starts. */
  prompt: boolean;
  promptTimeoutSeconds: number;
  /** What applies when the user does not answer in time. */
  promptDefault: PromptAnswer;
}

export const DEFAULT_POLICY: JumpPolicy = { technicians: [], teams: [], prompt: false, promptTimeoutSeconds: 30, promptDefault: 'deny' };

/**
 * Access is by name, listed explicitly: a technician named in the policy, or
 * a member of a team named in it. Administrators are no exception — an
 * unattended machine is reachable by exactly the people its group lists.
 */
export function mayAccess(policy: Pick<JumpPolicy, 'technicians' | 'teams'>, who: { username: string; teams: readonly string[] }): boolean {
  if (policy.technicians.includes(who.username)) return true;
  return who.teams.some((t) => policy.teams.includes(t));
}

/**
 * What an unattended session may do once it runs (no prompt, or the user
 * allowed it): the everyday tools, and an administrator shell only where the
 * client runs as root and the technician holds that grant. The agent still
 * intersects this with the technician's grants.
 */
export function unattendedConsent(opts: { elevated: boolean; grants: readonly Tool[] }): Consent {
  return {
    view: true,
    control: true,
    files: true,
    sysinfo: true,
    shell: true,
    shell_elevated: opts.elevated && opts.grants.includes('shell_elevated'),
  };
}

/** Nothing allowed: a session waiting for the user's answer. */
export const NO_CONSENT: Consent = { view: false, control: false, files: false, sysinfo: false, shell: false, shell_elevated: false };

/** "a,b, c" -> ['a', 'b', 'c'] (empty items dropped, duplicates removed). */
export function parseNameList(text: string | undefined): string[] {
  return [...new Set((text ?? '').split(',').map((s) => s.trim()).filter(Boolean))];
}

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "90s", "30m", "24h", "7d" (a bare number is seconds) -> milliseconds; null when unreadable. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!m) return null;
  const ms = Number(m[1]) * UNITS[m[2] || 's']!;
  return ms > 0 && Number.isSafeInteger(ms) ? ms : null;
}
