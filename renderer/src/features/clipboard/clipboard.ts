/**
 * Clipboard text for the remote side, checked against the channel's limits
 * before it is sent: the agent would drop an oversized message without a
 * word, so the technician is told here instead.
 */
import { encodeControl, type ControlMessage } from '../../../../shared/channel.js';
import { LIMITS } from '../../../../shared/limits.js';

const count = new Intl.NumberFormat('en');

export type ClipboardOutcome =
  | { ok: true; msg: Extract<ControlMessage, { t: 'clipboard' }> }
  | { ok: false; problem: string };

export function clipboardMessage(text: string): ClipboardOutcome {
  if (text.length > LIMITS.clipboardChars) {
    return {
      ok: false,
      problem: `The text has ${count.format(text.length)} characters; at most ${count.format(LIMITS.clipboardChars)} can go to the remote clipboard.`,
    };
  }
  const msg = { t: 'clipboard', selection: 'clipboard', text } as const;
  // Characters that JSON escapes (control characters) can make a short text a long message.
  if (encodeControl(msg).length > LIMITS.channelMessageBytes) {
    return { ok: false, problem: 'The text is too large for the remote clipboard (it holds many control characters).' };
  }
  return { ok: true, msg };
}
