/**
 * The agent's per-peer decision in a shared session: every participant's
 * connection may view (when the user allows it), only the holder's gets
 * control, the tools and the files; a handover moves them; a technician who
 * is no longer listed loses his connection.
 */
import { describe, expect, it } from 'vitest';
import type { SessionState } from '../../shared/protocol.js';
import { controlHeldElsewhere, peerConsent, peerRefusal, rightsOf, sessionAllows, takesPart } from './peer-rights.js';

const ANN = 1;
const BOB = 2;
const CEM = 3;

function state(over: Partial<SessionState> = {}): SessionState {
  return {
    requestId: 'r1',
    status: 'active',
    customerName: 'Ada',
    technician: { id: ANN, displayName: 'Ann' },
    agentOnline: true,
    portalOnline: true,
    consoleOnline: true,
    consent: { view: true, control: true, files: true, sysinfo: true, shell: true, shell_elevated: false },
    grants: ['view', 'control', 'files', 'sysinfo', 'shell', 'scripts'],
    agent: null,
    endedReason: null,
    participants: [
      { technicianId: ANN, displayName: 'Ann', control: true },
      { technicianId: BOB, displayName: 'Bob', control: false },
    ],
    ...over,
  };
}

describe('peer rights', () => {
  it('gives every participant view and only the holder control, tools and files', () => {
    const r = rightsOf(state());
    expect(peerConsent(r, ANN)).toEqual({ view: true, control: true });
    expect(peerConsent(r, BOB)).toEqual({ view: true, control: false });
    for (const tool of ['files', 'sysinfo', 'shell', 'control'] as const) {
      expect(peerRefusal(r, ANN, tool), tool).toBeNull();
      expect(peerRefusal(r, BOB, tool), tool).toBe('ERR_PERMISSION');
    }
    expect(peerRefusal(r, BOB, 'view')).toBeNull();
    expect(controlHeldElsewhere(r, BOB)).toBe(true);
    expect(controlHeldElsewhere(r, ANN)).toBe(false);
    expect(controlHeldElsewhere(rightsOf(state({ consent: { view: true, control: false } })), BOB)).toBe(false);
  });

  it('moves control with a handover', () => {
    const r = rightsOf(state({
      technician: { id: BOB, displayName: 'Bob' },
      participants: [
        { technicianId: BOB, displayName: 'Bob', control: true },
        { technicianId: ANN, displayName: 'Ann', control: false },
      ],
    }));
    expect(peerConsent(r, BOB)).toEqual({ view: true, control: true });
    expect(peerConsent(r, ANN)).toEqual({ view: true, control: false });
    expect(peerRefusal(r, BOB, 'shell')).toBeNull();
    expect(peerRefusal(r, ANN, 'shell')).toBe('ERR_PERMISSION');
  });

  it('keeps the user\'s consent and the holder\'s grants above everyone', () => {
    const noControl = rightsOf(state({ consent: { view: true, control: false, shell: false } }));
    expect(peerConsent(noControl, ANN)).toEqual({ view: true, control: false });
    expect(peerRefusal(noControl, ANN, 'shell')).toBe('ERR_CONSENT');
    expect(sessionAllows(noControl, 'scripts')).toBe(false);
    const noView = rightsOf(state({ consent: { view: false, control: false } }));
    expect(peerConsent(noView, ANN)).toEqual({ view: false, control: false });
    expect(peerConsent(noView, BOB)).toEqual({ view: false, control: false });
    const ungranted = rightsOf(state({ grants: ['view'] }));
    expect(peerConsent(ungranted, ANN)).toEqual({ view: true, control: false });
    expect(peerRefusal(ungranted, ANN, 'files')).toBe('ERR_PERMISSION');
  });

  it('drops whoever is not listed, and falls back to the state\'s technician without a participants list', () => {
    const r = rightsOf(state());
    expect(takesPart(r, ANN)).toBe(true);
    expect(takesPart(r, CEM)).toBe(false);
    expect(peerConsent(r, CEM)).toEqual({ view: false, control: false });
    const old = rightsOf(state({ participants: undefined }));
    expect(old.holder).toBe(ANN);
    expect(takesPart(old, ANN)).toBe(true);
    expect(takesPart(old, BOB)).toBe(false);
    expect(peerConsent(old, ANN)).toEqual({ view: true, control: true });
    const waiting = rightsOf(state({ status: 'waiting', technician: null, participants: [], grants: [] }));
    expect(waiting.holder).toBeNull();
    expect(takesPart(waiting, ANN)).toBe(false);
  });
});
