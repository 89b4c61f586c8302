import { describe, expect, it } from 'vitest';
import { splitLinks } from './links.js';

describe('links in chat', () => {
  it('only plain https URLs become links; punctuation after them stays text', () => {
    expect(splitLinks('see https://example.com/a?b=1. and http://plain.example')).toEqual([
      { kind: 'text', text: 'see ' },
      { kind: 'link', href: 'https://example.com/a?b=1', text: 'https://example.com/a?b=1' },
      { kind: 'text', text: '. and http://plain.example' },
    ]);
  });
  it('credentials in a URL, javascript: and other schemes are never links', () => {
    for (const t of ['https://user:pw@evil.example/', 'javascript:alert(1)', 'file:///etc/passwd', '<a href="https://x">']) {
      expect(splitLinks(t).filter((p) => p.kind === 'link' && !p.href.startsWith('https://x'))).toEqual([]);
    }
  });
  it('text without links is one text part', () => {
    expect(splitLinks('hello')).toEqual([{ kind: 'text', text: 'hello' }]);
  });
});
