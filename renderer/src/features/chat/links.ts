/**
 * Chat text arrives from the remote user: only plain https links become
 * clickable, and opening one asks the technician first (in the desktop app
 * the main process asks; in a browser, the page does).
 */
export type ChatPart = { kind: 'text'; text: string } | { kind: 'link'; href: string; text: string };

const URL_PATTERN = /https:\/\/[^\s<>"'`]+/g;
/** Punctuation that ends a sentence rather than a URL. */
const TRAILING = /[.,;:!?)\]}]+$/;

export function splitLinks(text: string): ChatPart[] {
  const parts: ChatPart[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const raw = match[0].replace(TRAILING, '');
    const start = match.index;
    const href = plainHttps(raw);
    if (!href) continue;
    if (start > last) parts.push({ kind: 'text', text: text.slice(last, start) });
    parts.push({ kind: 'link', href, text: raw });
    last = start + raw.length;
  }
  if (last < text.length) parts.push({ kind: 'text', text: text.slice(last) });
  return parts;
}

function plainHttps(raw: string): string | null {
  try {
    const u = new URL(raw);
    return u.protocol === 'https:' && !u.username && !u.password ? u.href : null;
  } catch {
    return null;
  }
}

/** Opens a chat link after the technician confirms; the desktop app's main process does its own confirmation. */
export function openChatLink(href: string): void {
  const desktop = 'lifeline' in window;
  if (!desktop && !window.confirm(`Open this link from the remote user?\n\n${href}\n\nOpen only what you trust.`)) return;
  window.open(href, '_blank', 'noopener,noreferrer');
}
