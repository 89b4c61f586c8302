/**
 * The newcomer's path: one process that runs the support server (SQLite in
 * ./data), the technician console, and, when a display exists, a demo agent
 * whose request waits in the administrator's queue.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminCreatedBanner } from '../server/src/first-run.js';
import { startServer } from '../server/src/server.js';
import { startWebHost } from '../electron/src/web/web-host.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const port = Number(process.env.LIFELINE_PORT ?? 8080);

const server = await startServer({
  dataDir: process.env.LIFELINE_DATA ?? path.join(root, 'data'),
  port,
  onAdminCreated: (user, password) => process.stdout.write(adminCreatedBanner(user, password)),
});
const console_ = await startWebHost({ serverUrl: server.url, rendererDir: path.join(root, 'dist/renderer'), port: port + 1 });

process.stdout.write(`Support server and user portal: ${server.url}\n`);
const electron = electronBinary();
let desktop: ReturnType<typeof spawn> | null = null;
if (electron && process.env.DISPLAY) {
  desktop = openDesktopConsole(electron);
  process.stdout.write(`Opening the desktop console (a browser console is also at ${console_.url}).\n`);
} else {
  const why = electron ? 'There is no display for the desktop app' : 'Electron is not installed on this machine';
  process.stdout.write(`${why}, so the console runs in your browser: ${console_.url}\n`);
  if (process.env.DISPLAY && !process.env.LIFELINE_NO_BROWSER && hasCommand('xdg-open')) spawn('xdg-open', [console_.url], { stdio: 'ignore', detached: true }).unref();
}

let agent: ReturnType<typeof spawn> | null = null;
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

function openDesktopConsole(bin: string): ReturnType<typeof spawn> {
  spawnSync(process.execPath, [path.join(root, 'scripts/build-electron.mjs')], { cwd: root, stdio: 'inherit' });
  // Chromium refuses to start as root with its sandbox on; that only happens on a demo machine.
  const args = process.getuid?.() === 0 ? [root, '--no-sandbox'] : [root];
  const child = spawn(bin, args, { cwd: root, stdio: 'inherit', env: { ...process.env, LIFELINE_SERVER: server.url } });
  child.once('exit', () => void stop());
  return child;
}

function electronBinary(): string | null {
  try {
    const p = fs.readFileSync(path.join(root, 'node_modules/electron/path.txt'), 'utf8').trim();
    const bin = path.join(root, 'node_modules/electron/dist', p);
    return fs.existsSync(bin) ? bin : null;
  } catch {
    return null;
  }
}

function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}
