/**
 * The admin CLI's jump commands (server/src/cli.ts wires them in). They work
 * on the database directly; a running server notices removals, renames and
 * moves of connected clients on its next sweep.
 */
import { AuditService } from '../audit/service.js';
import type { Db } from '../db/index.js';
import { parseDuration, parseNameList, type JumpPolicy } from './policy.js';
import { JumpService } from './service.js';

export const JUMP_OPTIONS = {
  technicians: { type: 'string' },
  teams: { type: 'string' },
  prompt: { type: 'boolean' },
  'no-prompt': { type: 'boolean' },
  'prompt-timeout': { type: 'string' },
  'prompt-default': { type: 'string' },
  group: { type: 'string' },
  expires: { type: 'string', default: '24h' },
  count: { type: 'string' },
} as const;

export interface JumpCliValues {
  technicians?: string;
  teams?: string;
  prompt?: boolean;
  'no-prompt'?: boolean;
  'prompt-timeout'?: string;
  'prompt-default'?: string;
  group?: string;
  expires?: string;
  count?: string;
}

export const JUMP_USAGE = `  add-jump-group <name> [--technicians a,b] [--teams T1,T2] [--prompt|--no-prompt] [--prompt-timeout 30] [--prompt-default allow|deny]
  list-jump-groups | jump-token --group <name> [--expires 24h] [--count N] | revoke-jump-token <id>
  list-jump-clients | rename-jump-client <id> <name> | move-jump-client <id> <group> | remove-jump-client <id>`;

const MAX_TOKENS = 20_000;

function clientId(text: string | undefined): number {
  const id = Number(text);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error('Give the jump client id (see list-jump-clients).');
  return id;
}

function describePolicy(p: JumpPolicy): string {
  const who = [p.technicians.length ? `technicians ${p.technicians.join(', ')}` : '', p.teams.length ? `teams ${p.teams.join(', ')}` : ''].filter(Boolean).join('; ');
  const prompt = p.prompt ? `asks the user (${p.promptTimeoutSeconds} s, then ${p.promptDefault})` : 'does not ask the user';
  return `${who || 'nobody yet'}; ${prompt}`;
}

function ago(ms: number | null, now: number): string {
  if (ms === null) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} days ago`;
}

export function jumpCommands(values: JumpCliValues): Record<string, (db: Db, args: string[]) => Promise<string>> {
  return {
    async 'add-jump-group'(db, [name]) {
      if (!name) throw new Error(`usage:\n${JUMP_USAGE}`);
      const jump = new JumpService(db);
      // Changing a group keeps what the command does not mention.
      const current = await jump.group(name).then((g) => g.policy, () => null);
      const policy: Partial<JumpPolicy> = { ...current };
      if (values.technicians !== undefined) policy.technicians = parseNameList(values.technicians);
      if (values.teams !== undefined) policy.teams = parseNameList(values.teams);
      if (values.prompt && values['no-prompt']) throw new Error('Give --prompt or --no-prompt, not both.');
      if (values.prompt) policy.prompt = true;
      if (values['no-prompt']) policy.prompt = false;
      if (values['prompt-timeout'] !== undefined) {
        const s = Number(values['prompt-timeout']);
        if (!Number.isInteger(s)) throw new Error('--prompt-timeout is a number of seconds.');
        policy.promptTimeoutSeconds = s;
      }
      if (values['prompt-default'] !== undefined) {
        if (values['prompt-default'] !== 'allow' && values['prompt-default'] !== 'deny') throw new Error('--prompt-default is allow or deny.');
        policy.promptDefault = values['prompt-default'];
      }
      const group = await jump.saveGroup(name, policy);
      const notes: string[] = [];
      for (const u of group.policy.technicians) {
        if (!(await db.selectFrom('technicians').select('id').where('username', '=', u).executeTakeFirst())) notes.push(`note: there is no technician "${u}" yet`);
      }
      for (const t of group.policy.teams) {
        if (!(await db.selectFrom('teams').select('id').where('name', '=', t).executeTakeFirst())) notes.push(`note: there is no team "${t}" yet`);
      }
      return [`Jump group "${group.name}": ${describePolicy(group.policy)}.`, ...notes].join('\n');
    },
    async 'list-jump-groups'(db) {
      const groups = await new JumpService(db).listGroups();
      return groups.length ? groups.map((g) => `${g.name}: ${describePolicy(g.policy)}`).join('\n') : 'No jump groups yet.';
    },
    async 'jump-token'(db) {
      if (!values.group) throw new Error('Name the jump group: jump-token --group <name> [--expires 24h]');
      const ttl = parseDuration(values.expires ?? '24h');
      if (ttl === null) throw new Error('--expires is a duration like 30m, 24h or 7d.');
      const count = values.count === undefined ? 1 : Number(values.count);
      if (!Number.isInteger(count) || count < 1 || count > MAX_TOKENS) throw new Error(`--count is 1-${MAX_TOKENS}.`);
      if (count > 1) {
        // A batch for a rollout: still one token per machine, one per line.
        const jump = new JumpService(db);
        const lines: string[] = [];
        for (let i = 0; i < count; i++) {
          const t = await jump.mintToken(values.group, ttl, 'cli');
          lines.push(`token: ${t.token}`);
        }
        await new AuditService(db).record('cli', 'jump.token.created', { group: values.group, count });
        return [`${count} install tokens for jump group "${values.group}", one per machine, valid for ${values.expires ?? '24h'}:`, ...lines].join('\n');
      }
      const t = await new JumpService(db).mintToken(values.group, ttl, 'cli');
      await new AuditService(db).record('cli', 'jump.token.created', { id: t.id, group: t.group, expiresAt: t.expiresAt });
      return [
        `Install token ${t.id} for jump group "${t.group}", valid until ${new Date(t.expiresAt).toISOString()}, for one machine.`,
        'It is shown only now; the server keeps only its hash.',
        `token: ${t.token}`,
        `On the machine: lifeline-agent install --server https://YOUR-SERVER --token ${t.token} [--passive]`,
      ].join('\n');
    },
    async 'revoke-jump-token'(db, [id]) {
      const n = clientId(id);
      return (await new JumpService(db).revokeToken(n)) ? `Revoked install token ${n}.` : `No unused install token ${n}.`;
    },
    async 'list-jump-clients'(db) {
      const rows = await new JumpService(db).listClients();
      if (!rows.length) return 'No jump clients yet.';
      const now = Date.now();
      return rows
        .map((r) => `${r.id}\t${r.name}\tgroup ${r.group}\t${r.os_user}@${r.hostname}\t${r.os}\t${r.mode}${r.elevated ? ' (root)' : ''}\tlast seen ${ago(r.last_seen_at, now)}`)
        .join('\n');
    },
    async 'rename-jump-client'(db, [id, ...name]) {
      const row = await new JumpService(db).rename(clientId(id), name.join(' '));
      return `Jump client ${row.id} is now called "${row.name}".`;
    },
    async 'move-jump-client'(db, [id, group]) {
      if (!group) throw new Error('usage: move-jump-client <id> <group>');
      const { client, group: g } = await new JumpService(db).move(clientId(id), group);
      return `Jump client ${client.id} (${client.name}) is now in jump group "${g.name}".`;
    },
    async 'remove-jump-client'(db, [id]) {
      const n = clientId(id);
      if (!(await new JumpService(db).remove(n))) return `No jump client ${n}.`;
      await new AuditService(db).record('cli', 'jump.removed', { clientId: n });
      return `Removed jump client ${n}: its credential no longer works, and it uninstalls itself when it next reaches the server.`;
    },
  };
}
