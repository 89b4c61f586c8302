import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../../../shared/limits.js';
import { clipboardMessage } from './clipboard.js';

describe('clipboard text for the remote side', () => {
  it('becomes a clipboard-selection message', () => {
    expect(clipboardMessage('héllo\nwörld')).toEqual({ ok: true, msg: { t: 'clipboard', selection: 'clipboard', text: 'héllo\nwörld' } });
  });

  it('is accepted up to the character limit, and refused beyond it with the numbers', () => {
    expect(clipboardMessage('x'.repeat(LIMITS.clipboardChars)).ok).toBe(true);
    const r = clipboardMessage('x'.repeat(LIMITS.clipboardChars + 1));
    expect(r).toEqual({ ok: false, problem: expect.stringContaining('16,385 characters') });
    expect(r.ok === false && r.problem).toContain('16,384');
  });

  it('is refused when JSON escaping would push the message past the channel limit', () => {
    expect(clipboardMessage('\u0001'.repeat(LIMITS.clipboardChars)).ok).toBe(false);
  });
});
