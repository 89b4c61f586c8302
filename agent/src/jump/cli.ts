/**
 * The jump client's commands:
 *   lifeline-agent install --server URL --token TOKEN [--passive [--wake-port N | --no-wake]] [--config PATH] [--no-service] [--display :0]
 *     (or the token in LIFELINE_JUMP_TOKEN)
 *   lifeline-agent uninstall [--config PATH]
 *   lifeline-agent jump [--config PATH] [--interval SECONDS] [--heartbeat SECONDS] [--display :0]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { JumpApiError, JumpEnrollResponse, type JumpInfo } from '../../../shared/jump.js';
import { defaultFileRoots } from '../files/host.js';
import { openX11 } from '../platform/x11/index.js';
import { detectShellAccounts } from '../tools/accounts.js';
import { JUMP_X11_OPTIONS, JumpClient } from './client.js';
import { ConfigError, defaultConfigPath, readConfig, removeConfig, writeConfig } from './config.js';
import { EXIT_NO_RESTART, installUnit, removeUnit, systemdRunning, UNIT_NAME, unitPath } from './service-unit.js';

export const JUMP_COMMANDS = ['install', 'uninstall', 'jump'] as const;
export type JumpCommand = (typeof JUMP_COMMANDS)[number];

const USAGE = `usage:
  lifeline-agent install --server https://support.example.com --token TOKEN [--passive [--wake-port N | --no-wake]] [--config PATH] [--no-service] [--display :0]
  lifeline-agent uninstall [--config PATH]
  lifeline-agent jump [--config PATH] [--interval SECONDS] [--heartbeat SECONDS] [--display :0]`;

/** The agent's own launcher, for the service's ExecStart. */
const AGENT_BIN = fileURLToPath(new URL('../../bin/lifeline-agent.js', import.meta.url));
/** Passive clients check in once a day unless told otherwise. */
const DEFAULT_INTERVAL_S = 24 * 60 * 60;
const DEFAULT_HEARTBEAT_S = 30;
/** The protocol's limit (shared/jump.ts JumpHello). */
const MAX_HEARTBEAT_S = 600;

const isRoot = () => process.getuid?.() === 0;

function osName(): string {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(fs.readFileSync('/etc/os-release', 'utf8'));
    if (m?.[1]) return m[1];
  } catch {
    // not Linux, or no os-release: the kernel's name will do
  }
  return `${os.type()} ${os.release()}`;
}

/** What the client tells the server about this machine. */
export async function machineInfo(): Promise<JumpInfo> {
  const { ordinary } = await detectShellAccounts();
  return { hostname: os.hostname(), user: ordinary?.name ?? os.userInfo().username, os: osName(), elevated: isRoot() };
}

function positiveSeconds(text: string | undefined, fallback: number, flag: string): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`${flag} is a whole number of seconds.`);
  return n;
}

class UsageError extends Error {}

export async function runJumpCommand(command: JumpCommand, argv: string[], log: (msg: string) => void): Promise<number> {
  try {
    if (command === 'install') return await install(argv);
    if (command === 'uninstall') return await uninstall(argv);
    return await jump(argv, log);
  } catch (e) {
    if (e instanceof UsageError || (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`${e.message}\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      return EXIT_NO_RESTART;
    }
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

async function install(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      server: { type: 'string' }, token: { type: 'string' }, passive: { type: 'boolean', default: false },
      config: { type: 'string' }, 'no-service': { type: 'boolean', default: false }, display: { type: 'string' },
      'wake-port': { type: 'string' }, 'no-wake': { type: 'boolean', default: false },
    },
  });
  if ((values['wake-port'] !== undefined || values['no-wake']) && !values.passive) throw new UsageError('--wake-port and --no-wake are for passive clients (--passive).');
  if (values['wake-port'] !== undefined && values['no-wake']) throw new UsageError('Give --wake-port or --no-wake, not both.');
  // Any free port unless told: the client reports it at every check-in.
  let wakePort: number | null = values['no-wake'] ? null : 0;
  if (values['wake-port'] !== undefined) {
    wakePort = Number(values['wake-port']);
    if (!Number.isInteger(wakePort) || wakePort < 1 || wakePort > 65535) throw new UsageError('--wake-port is a UDP port number (1-65535).');
  }
  // The token may come from the environment, so it need not show in the process list.
  const token = values.token ?? process.env.LIFELINE_JUMP_TOKEN;
  if (!values.server || !token) throw new UsageError('install needs --server and --token (or LIFELINE_JUMP_TOKEN).');
  let server: URL;
  try {
    server = new URL(values.server);
  } catch {
    throw new UsageError(`"${values.server}" is not a server address.`);
  }
  const configPath = path.resolve(values.config ?? defaultConfigPath());
  if (fs.existsSync(configPath)) throw new Error(`A jump client is already installed (${configPath}). Run lifeline-agent uninstall first.`);

  const mode = values.passive ? 'passive' : 'active';
  let res: Response;
  try {
    res = await fetch(`${server.origin}/api/jump/enroll`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, mode, info: await machineInfo() }),
    });
  } catch (e) {
    throw new Error(`Cannot reach ${server.origin}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const json: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const err = JumpApiError.safeParse(json);
    throw new Error(`The server refused the installation: ${err.success ? err.data.error.message : `HTTP ${res.status}`}`);
  }
  const enrolled = JumpEnrollResponse.parse(json);
  const unit = values['no-service'] ? null : unitPath(isRoot());
  writeConfig(configPath, {
    server: server.origin, clientId: enrolled.clientId, credential: enrolled.credential, mode,
    ...(mode === 'passive' ? { wakePort } : {}),
    ...(values.display ? { display: values.display } : {}), unit,
  });
  process.stdout.write(`Installed jump client "${enrolled.name}" (id ${enrolled.clientId}) in jump group "${enrolled.group}", ${mode} mode.\nConfiguration: ${configPath}\n`);
  if (unit) {
    const { started } = await installUnit(unit, {
      command: [process.execPath, AGENT_BIN, 'jump', '--config', configPath],
      display: values.display ?? process.env.DISPLAY ?? ':0',
      user: !isRoot(),
    });
    process.stdout.write(started
      ? `Service ${UNIT_NAME} enabled and started.\n`
      : `Service written to ${unit}; systemd is not running here, so start the client yourself: ${AGENT_BIN} jump --config ${configPath}\n`);
  }
  return 0;
}

async function uninstall(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' } } });
  const configPath = path.resolve(values.config ?? defaultConfigPath());
  let config = null;
  try {
    config = readConfig(configPath);
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  }
  if (config) {
    // The server retires the credential; if it cannot be reached, an administrator removes the client there.
    try {
      const res = await fetch(`${config.server}/api/jump/uninstall`, { method: 'POST', headers: { authorization: `Bearer ${config.credential}` }, signal: AbortSignal.timeout(10_000) });
      if (!res.ok && res.status !== 401) process.stderr.write(`The server did not confirm the removal (HTTP ${res.status}).\n`);
    } catch {
      process.stderr.write('The server could not be reached: remove this client there too (remove-jump-client).\n');
    }
  }
  const unit = config?.unit ?? (fs.existsSync(unitPath(isRoot())) ? unitPath(isRoot()) : null);
  if (unit) {
    await removeUnit(unit, !isRoot());
    process.stdout.write(`Removed the service ${unit}${systemdRunning() ? '' : ' (systemd is not running here)'}.\n`);
  }
  if (removeConfig(configPath)) process.stdout.write(`Removed ${configPath}.\n`);
  return 0;
}

async function jump(argv: string[], log: (msg: string) => void): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { config: { type: 'string' }, interval: { type: 'string' }, heartbeat: { type: 'string' }, display: { type: 'string' } },
  });
  const configPath = path.resolve(values.config ?? defaultConfigPath());
  const config = readConfig(configPath);
  const display = values.display ?? config.display ?? process.env.DISPLAY ?? ':0';
  const { ordinary } = await detectShellAccounts();
  // A root client hands the files it creates to the desktop user, as the attended agent does.
  const owner = isRoot() && ordinary ? { uid: ordinary.uid, gid: ordinary.gid } : undefined;
  const client = new JumpClient({
    config,
    configPath,
    info: await machineInfo(),
    heartbeatSeconds: Math.min(positiveSeconds(values.heartbeat, DEFAULT_HEARTBEAT_S, '--heartbeat'), MAX_HEARTBEAT_S),
    intervalSeconds: positiveSeconds(values.interval, DEFAULT_INTERVAL_S, '--interval'),
    display,
    files: { roots: defaultFileRoots(ordinary?.home ?? os.homedir()), owner },
    openDesktop: (d) => openX11(d, JUMP_X11_OPTIONS),
    log,
  });
  const stop = () => client.stop('stopped');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  client.start();
  const result = await client.done;
  log(result.reason);
  return result.code;
}
