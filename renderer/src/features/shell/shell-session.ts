/**
 * One remote shell shown in one terminal: asks the agent to open it on the
 * tools channel, writes its output to the terminal and acknowledges what the
 * terminal has processed, sends keystrokes and size changes, and reports how
 * it ended. Output goes from the channel to the terminal directly; only the
 * status changes reach React.
 */
import type { Disposer } from '../../../../shared/console-contract.js';
import { errorSentence } from '../../bridge/index.js';
import type { ToolsLink } from '../tools/tools-link.js';
import { AckBatcher } from './ack-batcher.js';

export type ShellStatus =
  | { state: 'opening' }
  | { state: 'running' }
  | { state: 'exited'; code: number }
  /** Closed here, by the agent (signal, consent withdrawn), or with the connection; `reason` says why when we know. */
  | { state: 'closed'; reason: string | null };

export function shellStatusText(status: ShellStatus | null): string {
  if (!status) return 'not open';
  return status.state === 'exited' ? `exited ${status.code}` : status.state;
}

export interface TerminalSink {
  /** Queues output; `processed` runs once the terminal has parsed it. */
  write(data: Uint8Array, processed: () => void): void;
}

export interface ShellSessionOptions {
  tools: Pick<ToolsLink, 'request' | 'notify' | 'sendShellData' | 'attachShell'>;
  terminal: TerminalSink;
  elevated: boolean;
  cols: number;
  rows: number;
  onStatus(status: ShellStatus): void;
  ackBatchBytes?: number;
}

/** The protocol's bounds for a terminal size. */
const clampSize = (n: number) => Math.min(1000, Math.max(2, Math.floor(n)));

export class ShellSession {
  private status: ShellStatus = { state: 'opening' };
  private readonly id: number;
  private readonly detach: Disposer;
  private readonly acks: AckBatcher;
  /** The size the terminal has, and the size the agent was last told. */
  private size: { cols: number; rows: number };
  private told: { cols: number; rows: number };

  constructor(private readonly opts: ShellSessionOptions) {
    const route = opts.tools.attachShell({
      data: (bytes) => this.output(bytes),
      exit: (code) => this.end(code === null ? { state: 'closed', reason: null } : { state: 'exited', code }),
      lost: () => this.end({ state: 'closed', reason: 'The connection to the remote computer closed.' }),
    });
    this.id = route.id;
    this.detach = route.detach;
    this.acks = new AckBatcher((bytes) => {
      if (this.live) opts.tools.notify({ t: 'shell:ack', shell: this.id, bytes });
    }, opts.ackBatchBytes);
    this.size = { cols: clampSize(opts.cols), rows: clampSize(opts.rows) };
    this.told = this.size;
  }

  get live(): boolean {
    return this.status.state === 'opening' || this.status.state === 'running';
  }

  get current(): ShellStatus {
    return this.status;
  }

  /** Asks the agent for the shell; settles once it runs or has failed (the status says which). */
  async start(): Promise<void> {
    this.opts.onStatus(this.status);
    try {
      await this.opts.tools.request({ t: 'shell:open', shell: this.id, elevated: this.opts.elevated, ...this.told });
    } catch (e) {
      this.end({ state: 'closed', reason: errorSentence(e) });
      return;
    }
    if (this.status.state !== 'opening') return;
    this.setStatus({ state: 'running' });
    // The terminal may have been resized while the agent was starting the shell.
    this.tellSize();
  }

  /** Keystrokes or a paste; false when they could not be sent. */
  input(data: Uint8Array): boolean {
    return this.status.state === 'running' && this.opts.tools.sendShellData(this.id, data);
  }

  resize(cols: number, rows: number): void {
    this.size = { cols: clampSize(cols), rows: clampSize(rows) };
    if (this.status.state === 'running') this.tellSize();
  }

  /** Ends the shell on the agent; `reason` is shown to the technician. */
  close(reason: string | null = null): void {
    if (!this.live) return;
    this.opts.tools.notify({ t: 'shell:close', shell: this.id });
    this.end({ state: 'closed', reason });
  }

  private tellSize(): void {
    const { cols, rows } = this.size;
    if (cols === this.told.cols && rows === this.told.rows) return;
    if (this.opts.tools.notify({ t: 'shell:resize', shell: this.id, cols, rows })) this.told = this.size;
  }

  private output(bytes: Uint8Array): void {
    if (!this.live) return;
    const n = bytes.length;
    this.acks.queued(n);
    this.opts.terminal.write(bytes, () => this.acks.processed(n));
  }

  private end(status: ShellStatus): void {
    if (!this.live) return;
    this.detach();
    this.setStatus(status);
  }

  private setStatus(status: ShellStatus): void {
    this.status = status;
    this.opts.onStatus(status);
  }
}
