import { describe, expect, it } from 'vitest';
import { formatExpiry, formatWaiting } from './format.js';

describe('queue labels', () => {
  it('says how long someone has waited', () => {
    expect(formatWaiting(-500)).toBe('just now');
    expect(formatWaiting(4_999)).toBe('just now');
    expect(formatWaiting(45_000)).toBe('45 s');
    expect(formatWaiting(3 * 60_000 + 10_000)).toBe('3 min');
    expect(formatWaiting(65 * 60_000)).toBe('1 h 05 min');
  });

  it('says when a session code expires', () => {
    expect(formatExpiry(60_000, 0)).toBe('expires in 1 min');
    expect(formatExpiry(14 * 60_000 + 1, 0)).toBe('expires in 15 min');
    expect(formatExpiry(40_000, 0)).toBe('expires in 40 s');
    expect(formatExpiry(1_000, 1_000)).toBe('expired');
  });
});
