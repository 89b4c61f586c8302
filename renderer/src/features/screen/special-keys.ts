/**
 * Key combinations the technician's own system would act on instead of
 * forwarding (Ctrl+Alt+Del, Alt+Tab, the Windows key…), sent from a menu as
 * keysym presses and releases: every key down in order, then up in reverse,
 * so the remote side sees an ordinary chord and nothing stays held.
 */
import type { ControlMessage } from '../../../../shared/channel.js';
import { keysymFromKeyEvent } from '../../../../shared/keysyms.js';

/** The keysym of a key as the browser names it (the same table typed keys go through). */
function keysym(key: string, code = ''): number {
  const k = keysymFromKeyEvent({ key, code });
  if (k === null) throw new Error(`no keysym for ${key}`);
  return k;
}

export const SPECIAL_KEYS = [
  { id: 'ctrl-alt-del', label: 'Ctrl+Alt+Del', keys: [keysym('Control', 'ControlLeft'), keysym('Alt', 'AltLeft'), keysym('Delete')] },
  { id: 'alt-tab', label: 'Alt+Tab', keys: [keysym('Alt', 'AltLeft'), keysym('Tab')] },
  { id: 'super', label: 'Super (Windows key)', keys: [keysym('Meta', 'MetaLeft')] },
  { id: 'ctrl-esc', label: 'Ctrl+Esc', keys: [keysym('Control', 'ControlLeft'), keysym('Escape')] },
  { id: 'print', label: 'Print Screen', keys: [keysym('PrintScreen')] },
] as const;

export type SpecialKeyId = (typeof SPECIAL_KEYS)[number]['id'];

export function chordMessages(keys: readonly number[]): ControlMessage[] {
  return [
    ...keys.map((k): ControlMessage => ({ t: 'key', keysym: k, down: true })),
    ...[...keys].reverse().map((k): ControlMessage => ({ t: 'key', keysym: k, down: false })),
  ];
}
