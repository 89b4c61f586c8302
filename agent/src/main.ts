/**
 * `lifeline-agent --server URL --code CODE`: the one-shot support client. It
 * connects out to the support server, waits for the technician, shares the
 * screen and takes input only as the user allows on the portal, and exits
 * when the session ends.
 * `lifeline-agent install|uninstall|jump ...`: the installed jump client (agent/src/jump/cli.ts).
 * `lifeline-agent button|button-press ...`: the support button (agent/src/button/cli.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { normalizeSessionCode } from '../../shared/session-code.js';
import { defaultFileRoots } from './files/host.js';
import { runAttendedSession } from './attended.js';
import type { AgentSessionOptions } from './session.js';
import { detectShellAccounts } from './tools/accounts.js';

const USAGE = 'usage: lifeline-agent --server https://support.example.com --code 4829130567 [--files-root FOLDER]';

function log(msg: string): void {
  process.stderr.write(`${new Date().toISOString()} lifeline-agent: ${msg}\n`);
}

/**
 * What the technician may browse: the folder given with --files-root, or the
 * user's home folder and the whole computer (with the agent's own rights).
 * An agent running as root for a user hands the files it creates to that user.
 */
async function fileAccess(root: string | undefined): Promise<AgentSessionOptions['files']> {
  const { ordinary } = await detectShellAccounts();
  const owner = process.getuid?.() === 0 && ordinary ? { uid: ordinary.uid, gid: ordinary.gid } : undefined;
  if (root === undefined) return { roots: defaultFileRoots(ordinary?.home ?? os.homedir()), owner };
  const dir = path.resolve(root);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`--files-root: "${root}" is not a folder.`);
  return { roots: [{ id: 'folder', label: path.basename(dir) || dir, path: dir }], owner };
}

async function main(): Promise<number> {
  const sub = process.argv[2];
  if (sub === 'install' || sub === 'uninstall' || sub === 'jump') {
    const { runJumpCommand } = await import('./jump/cli.js');
    return runJumpCommand(sub, process.argv.slice(3), log);
  }
  if (sub === 'button' || sub === 'button-press') {
    const { runButtonCommand } = await import('./button/cli.js');
    return runButtonCommand(sub, process.argv.slice(3), log);
  }
  let values;
  try {
    ({ values } = parseArgs({ options: { server: { type: 'string' }, code: { type: 'string' }, display: { type: 'string' }, 'files-root': { type: 'string' } } }));
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n${USAGE}\n`);
    return 2;
  }
  if (!values.server || !values.code) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const code = normalizeSessionCode(values.code);
  if (!code) {
    process.stderr.write('The session code must be the 10 digits your technician gave you.\n');
    return 2;
  }
  let server: URL;
  try {
    server = new URL(values.server);
  } catch {
    process.stderr.write(`"${values.server}" is not a server address.\n${USAGE}\n`);
    return 2;
  }

  let files;
  try {
    files = await fileAccess(values['files-root']);
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }

  return runAttendedSession({ serverUrl: server.origin, code, display: values.display, hostname: os.hostname(), user: os.userInfo().username, files, log });
}

process.exitCode = await main();
// Native handles (the peer connection's threads) must not keep a finished agent alive.
setTimeout(() => process.exit(), 200).unref();
