/**
 * Runs canned scripts the server sends (they come from the administrators'
 * store on the server, never from the console), streaming output back in
 * bounded chunks. One run at a time per session keeps a user's machine from
 * being flooded; a run is killed when the session ends or the user withdraws
 * shell consent.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ScriptRunnerOptions {
  send(msg: { type: 'script:output'; runId: number; chunk: string } | { type: 'script:exit'; runId: number; code: number | null; error?: string }): void;
  /** Longest a script may run before it is stopped. */
  timeoutMs?: number;
}

const SHELLS: Record<string, (body: string) => [string, string[]] | null> = {
  bash: (body) => ['bash', ['-c', body]],
  sh: (body) => ['sh', ['-c', body]],
  powershell: (body) => (process.platform === 'win32' ? ['powershell.exe', ['-NoProfile', '-NonInteractive', '-Command', body]] : null),
  cmd: (body) => (process.platform === 'win32' ? ['cmd.exe', ['/d', '/s', '/c', body]] : null),
};
/** Output chunks stay well under the server's message limit. */
const CHUNK_CHARS = 16 * 1024;

export class ScriptRunner {
  private current: { runId: number; child: ChildProcess; timer: NodeJS.Timeout } | null = null;

  constructor(private readonly opts: ScriptRunnerOptions) {}

  run(runId: number, shell: string, body: string): void {
    if (this.current) {
      this.opts.send({ type: 'script:exit', runId, code: null, error: 'Another script is still running on this computer.' });
      return;
    }
    const command = SHELLS[shell]?.(body);
    if (!command) {
      this.opts.send({ type: 'script:exit', runId, code: null, error: `A ${shell} script cannot run on this system.` });
      return;
    }
    const child = spawn(command[0], command[1], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LANG: process.env.LANG ?? 'C.UTF-8' } });
    const timer = setTimeout(() => child.kill('SIGKILL'), this.opts.timeoutMs ?? 10 * 60_000);
    this.current = { runId, child, timer };
    const forward = (data: Buffer) => {
      const text = data.toString('utf8');
      for (let i = 0; i < text.length; i += CHUNK_CHARS) this.opts.send({ type: 'script:output', runId, chunk: text.slice(i, i + CHUNK_CHARS) });
    };
    child.stdout!.on('data', forward);
    child.stderr!.on('data', forward);
    const finish = (code: number | null, error?: string) => {
      if (this.current?.runId !== runId) return;
      clearTimeout(timer);
      this.current = null;
      this.opts.send({ type: 'script:exit', runId, code, ...(error ? { error } : {}) });
    };
    child.once('error', (e) => finish(null, `The script could not start: ${e.message}`));
    child.once('close', (code, signal) => finish(code, signal ? `Stopped (${signal}).` : undefined));
  }

  /** Stops the running script, if any (session ended, consent withdrawn). Idempotent. */
  stop(): void {
    this.current?.child.kill('SIGKILL');
  }
}
