/**
 * Whom a shell runs as. An ordinary shell must never have more rights than
 * the signed-in user: when the agent itself runs as root (sudo, a system
 * service), an ordinary shell would otherwise be an administrator shell
 * without the `shell_elevated` grant or consent.
 */
import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ShellAccount {
  name: string;
  uid: number;
  gid: number;
  home: string;
  /** The account's login shell. */
  shell: string;
}

export interface ShellAccounts {
  /** Null when the agent runs as root and cannot tell who the user is. */
  ordinary: ShellAccount | null;
  /** Null when the agent does not run with administrator rights. */
  elevated: ShellAccount | null;
}

/**
 * The agent's own account serves ordinary shells when it is unprivileged
 * and elevated ones when it is root; a root agent started through sudo or
 * pkexec opens ordinary shells as the user who started it.
 */
export async function detectShellAccounts(): Promise<ShellAccounts> {
  const uid = process.getuid?.();
  if (uid === undefined) return { ordinary: null, elevated: null };
  const me = os.userInfo();
  const self: ShellAccount = { name: me.username, uid, gid: me.gid, home: me.homedir, shell: process.env.SHELL || me.shell || '/bin/bash' };
  if (uid !== 0) return { ordinary: self, elevated: null };
  const invoker = Number(process.env.SUDO_UID ?? process.env.PKEXEC_UID ?? NaN);
  const ordinary = Number.isInteger(invoker) && invoker > 0 ? await lookupAccount(invoker) : null;
  return { ordinary, elevated: self };
}

/** The passwd entry of `uid` through NSS (so directory users count too), or null. */
export async function lookupAccount(uid: number): Promise<ShellAccount | null> {
  try {
    const { stdout } = await run('getent', ['passwd', String(uid)], { timeout: 5000 });
    const [name, , u, g, , home, shell] = stdout.trim().split(':');
    if (!name || Number(u) !== uid || !Number.isInteger(Number(g))) return null;
    return { name, uid, gid: Number(g), home: home || '/', shell: shell || '/bin/sh' };
  } catch {
    return null;
  }
}
