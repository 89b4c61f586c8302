/**
 * The admin CLI's support button commands (server/src/cli.ts wires them in).
 */
import type { ButtonTarget } from '../../../shared/button.js';
import { AuditService } from '../audit/service.js';
import type { Db } from '../db/index.js';
import { parseDuration } from '../jump/policy.js';
import { ButtonService } from './service.js';

export const BUTTON_OPTIONS = {
  technician: { type: 'string' },
  // No default here: jump-token keeps its own (24h), button-token has 30d.
  expires: { type: 'string' },
} as const;

export interface ButtonCliValues {
  team?: string;
  technician?: string;
  expires?: string;
}

export const BUTTON_USAGE = `  button-token --team <team> | --technician <username> [--expires 30d] | list-buttons
  revoke-button-token <id> (and every button installed with it) | revoke-button <id>`;

const DEFAULT_EXPIRY = '30d';

function id(text: string | undefined, what: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`Give the ${what} id (see list-buttons).`);
  return n;
}

export function buttonCommands(values: ButtonCliValues): Record<string, (db: Db, args: string[]) => Promise<string>> {
  return {
    async 'button-token'(db) {
      if (!!values.team === !!values.technician) throw new Error(`Give --team or --technician (one of them).\nusage:\n${BUTTON_USAGE}`);
      const target: ButtonTarget = values.team ? { kind: 'team', name: values.team } : { kind: 'technician', name: values.technician ?? '' };
      const expires = values.expires ?? DEFAULT_EXPIRY;
      const ttl = parseDuration(expires);
      if (ttl === null) throw new Error('--expires is a duration like 30m, 24h or 30d.');
      const t = await new ButtonService(db).mintToken(target, ttl, 'cli');
      await new AuditService(db).record('cli', 'button.token.created', { id: t.id, target: `${target.kind}:${target.name}`, expiresAt: t.expiresAt });
      const flag = target.kind === 'team' ? `--team '${target.name}'` : `--technician '${target.name}'`;
      return [
        `Button token ${t.id} for ${t.queueName}, valid until ${new Date(t.expiresAt).toISOString()}, for any number of machines.`,
        `  token: ${t.token}`,
        `  install: lifeline-agent button --server URL ${flag} --token ${t.token}`,
      ].join('\n');
    },
    async 'revoke-button-token'(db, [text]) {
      const tokenId = id(text, 'button token');
      if (!(await new ButtonService(db).revokeToken(tokenId))) return `No active button token ${tokenId}.`;
      await new AuditService(db).record('cli', 'button.token.revoked', { id: tokenId });
      return `Revoked button token ${tokenId}; the buttons installed with it are switched off.`;
    },
    async 'revoke-button'(db, [text]) {
      const buttonId = id(text, 'button');
      if (!(await new ButtonService(db).revokeButton(buttonId))) return `No active button ${buttonId}.`;
      await new AuditService(db).record('cli', 'button.revoked', { id: buttonId });
      return `Revoked button ${buttonId}.`;
    },
    async 'list-buttons'(db) {
      const buttons = new ButtonService(db);
      const tokens = await buttons.listTokens();
      if (!tokens.length) return 'No button tokens yet.';
      const now = Date.now();
      const lines: string[] = [];
      for (const t of tokens) {
        const state = t.revoked_at !== null ? 'revoked' : t.expires_at <= now ? 'expired' : `valid until ${new Date(t.expires_at).toISOString()}`;
        lines.push(`token ${t.id}: ${t.target_kind} "${t.target_name}", ${state}, ${t.buttons} button(s)`);
      }
      for (const b of await buttons.listButtons()) {
        lines.push(`  button ${b.id} (token ${b.token_id}): ${b.hostname}, user ${b.os_user}${b.revoked_at !== null ? ', revoked' : ''}${b.last_pressed_at ? `, last pressed ${new Date(b.last_pressed_at).toISOString()}` : ''}`);
      }
      return lines.join('\n');
    },
  };
}
