import { describe, expect, it } from 'vitest';
import { randomSecret } from './crypto.js';

describe('randomSecret', () => {
  it('never starts with "-", so a command line never reads a secret as an option', () => {
    // About one in 64 base64url strings would start with "-".
    for (let i = 0; i < 5000; i++) expect(randomSecret(12).startsWith('-')).toBe(false);
    expect(randomSecret()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{42}$/);
  });
});
