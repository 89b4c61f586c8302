/** Who is asking, from where: the login name, the full name from the GECOS field, and the host name. */
import fs from 'node:fs';
import os from 'node:os';
import type { ButtonMachine } from '../../../shared/button.js';
import { LIMITS } from '../../../shared/limits.js';

/** The GECOS full name (its first comma-separated field) of `user` in a passwd file's text, if any. */
export function gecosName(passwd: string, user: string): string | null {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[0] === user && f.length >= 7) {
      const full = (f[4] ?? '').split(',')[0]!.trim();
      return full || null;
    }
  }
  return null;
}

export function buttonMachine(): ButtonMachine {
  const user = os.userInfo().username;
  let full: string | null = null;
  try {
    full = gecosName(fs.readFileSync('/etc/passwd', 'utf8'), user);
  } catch {
    // no passwd file: the login name will do
  }
  return { hostname: os.hostname() || 'unknown', user, fullName: (full ?? user).slice(0, LIMITS.displayNameChars) };
}
