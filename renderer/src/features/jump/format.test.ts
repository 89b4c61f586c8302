import { describe, expect, it } from 'vitest';
import { formatLastSeen } from './format.js';

describe('formatLastSeen', () => {
  const now = 1_000_000_000;
  it('says how long ago a client was last seen', () => {
    expect(formatLastSeen(true, now - 99_000_000, now)).toBe('online now');
    expect(formatLastSeen(false, null, now)).toBe('never seen');
    expect(formatLastSeen(false, now - 30_000, now)).toBe('seen just now');
    expect(formatLastSeen(false, now - 5 * 60_000, now)).toBe('seen 5 min ago');
    expect(formatLastSeen(false, now - 3 * 3_600_000, now)).toBe('seen 3 h ago');
    expect(formatLastSeen(false, now - 50 * 3_600_000, now)).toBe('seen 2 days ago');
  });
});
