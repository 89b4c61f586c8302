/**
 * The support button's commands:
 *   lifeline-agent button --server URL (--team NAME | --technician USERNAME) --token TOKEN [--dir DIR] [--config PATH] [--name "Get help"]
 *     (or the token in LIFELINE_BUTTON_TOKEN)
 *   lifeline-agent button-press --config PATH [--display :0]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ButtonApiError, ButtonInstallResponse, ButtonPressResponse, type ButtonTarget } from '../../../shared/button.js';
import { formatSessionCode } from '../../../shared/session-code.js';
import { runAttendedSession } from '../attended.js';
import { defaultFileRoots } from '../files/host.js';
import { ButtonConfigError, defaultButtonConfigPath, readButtonConfig, slug, writeButtonConfig } from './config.js';
import { desktopEntry } from './desktop-file.js';
import { buttonMachine } from './machine.js';

export const BUTTON_COMMANDS = ['button', 'button-press'] as const;
export type ButtonCommand = (typeof BUTTON_COMMANDS)[number];

const USAGE = `usage:
  lifeline-agent button --server https://support.example.com (--team NAME | --technician USERNAME) --token TOKEN [--dir DIR] [--config PATH] [--name "Get help"]
  lifeline-agent button-press --config PATH [--display :0]`;

const AGENT_BIN = fileURLToPath(new URL('../../bin/lifeline-agent.js', import.meta.url));

class UsageError extends Error {}

export async function runButtonCommand(command: ButtonCommand, argv: string[], log: (msg: string) => void): Promise<number> {
  try {
    return command === 'button' ? await install(argv) : await press(argv, log);
  } catch (e) {
    if (e instanceof UsageError || (e instanceof TypeError && 'code' in e && String(e.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`${e.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    return e instanceof ButtonConfigError ? 78 : 1;
  }
}

async function post(url: string, body: unknown, credential?: string): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(credential ? { authorization: `Bearer ${credential}` } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
  } catch (e) {
    throw new Error(`Cannot reach the support server at ${new URL(url).origin}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const json: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const err = ButtonApiError.safeParse(json);
    throw new Error(err.success ? err.data.error.message : `The support server answered HTTP ${res.status}.`);
  }
  return json;
}

/** Where launchers go: --dir, or the applications menu and the desktop when there is one. */
function launcherDirs(dir: string | undefined): string[] {
  if (dir) return [path.resolve(dir)];
  const home = os.homedir();
  const dataHome = process.env.XDG_DATA_HOME || path.join(home, '.local', 'share');
  const dirs = [path.join(dataHome, 'applications')];
  const desktop = path.join(home, 'Desktop');
  if (fs.statSync(desktop, { throwIfNoEntry: false })?.isDirectory()) dirs.push(desktop);
  return dirs;
}

async function install(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      server: { type: 'string' }, team: { type: 'string' }, technician: { type: 'string' }, token: { type: 'string' },
      dir: { type: 'string' }, config: { type: 'string' }, name: { type: 'string' },
    },
  });
  const token = values.token ?? process.env.LIFELINE_BUTTON_TOKEN;
  if (!values.server || !token) throw new UsageError('button needs --server and --token (or LIFELINE_BUTTON_TOKEN).');
  if (!!values.team === !!values.technician) throw new UsageError('button needs --team or --technician (one of them).');
  let server: URL;
  try {
    server = new URL(values.server);
  } catch {
    throw new UsageError(`"${values.server}" is not a server address.`);
  }
  const target: ButtonTarget = values.team ? { kind: 'team', name: values.team } : { kind: 'technician', name: values.technician ?? '' };
  const installed = ButtonInstallResponse.parse(await post(`${server.origin}/api/button/install`, { token, target, machine: buttonMachine() }));
  const configPath = path.resolve(values.config ?? defaultButtonConfigPath(target));
  const dirs = launcherDirs(values.dir);
  const launchers = dirs.map((d) => path.join(d, `lifeline-support-${slug(target)}.desktop`));
  writeButtonConfig(configPath, {
    server: server.origin, buttonId: installed.buttonId, credential: installed.credential, target,
    queueName: installed.queueName, expiresAt: installed.expiresAt, launchers,
  });
  const entry = desktopEntry({
    name: values.name ?? 'Get help',
    comment: `Ask ${installed.queueName} for remote support`,
    command: [process.execPath, AGENT_BIN, 'button-press', '--config', configPath],
  });
  for (const file of launchers) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Executable: desktops run only launchers marked so (and trusted by the user).
    fs.writeFileSync(file, entry, { mode: 0o755 });
    fs.chmodSync(file, 0o755);
  }
  process.stdout.write(`Installed support button ${installed.buttonId} for ${installed.queueName}, valid until ${new Date(installed.expiresAt).toISOString()}.\n`
    + `Launcher: ${launchers.join(', ')}\nConfiguration: ${configPath}\n`);
  return 0;
}

async function press(argv: string[], log: (msg: string) => void): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { config: { type: 'string' }, display: { type: 'string' } } });
  if (!values.config) throw new UsageError('button-press needs --config.');
  const config = readButtonConfig(path.resolve(values.config));
  const machine = buttonMachine();
  const r = ButtonPressResponse.parse(await post(`${config.server}/api/button/press`, { machine }, config.credential));
  process.stdout.write(`Your request is waiting for ${r.queueName}. A technician will be with you shortly.\n`
    + `To let the technician see your screen, open ${config.server} in your browser and enter the code ${formatSessionCode(r.code)}.\n`);

  return runAttendedSession({
    serverUrl: config.server, code: r.code, display: values.display, hostname: machine.hostname, user: machine.user,
    files: { roots: defaultFileRoots(os.homedir()) }, log,
  });
}
