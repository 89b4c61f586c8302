/**
 * The support button's configuration: the server, the button's credential
 * (a secret: written 0600, owner only, like the jump client's), and where its
 * requests go. Written by `lifeline-agent button`, read by `button-press`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ButtonTarget } from '../../../shared/button.js';
import { writePrivateFile } from '../private-file.js';

export const ButtonConfig = z.object({
  server: z.string().url(),
  buttonId: z.number().int().positive(),
  credential: z.string().min(1).max(200),
  target: ButtonTarget,
  queueName: z.string().max(200),
  expiresAt: z.number(),
  /** The launchers written, so they can be found again. */
  launchers: z.array(z.string().max(4096)).max(10),
});
export type ButtonConfig = z.infer<typeof ButtonConfig>;

export class ButtonConfigError extends Error {}

/** ~/.config/lifeline/button-<name>.json: one file per button, so a user may have buttons for two teams. */
export function defaultButtonConfigPath(target: ButtonTarget, home = os.homedir()): string {
  return path.join(home, '.config', 'lifeline', `button-${slug(target)}.json`);
}

export function slug(target: ButtonTarget): string {
  return `${target.kind}-${target.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'x'}`;
}

/** Writes the config readable by its owner only (see writePrivateFile). */
export function writeButtonConfig(file: string, config: ButtonConfig): void {
  writePrivateFile(file, `${JSON.stringify(ButtonConfig.parse(config), null, 2)}\n`);
}

export function readButtonConfig(file: string): ButtonConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new ButtonConfigError(`This support button is not set up on this computer (no ${file}). Ask your helpdesk to install it again.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ButtonConfigError(`${file} is damaged (not JSON). Ask your helpdesk to install the button again.`);
  }
  const parsed = ButtonConfig.safeParse(json);
  if (!parsed.success) throw new ButtonConfigError(`${file} is not a support button configuration.`);
  return parsed.data;
}
