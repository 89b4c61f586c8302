/**
 * The jump client's configuration file: the server, the client's credential
 * (a secret: the file is written 0600, owner only), and its mode. Written by
 * `lifeline-agent install`, read by `lifeline-agent jump`, deleted by
 * `uninstall` or when the server says the client was removed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { JumpMode } from '../../../shared/jump.js';
import { writePrivateFile } from '../private-file.js';

export const JumpConfig = z.object({
  server: z.string().url(),
  clientId: z.number().int().positive(),
  credential: z.string().min(1).max(200),
  mode: JumpMode,
  /** The X display sessions use (default: $DISPLAY, else :0). */
  display: z.string().max(100).optional(),
  /** Passive mode: the UDP port for wakes from the server; 0 or absent: any free port; null: no wakes. */
  wakePort: z.number().int().min(0).max(65535).nullable().optional(),
  /** Where `install` wrote the systemd unit, so uninstalling finds it; null with --no-service. */
  unit: z.string().max(4096).nullable().optional(),
});
export type JumpConfig = z.infer<typeof JumpConfig>;

/** /etc/lifeline/jump.json for root (a system service), else ~/.config/lifeline/jump.json. */
export function defaultConfigPath(uid = process.getuid?.() ?? -1, home = os.homedir()): string {
  return uid === 0 ? '/etc/lifeline/jump.json' : path.join(home, '.config', 'lifeline', 'jump.json');
}

/** Writes the config readable by its owner only (see writePrivateFile). */
export function writeConfig(file: string, config: JumpConfig): void {
  writePrivateFile(file, `${JSON.stringify(JumpConfig.parse(config), null, 2)}\n`);
}

export class ConfigError extends Error {}

export function readConfig(file: string): JumpConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`No jump client configuration at ${file} (install with: lifeline-agent install --server URL --token TOKEN).`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigError(`${file} is not valid JSON.`);
  }
  const parsed = JumpConfig.safeParse(json);
  if (!parsed.success) throw new ConfigError(`${file} is not a jump client configuration.`);
  return parsed.data;
}

/** Deletes the config; false when there was none. */
export function removeConfig(file: string): boolean {
  try {
    fs.unlinkSync(file);
    return true;
  } catch {
    return false;
  }
}
