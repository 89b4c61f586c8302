/**
 * Starts the real parts for end-to-end tests: an X server (Xvfb) with real
 * programs on it, the support server with a fresh database, the web console
 * host, and agents, each as its own process, as a user would run them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

export interface Proc {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    output: () => out,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    },
  };
}

export async function waitFor<T>(what: string, fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitForLine(p: Proc, re: RegExp, what: string): Promise<RegExpMatchArray> {
  return waitFor(what, () => {
    if (p.child.exitCode !== null) throw new Error(`${what}: process exited early:\n${p.output()}`);
    return p.output().match(re);
  });
}

// ---------- X display ----------

export interface XDisplay {
  display: string;
  stop(): Promise<void>;
}

export async function startXvfb(screens = ['1920x1080x24']): Promise<XDisplay> {
  let n = 90 + Math.floor(Math.random() * 100);
  while (fs.existsSync(`/tmp/.X11-unix/X${n}`) || fs.existsSync(`/tmp/.X${n}-lock`)) n++;
  const display = `:${n}`;
  const args = [display, '-nolisten', 'tcp', '-noreset'];
  screens.forEach((s, i) => args.push('-screen', String(i), s));
  const p = run('Xvfb', args);
  await waitFor('Xvfb socket', () => fs.existsSync(`/tmp/.X11-unix/X${n}`) || (p.child.exitCode !== null && Promise.reject(new Error(p.output()))));
  return { display, stop: () => p.stop() };
}

/** An xterm running a plain bash at the top-left corner, black on white. */
export async function startXterm(display: string, geometry = '100x30+0+0'): Promise<Proc> {
  const p = run('xterm', ['-geometry', geometry, '-bg', 'white', '-fg', 'black', '-e', 'bash', '--norc', '--noprofile'], {
    DISPLAY: display, PS1: '$ ', HISTFILE: '/dev/null',
  });
  await waitFor('xterm window', async () => {
    const list = run('xwininfo', ['-root', '-tree'], { DISPLAY: display });
    await list.exited;
    return /xterm/i.test(list.output());
  });
  return p;
}

// ---------- Lifeline processes ----------

export interface LifelineServer {
  url: string;
  adminPassword: string;
  dataDir: string;
  proc: Proc;
  stop(): Promise<void>;
}

export async function startServer(extraArgs: string[] = []): Promise<LifelineServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-e2e-'));
  const proc = run(TSX, ['server/src/main.ts', '--port', '0', '--data', dataDir, ...extraArgs]);
  const [, adminPassword] = await waitForLine(proc, /password: (\S+)/, 'admin password');
  const [, url] = await waitForLine(proc, /support server on (http\S+)/, 'server URL');
  return {
    url: url!, adminPassword: adminPassword!, dataDir, proc,
    async stop() {
      await proc.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startWebConsole(serverUrl: string): Promise<{ url: string; proc: Proc }> {
  const proc = run(TSX, ['electron/src/web/main.ts', '--server', serverUrl, '--port', '0']);
  const [, url] = await waitForLine(proc, /web console on (http\S+)/, 'web console URL');
  return { url: url!, proc };
}

export function startAgent(serverUrl: string, code: string, display: string): Proc {
  return run(process.execPath, ['agent/bin/lifeline-agent.js', '--server', serverUrl, '--code', code], { DISPLAY: display });
}
