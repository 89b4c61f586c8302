/**
 * The technician's terminal: xterm.js fitted to its element, fed raw bytes
 * (xterm decodes UTF-8, also across chunk boundaries), with terminal-style
 * clipboard keys (Ctrl+Shift+C copies the selection; Ctrl+Shift+V is left to
 * the browser, whose paste event xterm takes, so no clipboard permission is
 * needed). For tests it keeps the last lines of its buffer as text in the
 * element's `data-lines`, refreshed a few times a second at most.
 */
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import type { TerminalSink } from './shell-session.js';
import { openTerminal } from './xterm-csp.js';

export interface ShellTerminalOptions {
  /** Laid out by the page; the terminal fills it and follows its size. */
  element: HTMLElement;
  onInput(data: Uint8Array): void;
  onResize(cols: number, rows: number): void;
  /** Copying failed (the browser refused the clipboard); says what to do instead. */
  onClipboardProblem(problem: string): void;
}

const EXPORTED_LINES = 50;
const EXPORT_PERIOD_MS = 250;
/** Attempts to fit (one per frame) before the font is measured, e.g. right after opening. */
const FIT_ATTEMPTS = 30;

const encoder = new TextEncoder();

export class ShellTerminal implements TerminalSink {
  private readonly term: Terminal;
  private readonly fitAddon = new FitAddon();
  private readonly undoOpen: () => void;
  private readonly resizeObserver: ResizeObserver;
  private readonly exportTimer: ReturnType<typeof setInterval>;
  private fitFrame = 0;
  private linesDirty = true;
  private inputEnabled = false;
  private disposed = false;

  constructor(private readonly opts: ShellTerminalOptions) {
    this.term = new Terminal({
      fontFamily: "ui-monospace, 'DejaVu Sans Mono', 'SF Mono', Menlo, Consolas, monospace",
      fontSize: 13,
      scrollback: 5000,
      cursorBlink: true,
      disableStdin: true,
      theme: { background: '#0e1116', foreground: '#d7dee8', cursor: '#d7dee8', selectionBackground: '#3b5070' },
    });
    this.term.loadAddon(this.fitAddon);
    this.term.attachCustomKeyEventHandler((e) => this.key(e));
    this.term.onData((s) => this.input(encoder.encode(s)));
    // Mouse reports in the X10 encoding: one byte per character, not UTF-8.
    this.term.onBinary((s) => this.input(Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff)));
    this.term.onResize(({ cols, rows }) => opts.onResize(cols, rows));
    this.term.onWriteParsed(() => (this.linesDirty = true));
    this.undoOpen = openTerminal(this.term, opts.element);
    this.resizeObserver = new ResizeObserver(() => this.scheduleFit());
    this.resizeObserver.observe(opts.element);
    this.exportTimer = setInterval(() => this.exportLines(), EXPORT_PERIOD_MS);
    this.exportLines();
  }

  get cols(): number {
    return this.term.cols;
  }

  get rows(): number {
    return this.term.rows;
  }

  write(data: Uint8Array, processed: () => void): void {
    this.term.write(data, processed);
  }

  /** A clean screen for the next shell. */
  reset(): void {
    this.term.reset();
    // Now, not at the next refresh: what the last shell printed must not pass for the next one's.
    this.linesDirty = true;
    this.exportLines();
  }

  setInputEnabled(enabled: boolean): void {
    this.inputEnabled = enabled;
    this.term.options.disableStdin = !enabled;
  }

  hasSelection(): boolean {
    return this.term.hasSelection();
  }

  copySelection(): void {
    // Trailing blank rows come with a wide selection, and a copied command must not run by itself when pasted.
    const text = this.term.getSelection().trimEnd();
    if (!text) return;
    const clipboard = navigator.clipboard as Clipboard | undefined;
    if (!clipboard) return this.opts.onClipboardProblem('This browser gives the console no clipboard here.');
    clipboard.writeText(text).catch(() => this.opts.onClipboardProblem('The browser refused to copy; select the text and try again.'));
  }

  /** Pastes as typing would (bracketed when the remote program asked for it). */
  paste(text: string): void {
    if (this.inputEnabled) this.term.paste(text);
  }

  selectAll(): void {
    this.term.selectAll();
  }

  focus(): void {
    this.term.focus();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    cancelAnimationFrame(this.fitFrame);
    clearInterval(this.exportTimer);
    this.resizeObserver.disconnect();
    this.term.dispose();
    this.undoOpen();
  }

  private input(data: Uint8Array): void {
    if (this.inputEnabled) this.opts.onInput(data);
  }

  private key(e: KeyboardEvent): boolean {
    const chord = e.ctrlKey && e.shiftKey && !e.altKey && !e.metaKey;
    if (!chord || (e.code !== 'KeyC' && e.code !== 'KeyV')) return true;
    if (e.code === 'KeyC') {
      // Also keeps the browser's own use of the chord (developer tools) away from the terminal.
      e.preventDefault();
      if (e.type === 'keydown') this.copySelection();
    }
    return false;
  }

  private scheduleFit(attempt = 0): void {
    cancelAnimationFrame(this.fitFrame);
    this.fitFrame = requestAnimationFrame(() => this.fitToContainer(attempt));
  }

  private fitToContainer(attempt: number): void {
    // A hidden panel has no size; the observer calls again when it is shown.
    if (this.disposed || this.opts.element.clientWidth === 0 || this.opts.element.clientHeight === 0) return;
    const dims = this.fitAddon.proposeDimensions();
    if (!dims || !Number.isFinite(dims.cols) || !Number.isFinite(dims.rows)) {
      if (attempt < FIT_ATTEMPTS) this.scheduleFit(attempt + 1);
      return;
    }
    if (dims.cols !== this.term.cols || dims.rows !== this.term.rows) this.term.resize(dims.cols, dims.rows);
  }

  private exportLines(): void {
    if (!this.linesDirty || this.disposed) return;
    this.linesDirty = false;
    const buffer = this.term.buffer.active;
    const lines: string[] = [];
    for (let i = Math.max(0, buffer.length - EXPORTED_LINES); i < buffer.length; i++) {
      const line = buffer.getLine(i);
      if (!line) continue;
      // Spaces at the end of a row are only padding unless the text goes on in the next row.
      const text = line.translateToString(!buffer.getLine(i + 1)?.isWrapped);
      // A line the terminal wrapped is one line of output.
      if (line.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
      else lines.push(text);
    }
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    this.opts.element.dataset.lines = lines.join('\n');
  }
}
