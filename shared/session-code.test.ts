import { describe, expect, it } from 'vitest';
import { SESSION_CODE_DIGITS, agentCommand, formatSessionCode, generateSessionCode, normalizeSessionCode } from './session-code.js';

describe('generateSessionCode', () => {
  it('makes ten digits', () => {
    for (let i = 0; i < 200; i++) expect(generateSessionCode()).toMatch(/^\d{10}$/);
    expect(SESSION_CODE_DIGITS).toBe(10);
  });

  it('spreads digits evenly over many codes', () => {
    const codes = 5000;
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < codes; i++) for (const d of generateSessionCode()) counts[Number(d)]!++;
    const expected = (codes * SESSION_CODE_DIGITS) / 10;
    // ±10% is about 7 standard deviations at this sample size: a real bias
    // (e.g. b % 10 over all 256 byte values, +2.4% for 0-5) would need far
    // more samples to catch, so the deterministic test below covers that.
    for (const c of counts) expect(Math.abs(c - expected)).toBeLessThan(expected * 0.1);
  });

  it('discards random bytes of 250 and above, which would favour low digits', () => {
    const feed = [
      new Uint8Array(16).fill(255),
      Uint8Array.from([250, 251, 252, 253, 254, 255, 0, 11, 22, 33, 44, 55, 66, 77, 88, 99]),
    ];
    let calls = 0;
    const code = generateSessionCode((b) => {
      b.set(feed[calls++]!);
      return b;
    });
    expect(code).toBe('0123456789');
    expect(calls).toBe(2);
  });
});

describe('formatSessionCode and normalizeSessionCode', () => {
  it('shows a code in groups of 3-3-4', () => {
    expect(formatSessionCode('4829130567')).toBe('482 913 0567');
  });

  it('normalising a formatted code gives the code back, leading zeros included', () => {
    for (const code of ['0000000000', '0123456789', '9999999999', generateSessionCode(), generateSessionCode()]) {
      expect(normalizeSessionCode(formatSessionCode(code))).toBe(code);
    }
  });

  it('accepts codes typed with spaces, dashes, dots and surrounding blanks', () => {
    for (const typed of ['4829130567', '482 913 0567', '482-913-0567', '482.913.0567', '  482 913 0567\n', '48 29 13 05 67', '482-913 0567']) {
      expect(normalizeSessionCode(typed), typed).toBe('4829130567');
    }
  });

  it('rejects letters, nine digits and eleven digits', () => {
    for (const typed of ['48291305a7', 'abc 913 0567', 'O482913056', '482 913 056', '482 913 05678', '', '   ', '482+913+0567']) {
      expect(normalizeSessionCode(typed), typed).toBeNull();
    }
  });

  it('rejects digits from other scripts', () => {
    // Arabic-Indic digits are \d in some regex flavours; a code must be ASCII.
    expect(normalizeSessionCode('٤٨٢٩١٣٠٥٦٧')).toBeNull();
  });
});

describe('agentCommand', () => {
  it('names the installed support client, never a package fetched by npx', () => {
    expect(agentCommand('https://support.example.com', '4829130567')).toBe('lifeline-agent --server https://support.example.com --code 4829130567');
  });
});
