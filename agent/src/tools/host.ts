/**
 * The agent's end of the tools data channel: system information, ending
 * processes, and remote shells. Every request is checked against the
 * technician's grant and the user's consent when it arrives (`allowed`),
 * and shells whose permission goes away are closed at once (`revoked`).
 * Nothing the console sends can make `receive` throw.
 */
import { ERROR_MESSAGES, isLifelineError, LifelineError, toWireError, type ErrorCode } from '../../../shared/errors.js';
import { TOOL_LABELS } from '../../../shared/permissions.js';
import { requestIdOf } from '../../../shared/frames.js';
import { encodeToolMessage, ToolDecoder, type SystemInfo, type ToolMessage } from '../../../shared/tools.js';
import { detectShellAccounts, type ShellAccounts } from './accounts.js';
import { ChannelPacer, type ToolsChannel } from './pacer.js';
import { Shell } from './shell.js';
import { collectSystemInfo } from './sysinfo.js';

export type { ToolsChannel } from './pacer.js';
export type { ShellAccount, ShellAccounts } from './accounts.js';

/** The permissions the tools channel asks about. */
export type ToolPermission = 'sysinfo' | 'shell' | 'shell_elevated' | 'control';

export interface ToolsHostOptions {
  channel: ToolsChannel;
  /** Null when the tool may be used now; otherwise why not (ERR_PERMISSION: no grant, ERR_CONSENT: the user said no). Asked on every request. */
  allowed: (tool: ToolPermission) => ErrorCode | null;
  /** Every command line typed into an elevated shell, before the shell sees it (for the audit log). */
  onElevatedCommand: (line: string, shell: number) => void;
  log: (msg: string) => void;
  /** Whom shells run as; by default derived from the agent's own account (see accounts.ts). */
  accounts?: ShellAccounts;
}

export const MAX_SHELLS = 8;

type Request = Extract<ToolMessage, { id: number }>;
type OpenRequest = Extract<ToolMessage, { t: 'shell:open' }>;

interface OpenShell {
  shell: Shell;
  tool: 'shell' | 'shell_elevated';
}


export class ToolsHost {
  private readonly decoder = new ToolDecoder();
  private readonly pacer: ChannelPacer;
  private readonly shells = new Map<number, OpenShell>();
  /** Shells whose process has not exited yet, closed or not. */
  private readonly running = new Set<Shell>();
  /** Shell ids between `shell:open` and the spawn: they count as taken. */
  private readonly opening = new Set<number>();
  private accounts: Promise<ShellAccounts> | null;
  /** One collection at a time; requests meanwhile share it. */
  private collecting: Promise<SystemInfo> | null = null;
  private disposed = false;

  constructor(private readonly opts: ToolsHostOptions) {
    this.pacer = new ChannelPacer(opts.channel, opts.log);
    this.accounts = opts.accounts ? Promise.resolve(opts.accounts) : null;
  }

  /** Announces this end of the channel (on open); see the handshake in shared/tools.ts. */
  hello(): void {
    for (const frame of encodeToolMessage({ t: 'hello' })) this.opts.channel.send(frame);
  }

  /** One message from the console. */
  receive(buf: Uint8Array): void {
    if (this.disposed) return;
    try {
      const decoded = this.decoder.decode(buf);
      if (!decoded) return;
      if (decoded.kind === 'invalid') this.refuseInvalid(buf, decoded.reason);
      else if (decoded.kind === 'shell') this.input(decoded.shell, decoded.data);
      else this.handle(decoded.msg);
    } catch (e) {
      this.opts.log(`tools message failed: ${describe(e)}`);
    }
  }

  /** Permissions or consent changed: closes every shell no longer allowed (the console gets `shell:exit`). */
  revoked(): void {
    for (const [id, open] of this.shells) {
      const why = this.opts.allowed(open.tool);
      if (why) {
        this.opts.log(`closing shell ${id}: ${why}`);
        open.shell.close();
      }
    }
  }

  /** The peer is gone: kills every shell. Resolves once every shell process has exited. Idempotent. */
  dispose(): Promise<void> {
    if (!this.disposed) {
      this.disposed = true;
      this.pacer.dispose();
      for (const open of this.shells.values()) open.shell.close();
    }
    return Promise.all([...this.running].map((s) => s.exited)).then(() => undefined);
  }

  private handle(msg: ToolMessage): void {
    switch (msg.t) {
      case 'hello':
        // The console's end may have opened after our hello was sent: answer each one (it stops once it hears us).
        this.hello();
        return;
      case 'sysinfo:get':
        void this.answer(msg, () => this.systemInfo());
        return;
      case 'process:kill':
        void this.answer(msg, () => this.kill(msg.pid));
        return;
      case 'shell:open':
        void this.answer(msg, () => this.open(msg));
        return;
      case 'shell:resize':
        this.shell(msg.shell, msg.t)?.resize(msg.cols, msg.rows);
        return;
      case 'shell:ack':
        if (this.shell(msg.shell, msg.t)?.ack(msg.bytes) === false) this.opts.log(`the console acknowledged more output of shell ${msg.shell} than it was sent`);
        return;
      case 'shell:close':
        this.shell(msg.shell, msg.t)?.close();
        return;
      case 'result':
      case 'shell:exit':
        this.opts.log(`ignored ${msg.t} from the console: only the agent sends it`);
        return;
    }
  }

  private input(id: number, data: Uint8Array): void {
    const open = this.shells.get(id);
    if (!open) {
      this.opts.log(`dropped input for shell ${id}, which is not open`);
      return;
    }
    // Consent is checked per keystroke too, so input never reaches a shell the user has just taken back.
    const why = this.opts.allowed(open.tool);
    if (why) {
      this.opts.log(`closing shell ${id}: ${why}`);
      open.shell.close();
      return;
    }
    open.shell.input(data);
  }

  private shell(id: number, what: string): Shell | null {
    const open = this.shells.get(id);
    if (!open) this.opts.log(`ignored ${what} for shell ${id}, which is not open`);
    return open?.shell ?? null;
  }

  private async systemInfo(): Promise<SystemInfo> {
    this.require('sysinfo');
    const info = await (this.collecting ??= collectSystemInfo({ log: this.opts.log }).finally(() => (this.collecting = null)));
    // Consent may have been taken back while collecting.
    this.require('sysinfo');
    return info;
  }

  private kill(pid: number): null {
    this.require('sysinfo');
    this.require('control');
    if (pid === process.pid) throw new LifelineError('ERR_PERMISSION', 'That is the support client itself. End the session instead.');
    try {
      process.kill(pid, 'SIGTERM');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPERM') throw new LifelineError('ERR_PERMISSION', `The support client may not end process ${pid}.`);
      // ERR_INVALID_ARG_TYPE: beyond the range of process ids.
      if (code === 'ESRCH' || code === 'ERR_INVALID_ARG_TYPE') throw new LifelineError('ERR_NOT_FOUND', `There is no process ${pid}.`);
      throw e;
    }
    this.opts.log(`sent SIGTERM to process ${pid}`);
    return null;
  }

  private async open(msg: OpenRequest): Promise<{ user: string }> {
    const id = msg.shell;
    const tool = msg.elevated ? 'shell_elevated' : 'shell';
    if (id > 0xffff_ffff) throw new LifelineError('ERR_BAD_MESSAGE', 'A shell id must fit in 32 bits.');
    if (this.shells.has(id) || this.opening.has(id)) throw new LifelineError('ERR_BAD_MESSAGE', `Shell ${id} is already open.`);
    this.require(tool);
    if (this.shells.size + this.opening.size >= MAX_SHELLS) throw new LifelineError('ERR_RATE_LIMITED', `At most ${MAX_SHELLS} shells can be open at once. Close one first.`);
    this.opening.add(id);
    try {
      const accounts = await (this.accounts ??= detectShellAccounts());
      if (this.disposed) throw new LifelineError('ERR_SESSION_ENDED');
      this.require(tool);
      const account = msg.elevated ? accounts.elevated : accounts.ordinary;
      if (!account) {
        throw new LifelineError('ERR_PERMISSION', msg.elevated
          ? 'This support client does not run with administrator rights.'
          : 'This support client runs with administrator rights and cannot tell which user to open an ordinary shell for. Open an administrator shell instead.');
      }
      const shell = new Shell({
        id,
        account,
        cols: msg.cols,
        rows: msg.rows,
        pacer: this.pacer,
        onCommand: msg.elevated ? (line) => this.opts.onElevatedCommand(line, id) : undefined,
        onExit: (code) => {
          this.shells.delete(id);
          this.opts.log(`shell ${id} ended${code === null ? '' : ` with code ${code}`}`);
          void this.send({ t: 'shell:exit', shell: id, code });
        },
      });
      this.shells.set(id, { shell, tool });
      this.running.add(shell);
      void shell.exited.then(() => this.running.delete(shell));
      this.opts.log(`opened ${msg.elevated ? 'elevated ' : ''}shell ${id} as ${account.name}`);
      return { user: account.name };
    } finally {
      this.opening.delete(id);
    }
  }

  /** Throws the refusal `allowed` gives for `tool`, in a sentence naming the tool. */
  private require(tool: ToolPermission): void {
    const why = this.opts.allowed(tool);
    if (!why) return;
    const label = TOOL_LABELS[tool];
    const message = why === 'ERR_CONSENT' ? `The user has not allowed you to ${label}.`
      : why === 'ERR_PERMISSION' ? `You are not allowed to ${label}.`
      : ERROR_MESSAGES[why];
    throw new LifelineError(why, message);
  }

  private async answer(req: Request, work: () => unknown): Promise<void> {
    let reply: ToolMessage;
    try {
      reply = { t: 'result', id: req.id, ok: true, value: (await work()) ?? null };
    } catch (e) {
      if (!isLifelineError(e)) this.opts.log(`${req.t} failed: ${describe(e)}`);
      reply = { t: 'result', id: req.id, ok: false, ...toWireError(e) };
    }
    await this.send(reply);
  }

  /**
   * A message in one piece goes at once, keeping its place among shell
   * output (an open shell's `result` before its first bytes); the parts of
   * a large result wait while the channel is backlogged, so shell output
   * passes between them.
   */
  private async send(msg: ToolMessage): Promise<void> {
    if (this.disposed) return;
    const parts = encodeToolMessage(msg);
    if (parts.length === 1) return this.pacer.send(parts[0]!);
    for (const part of parts) {
      if (this.pacer.backlogged()) await this.pacer.drained();
      if (this.disposed) return;
      this.pacer.send(part);
    }
  }

  /** A message the decoder rejected: answered with ERR_BAD_MESSAGE when it is a request with a readable id, logged otherwise. */
  private refuseInvalid(buf: Uint8Array, reason: string): void {
    const id = requestIdOf(buf);
    if (id === null) {
      this.opts.log(`dropped a tools message: ${reason}`);
      return;
    }
    void this.send({ t: 'result', id, ok: false, code: 'ERR_BAD_MESSAGE', message: `The request could not be understood: ${reason}.` });
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? (e.stack ?? e.message) : String(e);
}
