/**
 * Which in-session tools the technician can use right now. A tool needs the
 * server's grant (what this technician's account may do) and the user's
 * consent (what the user allowed on the portal); the agent enforces both,
 * the console only explains why something is greyed out.
 */
import { TOOL_LABELS, type Tool } from '../../../../shared/permissions.js';
import type { Consent, SessionState } from '../../../../shared/protocol.js';

export type Availability = { ok: true } | { ok: false; reason: string };

/** What the console offers; several need more than one grant and consent. */
export type Capability = 'screen' | 'control' | 'files' | 'sysinfo' | 'process_kill' | 'shell' | 'shell_elevated' | 'scripts';

export type ToolTab = 'screen' | 'shell' | 'files' | 'sysinfo' | 'scripts';

export const TOOL_TABS: readonly ToolTab[] = ['screen', 'shell', 'files', 'sysinfo', 'scripts'];

export const TAB_LABELS: Record<ToolTab, string> = { screen: 'Screen', shell: 'Shell', files: 'Files', sysinfo: 'System', scripts: 'Scripts' };

type ConsentTool = keyof Consent;

/** Each requirement is a grant and the consent that goes with it; all must hold. */
const NEEDS: Record<Capability, ReadonlyArray<{ grant: Tool; consent: ConsentTool }>> = {
  screen: [{ grant: 'view', consent: 'view' }],
  control: [{ grant: 'control', consent: 'control' }],
  files: [{ grant: 'files', consent: 'files' }],
  sysinfo: [{ grant: 'sysinfo', consent: 'sysinfo' }],
  // Ending a process changes the machine, as input does: it needs control on top of reading system information.
  process_kill: [{ grant: 'sysinfo', consent: 'sysinfo' }, { grant: 'control', consent: 'control' }],
  shell: [{ grant: 'shell', consent: 'shell' }],
  shell_elevated: [{ grant: 'shell_elevated', consent: 'shell_elevated' }],
  // Scripts run in a shell on the user's machine, so the user's shell consent covers them.
  scripts: [{ grant: 'scripts', consent: 'shell' }],
};

const OK: Availability = { ok: true };

function notGranted(tool: Tool): string {
  return `Your account is not allowed to ${TOOL_LABELS[tool]}.`;
}

function notConsented(tool: ConsentTool): string {
  return `The user has not allowed you to ${TOOL_LABELS[tool]}.`;
}

export function capability(session: Pick<SessionState, 'grants' | 'consent'>, what: Capability): Availability {
  // Every grant is checked before any consent: asking the user is pointless while the account may not.
  for (const { grant } of NEEDS[what]) {
    if (!session.grants.includes(grant)) return { ok: false, reason: notGranted(grant) };
  }
  for (const { consent } of NEEDS[what]) {
    if (session.consent[consent] !== true) {
      const reason = notConsented(consent);
      return { ok: false, reason: what === 'scripts' ? reason.replace(/\.$/, '; scripts run in one.') : reason };
    }
  }
  return OK;
}

export function tabAvailability(session: Pick<SessionState, 'grants' | 'consent'>, tab: ToolTab): Availability {
  if (tab !== 'shell') return capability(session, tab);
  const plain = capability(session, 'shell');
  // An administrator shell alone makes the tab useful; the plain shell's reason is the one to show.
  return plain.ok || capability(session, 'shell_elevated').ok ? OK : plain;
}
