/**
 * What each console's peer connection may do in a (possibly shared) session.
 * Every participant sees the screen when the user allows viewing; only the
 * holder's connection gets control, the clipboard, the tools and the files.
 * Pure, so the agent's per-peer decision is tested without a desktop.
 */
import type { ErrorCode } from '../../shared/errors.js';
import type { Tool } from '../../shared/permissions.js';
import type { Consent, SessionState } from '../../shared/protocol.js';

/** What the server and the user allow in the session (the holder's grants, the user's consent). */
export interface SessionRights {
  consent: Consent;
  grants: readonly Tool[];
  /** The technician holding control; null before anyone accepted. */
  holder: number | null;
  /** Everyone taking part (holder included); null from a server that does not list participants. */
  participants: readonly number[] | null;
}

export function rightsOf(state: SessionState): SessionRights {
  const holder = state.participants ? (state.participants.find((p) => p.control)?.technicianId ?? null) : (state.technician?.id ?? null);
  return {
    consent: state.consent,
    grants: state.grants,
    holder,
    participants: state.participants ? state.participants.map((p) => p.technicianId) : null,
  };
}

/**
 * A tool is usable only when the server grants it to the holder AND the
 * user allowed it. Scripts are shell code: they need the user's shell consent.
 */
export function sessionAllows(r: SessionRights, tool: Tool): boolean {
  if (!r.grants.includes(tool)) return false;
  if (tool === 'scripts') return r.consent.shell === true;
  return r.consent[tool as keyof Consent] === true;
}

/** Why a peer of technician `technicianId` may not use `tool`: not the holder or no grant first, then the user's consent. */
export function peerRefusal(r: SessionRights, technicianId: number, tool: Tool): ErrorCode | null {
  if (tool !== 'view' && technicianId !== r.holder) return 'ERR_PERMISSION';
  if (!r.grants.includes(tool)) return 'ERR_PERMISSION';
  return sessionAllows(r, tool) ? null : 'ERR_CONSENT';
}

/** The screen and input a peer's ConsoleLink gets: view for every participant, control only for the holder. */
export function peerConsent(r: SessionRights, technicianId: number): Consent {
  return { view: takesPart(r, technicianId) && sessionAllows(r, 'view'), control: technicianId === r.holder && sessionAllows(r, 'control') };
}

/** Whether the technician still takes part (a peer of one who left or was dropped is closed). */
export function takesPart(r: SessionRights, technicianId: number): boolean {
  return r.participants ? r.participants.includes(technicianId) : technicianId === r.holder;
}

/** The user allowed control, but this peer's technician does not hold it. */
export function controlHeldElsewhere(r: SessionRights, technicianId: number): boolean {
  return technicianId !== r.holder && sessionAllows(r, 'control');
}
