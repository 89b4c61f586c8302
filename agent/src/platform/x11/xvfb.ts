import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface Xvfb {
  /** e.g. ":93" */
  display: string;
  stop(): Promise<void>;
}

/**
 * Starts a private Xvfb for tests. `-displayfd` makes the server pick a free
 * display number itself and report it once it accepts connections, so there is
 * neither a race on the number nor a wait for the socket. `-noreset` keeps the
 * screen (root background included) when its last client leaves.
 */
export async function startXvfb(width = 1280, height = 720): Promise<Xvfb> {
  const proc = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp', '-noreset'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const number = await new Promise<string>((resolve, reject) => {
    let out = '';
    proc.stdio[3]!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.trim());
    });
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`Xvfb exited (${code}) before it was ready: ${stderr.trim()}`)));
  });
  return { display: `:${number}`, stop: () => stopProcess(proc) };
}

/** Ends a child process this code started, and waits until it is gone. */
export async function stopProcess(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = once(proc, 'exit');
  proc.kill('SIGTERM');
  await exited;
}
