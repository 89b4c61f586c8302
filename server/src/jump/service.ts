/**
 * The jump registry's storage: groups and their policy, install tokens, and
 * the installed clients with their credentials. Tokens and credentials are
 * random and stored only as SHA-256. Used by the server and by the admin CLI
 * (which opens the database directly), so it holds no live state.
 */
import { LifelineError } from '../../../shared/errors.js';
import type { JumpClientSummary, JumpGroupSummary, JumpInfo, JumpMode } from '../../../shared/jump.js';
import { randomSecret, sha256 } from '../crypto.js';
import type { Db } from '../db/index.js';
import type { JumpClientsTable, JumpGroupsTable } from '../db/schema.js';
import { DEFAULT_POLICY, type JumpPolicy } from './policy.js';

export interface JumpGroup {
  id: number;
  name: string;
  policy: JumpPolicy;
}

export type JumpClientRow = Omit<JumpClientsTable, 'id'> & { id: number };

const GROUP_NAME = /^[\w .-]{1,80}$/;
export const MAX_PROMPT_SECONDS = 3600;

function groupOf(row: Omit<JumpGroupsTable, 'id'> & { id: number }): JumpGroup {
  const list = (text: string) => {
    try {
      const v: unknown = JSON.parse(text);
      return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return [];
    }
  };
  return {
    id: row.id,
    name: row.name,
    policy: {
      technicians: list(row.technicians),
      teams: list(row.teams),
      prompt: row.prompt === 1,
      promptTimeoutSeconds: row.prompt_timeout_s,
      promptDefault: row.prompt_default === 'allow' ? 'allow' : 'deny',
    },
  };
}

/** A client's display name: printable, one line, not empty. */
function cleanName(name: string): string {
  const n = name.replace(/[\p{Cc}\p{Cf}]/gu, '').trim().slice(0, 80);
  if (!n) throw new Error('A jump client name needs at least one visible character.');
  return n;
}

export function clientSummary(row: JumpClientRow, online: boolean): JumpClientSummary {
  return {
    id: row.id,
    groupId: row.group_id,
    name: row.name,
    hostname: row.hostname,
    user: row.os_user,
    os: row.os,
    mode: row.mode,
    elevated: row.elevated === 1,
    online,
    lastSeenAt: row.last_seen_at,
  };
}

export class JumpService {
  constructor(private readonly db: Db) {}

  // ---------- groups ----------

  /** Creates a group, or replaces an existing group's policy. */
  async saveGroup(name: string, policy: Partial<JumpPolicy> = {}): Promise<JumpGroup> {
    if (!GROUP_NAME.test(name)) throw new Error('A jump group name is 1-80 letters, digits, spaces, dots, dashes or underscores.');
    const p = { ...DEFAULT_POLICY, ...policy };
    if (!Number.isInteger(p.promptTimeoutSeconds) || p.promptTimeoutSeconds < 1 || p.promptTimeoutSeconds > MAX_PROMPT_SECONDS) {
      throw new Error(`The prompt timeout is 1-${MAX_PROMPT_SECONDS} seconds.`);
    }
    if (p.promptDefault !== 'allow' && p.promptDefault !== 'deny') throw new Error('The prompt default is allow or deny.');
    const values = {
      technicians: JSON.stringify(p.technicians),
      teams: JSON.stringify(p.teams),
      prompt: p.prompt ? 1 : 0,
      prompt_timeout_s: p.promptTimeoutSeconds,
      prompt_default: p.promptDefault,
    };
    await this.db
      .insertInto('jump_groups')
      .values({ name, ...values, created_at: Date.now() })
      .onConflict((oc) => oc.column('name').doUpdateSet(values))
      .execute();
    return this.group(name);
  }

  async group(name: string): Promise<JumpGroup> {
    const row = await this.db.selectFrom('jump_groups').selectAll().where('name', '=', name).executeTakeFirst();
    if (!row) throw new LifelineError('ERR_NOT_FOUND', `There is no jump group "${name}".`);
    return groupOf(row);
  }

  async groupById(id: number): Promise<JumpGroup | null> {
    const row = await this.db.selectFrom('jump_groups').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? groupOf(row) : null;
  }

  async listGroups(): Promise<JumpGroup[]> {
    return (await this.db.selectFrom('jump_groups').selectAll().orderBy('name').execute()).map(groupOf);
  }

  // ---------- install tokens ----------

  /** A new install token for `groupName`; the token itself is returned once and only its hash is kept. */
  async mintToken(groupName: string, ttlMs: number, createdBy: string, now = Date.now()): Promise<{ id: number; token: string; expiresAt: number; group: string }> {
    const group = await this.group(groupName);
    const token = randomSecret();
    const expiresAt = now + ttlMs;
    const row = await this.db
      .insertInto('jump_tokens')
      .values({ token_hash: sha256(token), group_id: group.id, created_by: createdBy, created_at: now, expires_at: expiresAt, revoked_at: null, used_at: null, client_id: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: row.id, token, expiresAt, group: group.name };
  }

  /** Revokes an unused token; false when there is no such token or it was already spent or revoked. */
  async revokeToken(id: number, now = Date.now()): Promise<boolean> {
    const res = await this.db
      .updateTable('jump_tokens')
      .set({ revoked_at: now })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .where('used_at', 'is', null)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /**
   * Spends an install token on one machine: checks it (known, not revoked,
   * not expired, not used), creates the client in the token's group, and
   * returns the client's credential. One conditional UPDATE spends the token,
   * so two machines racing with the same token get exactly one credential.
   */
  async enroll(token: string, mode: JumpMode, info: JumpInfo, now = Date.now()): Promise<{ clientId: number; name: string; group: string; credential: string }> {
    const hash = sha256(token);
    const credential = randomSecret();
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.selectFrom('jump_tokens').selectAll().where('token_hash', '=', hash).executeTakeFirst();
      if (!row) throw new LifelineError('ERR_NOT_AUTHENTICATED', 'This install token is not valid.');
      if (row.revoked_at !== null) throw new LifelineError('ERR_NOT_AUTHENTICATED', 'This install token was revoked. Ask your administrator for a new one.');
      if (row.used_at !== null) throw new LifelineError('ERR_NOT_AUTHENTICATED', 'This install token has already been used. Each machine needs its own token.');
      if (row.expires_at <= now) throw new LifelineError('ERR_NOT_AUTHENTICATED', 'This install token has expired. Ask your administrator for a new one.');
      const group = await trx.selectFrom('jump_groups').select('name').where('id', '=', row.group_id).executeTakeFirst();
      if (!group) throw new LifelineError('ERR_NOT_FOUND', 'The jump group of this token no longer exists.');
      const name = cleanName(info.hostname || 'unnamed');
      const client = await trx
        .insertInto('jump_clients')
        .values({
          group_id: row.group_id, name, hostname: info.hostname, os_user: info.user, os: info.os, mode,
          elevated: info.elevated ? 1 : 0, credential_hash: sha256(credential), created_at: now, last_seen_at: now, removed: 0, removed_at: null, wake_address: null, wake_port: null,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      const spent = await trx
        .updateTable('jump_tokens')
        .set({ used_at: now, client_id: client.id })
        .where('id', '=', row.id)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (Number(spent.numUpdatedRows) !== 1) throw new LifelineError('ERR_NOT_AUTHENTICATED', 'This install token has already been used.');
      return { clientId: client.id, name, group: group.name, credential };
    });
  }

  // ---------- clients ----------

  /** The client a credential belongs to (removed ones included: the caller tells them to uninstall). */
  async byCredential(credential: string): Promise<JumpClientRow | undefined> {
    return this.db.selectFrom('jump_clients').selectAll().where('credential_hash', '=', sha256(credential)).executeTakeFirst();
  }

  async get(id: number): Promise<JumpClientRow | undefined> {
    return this.db.selectFrom('jump_clients').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /**
   * Records that the client was seen, with what it says about its machine
   * now; a passive client's check-in also says where it can be woken (null: nowhere).
   */
  async touch(id: number, info: JumpInfo | null, now = Date.now(), wake?: { address: string; port: number } | null): Promise<void> {
    await this.db
      .updateTable('jump_clients')
      .set({
        last_seen_at: now,
        ...(info ? { hostname: info.hostname, os_user: info.user, os: info.os, elevated: info.elevated ? 1 : 0 } : {}),
        ...(wake !== undefined ? { wake_address: wake?.address ?? null, wake_port: wake?.port ?? null } : {}),
      })
      .where('id', '=', id)
      .execute();
  }

  /** Every client that is not removed, with its group's name, for the administrator. */
  async listClients(): Promise<(JumpClientRow & { group: string })[]> {
    return this.db
      .selectFrom('jump_clients')
      .innerJoin('jump_groups', 'jump_groups.id', 'jump_clients.group_id')
      .selectAll('jump_clients')
      .select('jump_groups.name as group')
      .where('jump_clients.removed', '=', 0)
      .orderBy('jump_groups.name')
      .orderBy('jump_clients.name')
      .execute();
  }

  async clientsInGroups(groupIds: readonly number[]): Promise<JumpClientRow[]> {
    if (!groupIds.length) return [];
    return this.db.selectFrom('jump_clients').selectAll().where('group_id', 'in', [...groupIds]).where('removed', '=', 0).orderBy('name').execute();
  }

  /** The current name, group and removed flag of `ids` (an administrator may have changed them from the CLI). */
  async currentRows(ids: readonly number[]): Promise<Pick<JumpClientRow, 'id' | 'name' | 'group_id' | 'removed'>[]> {
    const out: Pick<JumpClientRow, 'id' | 'name' | 'group_id' | 'removed'>[] = [];
    // SQLite bounds the number of bound parameters: ask in chunks.
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      out.push(...(await this.db.selectFrom('jump_clients').select(['id', 'name', 'group_id', 'removed']).where('id', 'in', chunk).execute()));
    }
    return out;
  }

  async rename(id: number, name: string): Promise<JumpClientRow> {
    const row = await this.live(id);
    await this.db.updateTable('jump_clients').set({ name: cleanName(name) }).where('id', '=', row.id).execute();
    return (await this.get(id))!;
  }

  async move(id: number, groupName: string): Promise<{ client: JumpClientRow; group: JumpGroup }> {
    const row = await this.live(id);
    const group = await this.group(groupName);
    await this.db.updateTable('jump_clients').set({ group_id: group.id }).where('id', '=', row.id).execute();
    return { client: (await this.get(id))!, group };
  }

  /** Removes a client: its credential stops working and it is told to uninstall the next time it shows up. */
  async remove(id: number, now = Date.now()): Promise<boolean> {
    const res = await this.db.updateTable('jump_clients').set({ removed: 1, removed_at: now }).where('id', '=', id).where('removed', '=', 0).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  private async live(id: number): Promise<JumpClientRow> {
    const row = await this.get(id);
    if (!row || row.removed) throw new LifelineError('ERR_NOT_FOUND', `There is no jump client ${id}.`);
    return row;
  }
}

export function groupSummary(g: JumpGroup, mayStart: boolean): JumpGroupSummary {
  return { id: g.id, name: g.name, mayStart };
}
