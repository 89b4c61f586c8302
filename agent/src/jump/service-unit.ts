/**
 * The systemd unit that keeps the jump client running: started once the
 * network is up, restarted whenever it stops, except with exit status 78
 * (the configuration is gone or the server refused the credential: restarting
 * cannot help).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const UNIT_NAME = 'lifeline-jump.service';
/** EX_CONFIG from sysexits.h: what the jump client exits with when it must not be restarted. */
export const EXIT_NO_RESTART = 78;

/**
 * One argument for an ExecStart= line. systemd splits on whitespace and
 * understands C-style escapes inside double quotes; `%` starts a specifier
 * and `$` a variable, so both are escaped too.
 */
export function systemdQuote(arg: string): string {
  if (/^[\w@+=:,./-]+$/.test(arg)) return arg;
  const escaped = arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%').replace(/\$/g, '$$$$').replace(/\n/g, '\\n');
  return `"${escaped}"`;
}

export interface UnitOptions {
  /** The program and its arguments, e.g. [node, lifeline-agent.js, 'jump', '--config', path]. */
  command: string[];
  /** The X display for sessions. */
  display?: string;
  /** A user unit (systemctl --user) instead of a system one. */
  user?: boolean;
}

export function unitText(opts: UnitOptions): string {
  return [
    '[Unit]',
    'Description=Lifeline jump client (unattended remote support)',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${opts.command.map(systemdQuote).join(' ')}`,
    ...(opts.display ? [`Environment=${systemdQuote(`DISPLAY=${opts.display}`)}`] : []),
    'Restart=always',
    'RestartSec=5',
    `RestartPreventExitStatus=${EXIT_NO_RESTART}`,
    '',
    '[Install]',
    `WantedBy=${opts.user ? 'default.target' : 'multi-user.target'}`,
    '',
  ].join('\n');
}

/** Where the unit goes: the system's unit folder for root, the user's otherwise. */
export function unitPath(root: boolean, home = os.homedir()): string {
  return root ? path.join('/etc/systemd/system', UNIT_NAME) : path.join(home, '.config', 'systemd', 'user', UNIT_NAME);
}

/** Whether systemd is the running init (its runtime directory exists only then). */
export function systemdRunning(): boolean {
  return fs.existsSync('/run/systemd/system');
}

const systemctl = (user: boolean, ...args: string[]) => run('systemctl', [...(user ? ['--user'] : []), ...args], { timeout: 30_000 });

/** Writes the unit and, where systemd runs, enables and starts it. */
export async function installUnit(file: string, opts: UnitOptions): Promise<{ started: boolean }> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, unitText(opts), { mode: 0o644 });
  if (!systemdRunning()) return { started: false };
  await systemctl(!!opts.user, 'daemon-reload');
  await systemctl(!!opts.user, 'enable', '--now', UNIT_NAME);
  return { started: true };
}

/**
 * Disables and deletes the unit. `--no-block`: the caller may be the service
 * itself (a removed client uninstalling), which must not wait for its own stop.
 */
export async function removeUnit(file: string, user: boolean): Promise<void> {
  if (systemdRunning()) await systemctl(user, 'disable', '--now', '--no-block', UNIT_NAME).catch(() => undefined);
  fs.rmSync(file, { force: true });
  if (systemdRunning()) await systemctl(user, 'daemon-reload').catch(() => undefined);
}
