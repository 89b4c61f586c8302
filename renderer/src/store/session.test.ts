import { describe, expect, it } from 'vitest';
import { sessionState } from '../test/fixtures.js';
import {
  agentErrorDismissed, agentReported, initialSession, monitorChosen, peerChanged, qualityChosen, remoteClipboardCopied,
  sessionChanged, sessionDismissed, viewOnlyChanged, type SessionData,
} from './session.js';
import { handedOverDismissed, sessionTransferred } from './session.js';

const active = (over = {}) => sessionChanged(initialSession, sessionState(over));

describe('session slice', () => {
  it('the first session state opens the session', () => {
    expect(active().session?.requestId).toBe('r1');
  });

  it('a state for the same session replaces it', () => {
    const s = sessionChanged(active(), sessionState({ consent: { view: true, control: true } }));
    expect(s.session?.consent).toEqual({ view: true, control: true });
  });

  it('another session cannot replace one that is still running', () => {
    const s = active();
    expect(sessionChanged(s, sessionState({ requestId: 'r2' }))).toBe(s);
  });

  it('another session replaces one that has ended, with a clean peer state', () => {
    let s = peerChanged(active(), 'connected');
    s = sessionChanged(s, sessionState({ status: 'ended' }));
    s = sessionChanged(s, sessionState({ requestId: 'r2' }));
    expect(s.session?.requestId).toBe('r2');
    expect(s.peer).toBe('idle');
  });

  it('a shared session opens for an invited technician and leaves his console when it no longer lists him', () => {
    const ann = { technicianId: 1, displayName: 'Ann', control: true };
    const bob = { technicianId: 2, displayName: 'Bob', control: false };
    let s = sessionChanged(initialSession, sessionState({ participants: [ann, bob] }), 2);
    expect(s.session?.requestId).toBe('r1');
    s = peerChanged(s, 'connected');
    s = sessionChanged(s, sessionState({ participants: [ann] }), 2);
    expect(s).toMatchObject({ session: null, peer: 'idle' });
    // A state that does not list him never opens it; without a participants list nothing changes.
    expect(sessionChanged(initialSession, sessionState({ participants: [ann] }), 2)).toBe(initialSession);
    expect(sessionChanged(initialSession, sessionState(), 2).session?.requestId).toBe('r1');
  });

  it('a late "ended" for a session nobody shows does not reopen it', () => {
    expect(sessionChanged(initialSession, sessionState({ status: 'ended' }))).toBe(initialSession);
  });

  it('a request still waiting in the queue does not open a session', () => {
    expect(sessionChanged(initialSession, sessionState({ status: 'waiting' }))).toBe(initialSession);
    const ended = sessionChanged(active(), sessionState({ status: 'ended' }));
    expect(sessionChanged(ended, sessionState({ requestId: 'r2', status: 'waiting' }))).toBe(ended);
  });

  it('ending a session drops the peer state but keeps the screen size for the last picture', () => {
    let s = peerChanged(active(), 'connected');
    s = agentReported(s, { t: 'screen', width: 1920, height: 1080 });
    s = agentReported(s, { t: 'consent', view: true, control: false });
    s = sessionChanged(s, sessionState({ status: 'ended', endedReason: 'The user ended the session.' }));
    expect(s).toMatchObject({ peer: 'idle', agentConsent: null, remoteScreen: { width: 1920, height: 1080 } });
    expect(s.session?.status).toBe('ended');
  });

  it('forgets what the agent enforced when the agent goes offline', () => {
    let s = agentReported(active(), { t: 'consent', view: true, control: true });
    s = sessionChanged(s, sessionState({ agentOnline: false }));
    expect(s.agentConsent).toBeNull();
  });

  it('records the agent\'s screen size, consent and errors', () => {
    let s: SessionData = active();
    s = agentReported(s, { t: 'screen', width: 800, height: 600 });
    s = agentReported(s, { t: 'consent', view: true, control: false });
    s = agentReported(s, { t: 'error', code: 'ERR_CONSENT', message: 'The user has not allowed this.' });
    expect(s).toMatchObject({
      remoteScreen: { width: 800, height: 600 },
      agentConsent: { view: true, control: false },
      agentError: 'The user has not allowed this.',
    });
    expect(agentErrorDismissed(s).agentError).toBeNull();
  });

  it('a change of consent clears the agent\'s last refusal', () => {
    let s = agentReported(active(), { t: 'error', code: 'ERR_CONSENT', message: 'The user has not allowed remote control.' });
    s = sessionChanged(s, sessionState({ portalOnline: false }));
    expect(s.agentError).not.toBeNull();
    s = sessionChanged(s, sessionState({ consent: { view: true, control: true } }));
    expect(s.agentError).toBeNull();
  });

  it('only an ended session can be dismissed', () => {
    const running = active();
    expect(sessionDismissed(running)).toBe(running);
    expect(sessionDismissed(sessionChanged(running, sessionState({ status: 'ended' }))).session).toBeNull();
  });
});

describe('session slice: screen choices, clipboard and view-only', () => {
  const monitors = [
    { id: 'DP-1', name: 'Dell', x: 0, y: 0, width: 2560, height: 1440, primary: true },
    { id: 'HDMI-1', name: 'LG', x: 2560, y: 0, width: 1920, height: 1080, primary: false },
  ];

  it('records the monitors and the quality the agent reports', () => {
    let s = agentReported(active(), { t: 'monitors', monitors, selected: 'DP-1' });
    s = agentReported(s, { t: 'quality-changed', mode: 'auto', effective: 'jpeg', jpegQuality: 70 });
    expect(s.monitors).toEqual({ list: monitors, selected: 'DP-1' });
    expect(s.quality).toEqual({ mode: 'auto', effective: 'jpeg', jpegQuality: 70 });
  });

  it('a choice shows at once and is remembered for the next peer; the agent\'s report still wins', () => {
    let s = agentReported(active(), { t: 'monitors', monitors, selected: 'DP-1' });
    s = agentReported(s, { t: 'quality-changed', mode: 'auto', effective: 'jpeg', jpegQuality: 70 });
    s = monitorChosen(s, 'all');
    s = qualityChosen(s, 'grey');
    expect(s.monitors?.selected).toBe('all');
    expect(s.quality?.mode).toBe('grey');
    expect(s.screenChoice).toEqual({ monitor: 'all', quality: 'grey' });
    s = agentReported(s, { t: 'monitors', monitors, selected: 'HDMI-1' });
    expect(s.monitors?.selected).toBe('HDMI-1');
  });

  it('a choice made before the agent reported anything is only remembered', () => {
    const s = qualityChosen(monitorChosen(active(), 'DP-1'), 'low');
    expect(s).toMatchObject({ monitors: null, quality: null, screenChoice: { monitor: 'DP-1', quality: 'low' } });
  });

  it('forgets the agent\'s monitors and quality when it goes offline, but keeps the technician\'s choices', () => {
    let s = agentReported(active(), { t: 'monitors', monitors, selected: 'DP-1' });
    s = qualityChosen(s, 'best');
    s = sessionChanged(s, sessionState({ agentOnline: false }));
    expect(s).toMatchObject({ monitors: null, quality: null, screenChoice: { quality: 'best' } });
  });

  it('keeps the remote clipboard text, not the primary selection, and tracks the local copy of the newest text only', () => {
    let s = agentReported(active(), { t: 'clipboard', selection: 'clipboard', text: 'first' });
    s = agentReported(s, { t: 'clipboard', selection: 'primary', text: 'selected with the mouse' });
    expect(s.remoteClipboard).toEqual({ text: 'first', copied: 'pending' });
    s = agentReported(s, { t: 'clipboard', selection: 'clipboard', text: 'second' });
    s = remoteClipboardCopied(s, 'first', true);
    expect(s.remoteClipboard).toEqual({ text: 'second', copied: 'pending' });
    s = remoteClipboardCopied(s, 'second', false);
    expect(s.remoteClipboard).toEqual({ text: 'second', copied: 'not-copied' });
  });

  it('view-only, choices and clipboard start fresh with the next session', () => {
    let s = viewOnlyChanged(active(), true);
    s = qualityChosen(s, 'low');
    s = agentReported(s, { t: 'clipboard', selection: 'clipboard', text: 'secret' });
    s = sessionChanged(s, sessionState({ status: 'ended' }));
    expect(s.viewOnly).toBe(true);
    s = sessionChanged(s, sessionState({ requestId: 'r2' }));
    expect(s).toMatchObject({ viewOnly: false, remoteClipboard: null, screenChoice: { monitor: null, quality: null } });
  });
});

describe('session transfer', () => {
  it('the transferred session leaves the console with its peer state, and says where it went', () => {
    let s = peerChanged(active(), 'connected');
    s = sessionTransferred(s, { requestId: 'r1', to: 'the Printers team', note: 'driver' });
    expect(s).toMatchObject({ session: null, peer: 'idle', handedOver: { requestId: 'r1', to: 'the Printers team', note: 'driver' } });
    expect(handedOverDismissed(s).handedOver).toBeNull();
    // Another request's transfer leaves the session on screen alone.
    const other = active();
    expect(sessionTransferred(other, { requestId: 'r2', to: 'Bob', note: '' })).toBe(other);
  });
});
