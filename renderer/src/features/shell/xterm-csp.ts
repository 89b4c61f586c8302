/**
 * xterm.js under the console's CSP (`style-src 'self'`, no 'unsafe-inline').
 * Its DOM renderer puts <style> elements into the page for theme colours and
 * cell sizes, and sets `style` attributes on truecolor cells; the CSP blocks
 * both (xtermjs/xterm.js#4445), which leaves the terminal colourless and
 * misaligned and reports a violation for each.
 *
 * - The terminal is opened on a detached element: a <style> outside the
 *   document is never checked. Each one xterm made is taken out and mirrored
 *   into a constructed stylesheet (CSSOM, which the CSP allows) for as long
 *   as the terminal lives, following every later change xterm makes to it.
 * - `style` attributes that script sets on <span>s go through the CSSOM
 *   instead, with the same effect. Markup still cannot carry inline styles:
 *   the parser does not call setAttribute.
 */
import type { Terminal } from '@xterm/xterm';

let spanStylesRouted = false;

function routeSpanStylesThroughCssom(): void {
  if (spanStylesRouted) return;
  spanStylesRouted = true;
  const setAttribute = Element.prototype.setAttribute;
  HTMLSpanElement.prototype.setAttribute = function (this: HTMLSpanElement, name: string, value: string) {
    if (name.toLowerCase() === 'style') this.style.cssText = value;
    else setAttribute.call(this, name, value);
  };
}

/** Opens `term` inside `parent` without inline styles; the disposer undoes it (call it after `term.dispose()`). */
export function openTerminal(term: Terminal, parent: HTMLElement): () => void {
  routeSpanStylesThroughCssom();
  const doc = parent.ownerDocument;
  const host = doc.createElement('div');
  host.className = 'terminal-host';
  term.open(host);

  const sheets: CSSStyleSheet[] = [];
  const observers: MutationObserver[] = [];
  for (const style of host.querySelectorAll('style')) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(style.textContent ?? '');
    const observer = new MutationObserver(() => sheet.replaceSync(style.textContent ?? ''));
    observer.observe(style, { characterData: true, childList: true, subtree: true });
    style.remove();
    sheets.push(sheet);
    observers.push(observer);
  }
  doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, ...sheets];
  parent.appendChild(host);

  return () => {
    for (const o of observers) o.disconnect();
    doc.adoptedStyleSheets = doc.adoptedStyleSheets.filter((s) => !sheets.includes(s));
    host.remove();
  };
}
