/**
 * One remote shell: a login shell on a pseudo-terminal whose output flows
 * to the console inside a window (Tabby's PTYDataQueue, the xterm.js
 * flow-control guide). The pty is paused while more than
 * SHELL_OUTPUT_WINDOW bytes are unacknowledged by the console, or while the
 * channel's own buffer is full, so `yes` costs a bounded amount of memory
 * and stalls the program, not the agent.
 */
import { accessSync, constants, statSync } from 'node:fs';
import * as pty from 'node-pty';
import { LifelineError } from '../../../shared/errors.js';
import { encodeShellData, SHELL_OUTPUT_WINDOW } from '../../../shared/tools.js';
import type { ShellAccount } from './accounts.js';
import { CommandLineRecorder } from './command-line.js';
import type { ChannelPacer } from './pacer.js';

/** A shell that ignores SIGHUP gets SIGKILL this long after it was closed. */
const KILL_AFTER_MS = 2000;

export interface ShellOptions {
  id: number;
  account: ShellAccount;
  cols: number;
  rows: number;
  pacer: ChannelPacer;
  /** Set for elevated shells: receives every command line typed (see CommandLineRecorder). */
  onCommand?: (line: string) => void;
  /** Called exactly once: the shell exited (its code, null after a signal) or was closed (null). */
  onExit: (code: number | null) => void;
}

export class Shell {
  readonly id: number;
  /** Resolves when the shell process is gone, however it ended. */
  readonly exited: Promise<void>;
  private readonly pty: pty.IPty;
  private readonly recorder: CommandLineRecorder | null;
  private unacked = 0;
  private paused = false;
  private waitingForChannel = false;
  private ended = false;
  private killTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly dataListener: pty.IDisposable;

  constructor(private readonly opts: ShellOptions) {
    this.id = opts.id;
    this.recorder = opts.onCommand ? new CommandLineRecorder() : null;
    this.pty = spawnLoginShell(opts.account, opts.cols, opts.rows);
    // With `encoding: null` node-pty delivers Buffers; its typings only know strings.
    this.dataListener = this.pty.onData((data) => this.output(data as unknown as Buffer));
    this.exited = new Promise((resolve) => {
      this.pty.onExit(({ exitCode, signal }) => {
        if (this.killTimer) clearTimeout(this.killTimer);
        this.end(signal ? null : exitCode);
        resolve();
      });
    });
  }

  /** Keystrokes from the console. */
  input(data: Uint8Array): void {
    if (this.ended) return;
    // Reported before the shell sees the keystrokes, so nothing typed runs unlogged (if reporting throws, they are dropped).
    for (const line of this.recorder?.feed(data) ?? []) this.opts.onCommand?.(line);
    this.pty.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  /** The console painted `bytes` more output; false when it acknowledged more than it was sent. */
  ack(bytes: number): boolean {
    const honest = bytes <= this.unacked;
    this.unacked = Math.max(0, this.unacked - bytes);
    this.maybeResume();
    return honest;
  }

  resize(cols: number, rows: number): void {
    if (!this.ended) this.pty.resize(cols, rows);
  }

  /** Ends the shell now (hang-up, then SIGKILL if it lingers) and reports the exit. */
  close(): void {
    if (this.ended) return;
    this.end(null);
    this.dataListener.dispose();
    this.pty.kill('SIGHUP');
    // node-pty reports the exit only after reading the pty to its end, so a paused pty must flow again.
    this.pty.resume();
    this.killTimer = setTimeout(() => this.pty.kill('SIGKILL'), KILL_AFTER_MS);
  }

  private end(code: number | null): void {
    if (this.ended) return;
    this.ended = true;
    this.opts.onExit(code);
  }

  private output(data: Buffer): void {
    if (this.ended) return;
    for (const msg of encodeShellData(this.id, data)) this.opts.pacer.send(msg);
    this.unacked += data.length;
    if (!this.paused && (this.unacked > SHELL_OUTPUT_WINDOW || this.opts.pacer.backlogged())) {
      this.pty.pause();
      this.paused = true;
      this.maybeResume();
    }
  }

  private maybeResume(): void {
    if (!this.paused || this.ended || this.unacked > SHELL_OUTPUT_WINDOW / 2) return;
    if (this.opts.pacer.backlogged()) {
      if (this.waitingForChannel) return;
      this.waitingForChannel = true;
      void this.opts.pacer.drained().then(() => {
        this.waitingForChannel = false;
        this.maybeResume();
      });
      return;
    }
    this.paused = false;
    this.pty.resume();
  }
}

/** The account's login shell in its home directory, as that account (through setpriv when the agent is root and the account is not). */
function spawnLoginShell(account: ShellAccount, cols: number, rows: number): pty.IPty {
  try {
    accessSync(account.shell, constants.X_OK);
  } catch {
    throw new LifelineError('ERR_NOT_FOUND', `The shell ${account.shell} of ${account.name} cannot be started.`);
  }
  const self = process.getuid?.() === account.uid;
  const [file, args] = self
    ? [account.shell, ['-l']]
    // --init-groups: node-pty's own uid/gid switch would keep root's supplementary groups.
    : ['setpriv', ['--reuid', String(account.uid), '--regid', String(account.gid), '--init-groups', '--', account.shell, '-l']];
  return pty.spawn(file, args, {
    name: 'xterm-256color',
    cols,
    rows,
    cwd: isDirectory(account.home) ? account.home : '/',
    env: shellEnv(account, self),
    encoding: null,
  });
}

function shellEnv(account: ShellAccount, self: boolean): Record<string, string> {
  const env: Record<string, string> = {};
  // Another account's shell gets none of the agent's own environment beyond the display and PATH.
  const inherited = self ? Object.keys(process.env) : ['PATH', 'DISPLAY', 'LANG'];
  for (const key of inherited) {
    const v = process.env[key];
    if (v !== undefined) env[key] = v;
  }
  // Left over from the agent's own terminal, they would override the pty's size.
  delete env.COLUMNS;
  delete env.LINES;
  Object.assign(env, { HOME: account.home, USER: account.name, LOGNAME: account.name, SHELL: account.shell, TERM: 'xterm-256color', COLORTERM: 'truecolor' });
  const utf8 = (v: string | undefined) => v !== undefined && /utf-?8/i.test(v);
  if (!utf8(env.LANG)) env.LANG = 'C.UTF-8';
  for (const key of ['LC_ALL', 'LC_CTYPE']) if (env[key] !== undefined && !utf8(env[key])) delete env[key];
  return env;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
