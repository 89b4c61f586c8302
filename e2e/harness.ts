/**
 * Starts the real parts for end-to-end tests: an X server (Xvfb) with real
 * programs on it, the support server with a fresh database, the web console
 * host, and agents, each as its own process, as a user would run them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import WebSocket from 'ws';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

export interface Proc {
  child: ChildProcess;
  /** stdout and stderr, interleaved as they arrived. */
  output: () => string;
  stdout: () => string;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Starts a process; `stdin`, when given, is written to it and closed. */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, stdin?: string): Proc {
  const child = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  if (stdin !== undefined) child.stdin!.end(stdin);
  let out = '';
  let stdout = '';
  child.stdout!.on('data', (d) => {
    out += d;
    stdout += d;
  });
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child,
    output: () => out,
    stdout: () => stdout,
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

export interface XtermOptions {
  /** Program and arguments to run instead of a plain bash. */
  command?: string[];
  /** Window title; also what startXterm waits for, so several xterms can share a display. */
  title?: string;
  /** Extra X resources, e.g. `XTerm*allowSendEvents: true` so `xdotool key --window` reaches it. */
  resources?: string[];
  /** Background and foreground colours (X colour names or #rrggbb); black on white by default. */
  colors?: { bg: string; fg: string };
}

/** An xterm running a plain bash (or `command`) at the top-left corner, black on white. */
export async function startXterm(display: string, geometry = '100x30+0+0', opts: XtermOptions = {}): Promise<Proc> {
  const args = ['-geometry', geometry, '-bg', opts.colors?.bg ?? 'white', '-fg', opts.colors?.fg ?? 'black'];
  if (opts.title) args.push('-T', opts.title);
  for (const r of opts.resources ?? []) args.push('-xrm', r);
  args.push('-e', ...(opts.command ?? ['bash', '--norc', '--noprofile']));
  const p = run('xterm', args, { DISPLAY: display, PS1: '$ ', HISTFILE: '/dev/null' });
  const wanted = opts.title ? new RegExp(`"${opts.title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`) : /xterm/i;
  await waitFor('xterm window', async () => {
    if (p.child.exitCode !== null) throw new Error(`xterm exited early:\n${p.output()}`);
    const list = run('xwininfo', ['-root', '-tree'], { DISPLAY: display });
    await list.exited;
    return wanted.test(list.output());
  });
  return p;
}

/** Runs a command to completion and returns its stdout; throws with its output if it fails. */
export async function runToEnd(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 10_000): Promise<string> {
  const p = run(cmd, args, env);
  const t = setTimeout(() => void p.stop(), timeoutMs);
  const code = await p.exited;
  clearTimeout(t);
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${code}:\n${p.output()}`);
  return p.stdout();
}

/** The id of the (first) window whose title is exactly `title`. */
export async function windowId(display: string, title: string): Promise<number> {
  const out = await runToEnd('xdotool', ['search', '--name', `^${title}$`], { DISPLAY: display });
  const id = Number(out.trim().split('\n')[0]);
  if (!Number.isInteger(id) || id <= 0) throw new Error(`no window titled ${title}`);
  return id;
}

/**
 * Makes `text` the X CLIPBOARD selection. X keeps no clipboard contents: the
 * returned xclip process owns the selection and serves it until another
 * client takes it over (then it exits) or it is stopped.
 */
export async function setXClipboard(display: string, text: string): Promise<Proc> {
  const p = run('xclip', ['-selection', 'clipboard', '-i', '-quiet'], { DISPLAY: display }, text);
  await waitFor('xclip to own the clipboard', async () => (await readXClipboard(display)) === text, 5000);
  return p;
}

/** The X CLIPBOARD selection's text, or null while nobody owns it. */
export async function readXClipboard(display: string): Promise<string | null> {
  try {
    return await runToEnd('xclip', ['-selection', 'clipboard', '-o'], { DISPLAY: display }, 5000);
  } catch {
    return null;
  }
}

/** A plain X client for tests and benches: what they ask of the display that no command-line tool answers quickly. */
export interface XClient {
  moveWindow(id: number, x: number, y: number): void;
  /** Modifier bits held (Shift 1, Lock 2, Control 4, Mod1 8, ...) and every keycode currently down. */
  keyboardState(): Promise<{ modifiers: number; keysDown: number[] }>;
  close(): void;
}

interface RawXClient {
  MoveWindow(id: number, x: number, y: number): void;
  QueryPointer(id: number, cb: (err: Error | null, r: { keyMask: number }) => void): void;
  QueryKeymap(cb: (err: Error | null, bits: Buffer) => void): void;
  on(ev: 'error', f: (e: Error) => void): void;
  close?(): void;
  terminate?(): void;
}
const x11 = createRequire(import.meta.url)('x11') as {
  createClient(opts: { display: string }, cb: (err: Error | null, d: { client: RawXClient; screen: { root: number }[] }) => void): RawXClient;
};

export function openXClient(display: string): Promise<XClient> {
  return new Promise((resolve, reject) => {
    const raw = x11.createClient({ display }, (err, d) => {
      if (err) return reject(err);
      const X = d.client;
      const root = d.screen[0]!.root;
      resolve({
        moveWindow: (id, x, y) => X.MoveWindow(id, x, y),
        keyboardState: () => new Promise((res, rej) => {
          X.QueryPointer(root, (e1, pointer) => {
            if (e1) return rej(e1);
            X.QueryKeymap((e2, bits) => {
              if (e2) return rej(e2);
              const keysDown: number[] = [];
              for (let code = 8; code < 256; code++) if (bits[code >> 3]! & (1 << (code & 7))) keysDown.push(code);
              // The low byte is the keyboard part of the mask; the rest are pointer buttons.
              res({ modifiers: pointer.keyMask & 0xff, keysDown });
            });
          });
        }),
        close: () => (X.close ?? X.terminate)?.call(X),
      });
    });
    raw.on('error', reject);
  });
}

// ---------- Lifeline processes ----------

export interface LifelineServer {
  url: string;
  /** From startServer, the password the administrator chose; from startFirstRunServer, the printed one-time one. */
  adminPassword: string;
  dataDir: string;
  proc: Proc;
  stop(): Promise<void>;
}

/** A fresh server whose administrator has already replaced the printed one-time password with his own, as the console makes him. */
export async function startServer(extraArgs: string[] = []): Promise<LifelineServer> {
  const server = await startFirstRunServer(extraArgs);
  return { ...server, adminPassword: await chooseOwnPassword(server.url, 'admin', server.adminPassword) };
}

/** A fresh server as its first run leaves it: the administrator holds the one-time password it printed. */
export async function startFirstRunServer(extraArgs: string[] = []): Promise<LifelineServer> {
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

/** Starts a server stopped with `server.proc.stop()` again on its port and data, as after an update; the caller stops the new process. */
export async function startServerAgain(server: LifelineServer, extraArgs: string[] = []): Promise<Proc> {
  const proc = run(TSX, ['server/src/main.ts', '--port', new URL(server.url).port, '--data', server.dataDir, ...extraArgs]);
  await waitForLine(proc, /support server on (http\S+)/, 'restarted server URL');
  return proc;
}

/** The server's admin CLI on `dataDir`, as an administrator runs it: its output, or an error carrying it. */
export async function adminCli(dataDir: string, ...args: string[]): Promise<string> {
  const p = run(TSX, ['server/src/cli.ts', ...args, '--data', dataDir]);
  const code = await p.exited;
  if (code !== 0) throw new Error(`admin ${args.join(' ')} failed:\n${p.output()}`);
  return p.stdout();
}

/** Signs in with a one-time password and replaces it, as the console's "choose your password" screen does; resolves with the new one. */
export async function chooseOwnPassword(serverUrl: string, username: string, oneTimePassword: string): Promise<string> {
  const newPassword = `own-${randomBytes(12).toString('base64url')}`;
  const { token } = await apiPost(`${serverUrl}/api/login`, { username, password: oneTimePassword });
  await apiPost(`${serverUrl}/api/password`, { currentPassword: oneTimePassword, newPassword }, String(token));
  return newPassword;
}

/** A technician added with the admin CLI (`flags`: --name, --admin) who has already chosen his own password; resolves with it. */
export async function addTechnician(server: LifelineServer, username: string, ...flags: string[]): Promise<string> {
  const printed = /password: (\S+)/.exec(await adminCli(server.dataDir, 'add-technician', username, ...flags))?.[1];
  if (!printed) throw new Error(`add-technician ${username} printed no password`);
  return chooseOwnPassword(server.url, username, printed);
}

/** Reads the server's database the way an administrator would inspect it. */
export function queryDb<T>(dataDir: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(path.join(dataDir, 'lifeline.sqlite'));
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

export async function startWebConsole(serverUrl: string): Promise<{ url: string; proc: Proc }> {
  const proc = run(TSX, ['electron/src/web/main.ts', '--server', serverUrl, '--port', '0']);
  const [, url] = await waitForLine(proc, /web console on (http\S+)/, 'web console URL');
  return { url: url!, proc };
}

export function startAgent(serverUrl: string, code: string, display: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Proc {
  // SHELL: the agent's shells run the account's login scripts; with sh, root's
  // .profile skips .bashrc, so this machine's own shell setup (pyenv init, which
  // can wait a minute on a stale lock) is not part of what the tests time.
  return run(process.execPath, ['agent/bin/lifeline-agent.js', '--server', serverUrl, '--code', code, ...extraArgs], { DISPLAY: display, SHELL: '/bin/sh', ...env });
}

/** A JSON POST to the server's REST API, as the console core and portal make them; throws with the server's answer on failure. */
export async function apiPost(url: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${url}: ${JSON.stringify(json)}`);
  return json;
}

/**
 * A scripted user portal (no browser): joined with `resumeKey`, it allows
 * `consent` (viewing and control unless told) the moment the technician has accepted.
 */
export async function consentingPortal(serverUrl: string, resumeKey: string, consent: Record<string, boolean> = { view: true, control: true }): Promise<WebSocket> {
  const ws = new WebSocket(`${serverUrl.replace(/^http/, 'ws')}/ws`);
  let sent = false;
  ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', role: 'portal', resumeKey })));
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as { type: string; state?: { status: string } };
    if (!sent && m.type === 'session:state' && m.state?.status === 'active') {
      sent = true;
      ws.send(JSON.stringify({ type: 'consent:set', consent }));
    }
  });
  await new Promise((r) => ws.once('open', r));
  return ws;
}

/** A file of `bytes` random bytes; resolves with its SHA-256 (hex). Memory stays at one block. */
export async function writeRandomFile(file: string, bytes: number): Promise<string> {
  const block = 1024 * 1024;
  const out = fs.createWriteStream(file);
  const hash = createHash('sha256');
  for (let done = 0; done < bytes; done += block) {
    const chunk = randomBytes(Math.min(block, bytes - done));
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.end(() => resolve());
  });
  return hash.digest('hex');
}

/** SHA-256 (hex) of a file, read as a stream. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
