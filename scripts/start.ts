/**
 * The newcomer's path: one process that runs the support server (SQLite in
 * ./data), the technician console, and, when a display exists, a demo agent
 * whose request waits in the administrator's queue.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IceServer } from '../shared/protocol.js';
import { adminCreatedBanner } from '../server/src/first-run.js';
import { startServer } from '../server/src/server.js';
import { startWebHost } from '../electron/src/web/web-host.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.env.LIFELINE_PORT ?? 8080);
/** How long the desktop console must run before its exit means "the technician closed it" rather than "it could not start". */
const DESKTOP_STARTUP_MS = 10_000;

const server = await startServer({
  dataDir: process.env.LIFELINE_DATA ?? path.join(root, 'data'),
  port,
  // STUN/TURN servers for consoles and agents, as `npm run server -- --ice` takes them.
  iceServers: iceServersFromEnv(),
  onAdminCreated: (user, password) => process.stdout.write(adminCreatedBanner(user, password)),
});
const console_ = await startWebHost({ serverUrl: server.url, rendererDir: path.join(root, 'dist/renderer'), port: port + 1 });

process.stdout.write(`Support server and user portal: ${server.url}\n`);
const electron = electronBinary();
// Linux needs an X or Wayland display for a window; macOS and Windows always have one.
const hasScreen = process.platform !== 'linux' || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
let desktop: ChildProcess | null = null;
if (electron && hasScreen) {
  desktop = openDesktopConsole(electron, (why) => {
    desktop = null;
    useBrowser(`The desktop console did not start (${why})`);
  });
  process.stdout.write(`Opening the desktop console (a browser console is also at ${console_.url}).\n`);
} else {
  useBrowser(electron ? 'There is no display for the desktop app' : 'Electron is not installed on this machine');
}

let agent: ChildProcess | null = null;
if (process.env.DISPLAY) {
  const admin = await server.ctx.db.selectFrom('technicians').select('id').where('username', '=', 'admin').executeTakeFirst();
  if (admin) {
    const { code } = await server.ctx.codes.create(admin.id);
    agent = spawn(process.execPath, [path.join(root, 'agent/bin/lifeline-agent.js'), '--server', server.url, '--code', code], { stdio: 'inherit' });
    process.stdout.write(`Demo: an agent on this display (${process.env.DISPLAY}) is waiting in admin's queue. Open ${server.url} and enter ${code} to act as the user.\n`);
  }
} else {
  process.stdout.write('No display here (DISPLAY is unset): no demo agent. Run one on a desktop with: npx lifeline-agent --server URL --code CODE\n');
}
process.stdout.write('Press Ctrl+C to stop.\n');

const stop = async () => {
  desktop?.kill('SIGTERM');
  agent?.kill('SIGTERM');
  await console_.close();
  await server.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());

/** Runs the Electron console; if it fails in its first seconds (missing libraries, say), calls onEarlyFailure with its last error line. */
function openDesktopConsole(bin: string, onEarlyFailure: (why: string) => void): ChildProcess {
  spawnSync(process.execPath, [path.join(root, 'scripts/build-electron.mjs')], { cwd: root, stdio: 'inherit' });
  // Chromium refuses to start as root with its sandbox on; that only happens on a demo machine.
  const args = process.getuid?.() === 0 ? [root, '--no-sandbox'] : [root];
  const child = spawn(bin, args, { cwd: root, stdio: ['ignore', 'inherit', 'pipe'], env: { ...process.env, LIFELINE_SERVER: server.url } });
  // Its error output waits until it has run for a while, so a failed start shows as one line, not a stack.
  let starting = true;
  let held = '';
  const started = setTimeout(() => {
    starting = false;
    process.stderr.write(held);
  }, DESKTOP_STARTUP_MS);
  child.stderr?.on('data', (chunk: Buffer) => {
    if (starting) held += chunk.toString('utf8');
    else process.stderr.write(chunk);
  });
  let ended = false;
  const end = (failure: string | null) => {
    if (ended) return;
    ended = true;
    clearTimeout(started);
    if (starting && failure) onEarlyFailure(failure);
    else void stop();
  };
  child.once('error', (e) => end(e.message));
  child.once('exit', (code, signal) => {
    // The last line that is not a stack frame: the loader's "cannot open shared object file", or an error's message.
    const message = held.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('at ')).pop()?.slice(0, 200);
    end(code === 0 ? null : message || (signal ? `killed by ${signal}` : `exit code ${code}`));
  });
  return child;
}

/** Says why in one line, with the web console's address, and opens it in the browser where there is one. */
function useBrowser(why: string): void {
  process.stdout.write(`${why}, so the console runs in your browser: ${console_.url}\n`);
  if (process.env.LIFELINE_NO_BROWSER || !hasScreen) return;
  const [cmd, ...args] = process.platform === 'darwin' ? ['open', console_.url]
    : process.platform === 'win32' ? ['cmd', '/c', 'start', '', console_.url]
      : ['xdg-open', console_.url];
  const opener = spawn(cmd!, args, { stdio: 'ignore', detached: true });
  const noBrowser = () => process.stdout.write(`No browser could be opened here: open ${console_.url} yourself.\n`);
  opener.once('error', noBrowser);
  opener.once('exit', (code) => { if (code !== 0) noBrowser(); });
  opener.unref();
}

/** The Electron binary: LIFELINE_ELECTRON if set (another install of Electron), else the one npm downloaded. */
function electronBinary(): string | null {
  if (process.env.LIFELINE_ELECTRON) return fs.existsSync(process.env.LIFELINE_ELECTRON) ? process.env.LIFELINE_ELECTRON : null;
  try {
    const p = fs.readFileSync(path.join(root, 'node_modules/electron/path.txt'), 'utf8').trim();
    const bin = path.join(root, 'node_modules/electron/dist', p);
    return fs.existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

/** LIFELINE_ICE_SERVERS, or a one-line complaint (never a stack trace) and none. */
function iceServersFromEnv(): IceServer[] {
  try {
    return IceServer.array().parse(JSON.parse(process.env.LIFELINE_ICE_SERVERS ?? '[]'));
  } catch {
    process.stderr.write('LIFELINE_ICE_SERVERS is not a JSON list of ICE servers ([{"urls":"stun:host:3478"}]): starting without STUN/TURN servers.\n');
    return [];
  }
}
