import { describe, expect, it } from 'vitest';
import { TOOLS } from '../../../../shared/permissions.js';
import { sessionState } from '../../test/fixtures.js';
import { capability, tabAvailability } from './availability.js';

const everything = { view: true, control: true, files: true, sysinfo: true, shell: true, shell_elevated: true };

describe('tool availability', () => {
  it('a tool is usable when it is both granted and consented', () => {
    const s = sessionState({ grants: [...TOOLS], consent: everything });
    for (const c of ['screen', 'control', 'files', 'sysinfo', 'process_kill', 'shell', 'shell_elevated', 'scripts'] as const) {
      expect(capability(s, c)).toEqual({ ok: true });
    }
  });

  it('a missing grant is explained as the account\'s limit, before any missing consent', () => {
    const s = sessionState({ grants: ['view'], consent: { view: false, control: false } });
    expect(capability(s, 'shell')).toEqual({ ok: false, reason: 'Your account is not allowed to open a command shell.' });
    expect(capability(s, 'screen')).toEqual({ ok: false, reason: 'The user has not allowed you to see the screen.' });
  });

  it('a consent the portal never sent counts as not given', () => {
    const s = sessionState({ grants: [...TOOLS], consent: { view: true, control: true } });
    expect(capability(s, 'sysinfo')).toEqual({ ok: false, reason: 'The user has not allowed you to read system information.' });
  });

  it('ending a process also needs control, granted and consented', () => {
    const granted = sessionState({ grants: ['sysinfo'], consent: everything });
    expect(capability(granted, 'process_kill')).toEqual({ ok: false, reason: 'Your account is not allowed to control mouse and keyboard.' });
    const consented = sessionState({ grants: ['sysinfo', 'control'], consent: { ...everything, control: false } });
    expect(capability(consented, 'process_kill')).toEqual({ ok: false, reason: 'The user has not allowed you to control mouse and keyboard.' });
    expect(capability(consented, 'sysinfo').ok).toBe(true);
  });

  it('scripts need the scripts grant and the user\'s shell consent', () => {
    expect(capability(sessionState({ grants: ['shell'], consent: everything }), 'scripts'))
      .toEqual({ ok: false, reason: 'Your account is not allowed to run prepared scripts.' });
    expect(capability(sessionState({ grants: ['scripts'], consent: { ...everything, shell: false } }), 'scripts'))
      .toEqual({ ok: false, reason: 'The user has not allowed you to open a command shell; scripts run in one.' });
  });

  it('the shell tab opens for an administrator shell alone, and otherwise gives the plain shell\'s reason', () => {
    const elevatedOnly = sessionState({ grants: ['shell_elevated'], consent: everything });
    expect(tabAvailability(elevatedOnly, 'shell')).toEqual({ ok: true });
    expect(capability(elevatedOnly, 'shell').ok).toBe(false);
    const none = sessionState({ grants: ['shell', 'shell_elevated'], consent: { view: true, control: true } });
    expect(tabAvailability(none, 'shell')).toEqual({ ok: false, reason: 'The user has not allowed you to open a command shell.' });
  });

  it('files need the files grant and the user\'s files consent', () => {
    expect(tabAvailability(sessionState({ grants: ['view'], consent: everything }), 'files'))
      .toEqual({ ok: false, reason: 'Your account is not allowed to transfer files.' });
    expect(tabAvailability(sessionState({ grants: ['files'], consent: { view: true, control: true } }), 'files'))
      .toEqual({ ok: false, reason: 'The user has not allowed you to transfer files.' });
    expect(tabAvailability(sessionState({ grants: ['files'], consent: { ...everything, control: false } }), 'files')).toEqual({ ok: true });
  });

  it('the other tabs follow their tool', () => {
    const s = sessionState({ grants: ['view', 'sysinfo'], consent: { view: true, control: false, sysinfo: false } });
    expect(tabAvailability(s, 'screen').ok).toBe(true);
    expect(tabAvailability(s, 'sysinfo')).toEqual({ ok: false, reason: 'The user has not allowed you to read system information.' });
    expect(tabAvailability(s, 'scripts')).toEqual({ ok: false, reason: 'Your account is not allowed to run prepared scripts.' });
  });
});
