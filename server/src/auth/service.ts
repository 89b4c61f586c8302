/** Technician accounts, argon2id password hashes, and opaque expiring console tokens. */
import { hash, verify } from '@node-rs/argon2';
import { LifelineError } from '../../../shared/errors.js';
import type { Technician } from '../../../shared/protocol.js';
import { DEFAULT_PERMISSIONS, Tool } from '../../../shared/permissions.js';
import type { Db } from '../db/index.js';
import { randomSecret, sha256 } from '../crypto.js';

// @node-rs/argon2's Algorithm is a const enum, which isolatedModules cannot inline.
const ARGON2ID = 2;
const ARGON2_OPTIONS = { algorithm: ARGON2ID, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;
export const TOKEN_TTL_MS = 12 * 60 * 60 * 1000;
export const MIN_PASSWORD_CHARS = 12;

let dummyHash: Promise<string> | undefined;

type Row = { id: number; username: string; display_name: string; role: 'admin' | 'technician' };
const toTechnician = (r: Row): Technician => ({ id: r.id, username: r.username, displayName: r.display_name, role: r.role });

export class AuthService {
  constructor(private readonly db: Db) {}

  /** `mustChangePassword`: the password is a one-time one (printed for someone else), so its owner must choose his own first. */
  async createTechnician(input: {
    username: string; displayName: string; password: string; role: 'admin' | 'technician'; mustChangePassword?: boolean;
  }): Promise<Technician> {
    if (!/^[a-z0-9._-]{2,64}$/i.test(input.username)) throw new Error('A user name is 2-64 letters, digits, dots, dashes or underscores.');
    if (input.password.length < MIN_PASSWORD_CHARS) throw new Error(`A password needs at least ${MIN_PASSWORD_CHARS} characters.`);
    const existing = await this.db.selectFrom('technicians').select('id').where('username', '=', input.username).executeTakeFirst();
    if (existing) throw new Error(`A technician named "${input.username}" already exists.`);
    const row = await this.db
      .insertInto('technicians')
      .values({
        username: input.username,
        display_name: input.displayName,
        password_hash: await hash(input.password, ARGON2_OPTIONS),
        role: input.role,
        created_at: Date.now(),
        must_change_password: input.mustChangePassword ? 1 : 0,
      })
      .returning(['id', 'username', 'display_name', 'role'])
      .executeTakeFirstOrThrow();
    return toTechnician(row);
  }

  async countTechnicians(): Promise<number> {
    const r = await this.db.selectFrom('technicians').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** A token even for a one-time password (`mustChangePassword`): it is what changes the password, and nothing else. */
  async login(username: string, password: string): Promise<{ token: string; technician: Technician; expiresAt: number; mustChangePassword: boolean }> {
    const row = await this.db.selectFrom('technicians').selectAll().where('username', '=', username).executeTakeFirst();
    // Verify against a real hash even for unknown users so timing does not reveal which names exist.
    dummyHash ??= hash(randomSecret(), ARGON2_OPTIONS);
    const ok = await verify(row?.password_hash ?? (await dummyHash), password).catch(() => false);
    if (!row || !ok) throw new LifelineError('ERR_LOGIN_FAILED');
    const token = randomSecret();
    const now = Date.now();
    const expiresAt = now + TOKEN_TTL_MS;
    await this.db.insertInto('auth_tokens').values({ token_hash: sha256(token), technician_id: row.id, created_at: now, expires_at: expiresAt }).execute();
    await this.db.deleteFrom('auth_tokens').where('expires_at', '<', now).execute();
    return { token, technician: toTechnician(row), expiresAt, mustChangePassword: row.must_change_password === 1 };
  }

  async logout(token: string): Promise<void> {
    await this.db.deleteFrom('auth_tokens').where('token_hash', '=', sha256(token)).execute();
  }

  /**
   * The technician a console token belongs to; ERR_NOT_AUTHENTICATED when unknown or expired,
   * ERR_PASSWORD_CHANGE_REQUIRED while he still holds a one-time password (only changePassword takes such a token).
   */
  async authenticate(token: string): Promise<Technician> {
    const row = await this.tokenOwner(token);
    if (row.must_change_password === 1) throw new LifelineError('ERR_PASSWORD_CHANGE_REQUIRED');
    return toTechnician(row);
  }

  /**
   * Replaces the password of the token's owner. The current password is asked again (a console left open
   * is not enough); his other tokens are revoked, this one stays and may do everything from now on.
   */
  async changePassword(token: string, currentPassword: string, newPassword: string): Promise<Technician> {
    const row = await this.tokenOwner(token);
    if (!(await verify(row.password_hash, currentPassword).catch(() => false))) {
      throw new LifelineError('ERR_LOGIN_FAILED', 'The current password is wrong.');
    }
    if (newPassword.length < MIN_PASSWORD_CHARS) {
      throw new LifelineError('ERR_PASSWORD_REJECTED', `The new password needs at least ${MIN_PASSWORD_CHARS} characters.`);
    }
    if (newPassword === currentPassword) throw new LifelineError('ERR_PASSWORD_REJECTED', 'The new password must differ from the current one.');
    const passwordHash = await hash(newPassword, ARGON2_OPTIONS);
    await this.db.transaction().execute(async (tx) => {
      await tx.updateTable('technicians').set({ password_hash: passwordHash, must_change_password: 0 }).where('id', '=', row.id).execute();
      await tx.deleteFrom('auth_tokens').where('technician_id', '=', row.id).where('token_hash', '!=', sha256(token)).execute();
    });
    return toTechnician(row);
  }

  /** An administrator's reset: a new one-time password (returned, to print once); every sign-in of the account ends. */
  async resetPassword(username: string): Promise<string> {
    const row = await this.db.selectFrom('technicians').select('id').where('username', '=', username).executeTakeFirst();
    if (!row) throw new Error(`No technician named "${username}".`);
    const password = randomSecret(12);
    const passwordHash = await hash(password, ARGON2_OPTIONS);
    await this.db.transaction().execute(async (tx) => {
      await tx.updateTable('technicians').set({ password_hash: passwordHash, must_change_password: 1 }).where('id', '=', row.id).execute();
      await tx.deleteFrom('auth_tokens').where('technician_id', '=', row.id).execute();
    });
    return password;
  }

  /**
   * Which of these token hashes have not been revoked (by a password change or
   * reset, or a sign-out). Expiry is not checked: an open console, mid-session,
   * is not cut off by the clock; it signs in again at its next reconnect.
   */
  async unrevokedTokenHashes(tokenHashes: string[]): Promise<Set<string>> {
    const rows = await this.db.selectFrom('auth_tokens').select('token_hash').where('token_hash', 'in', tokenHashes).execute();
    return new Set(rows.map((r) => r.token_hash));
  }

  private async tokenOwner(token: string) {
    const row = await this.db
      .selectFrom('auth_tokens')
      .innerJoin('technicians', 'technicians.id', 'auth_tokens.technician_id')
      .select([
        'technicians.id', 'technicians.username', 'technicians.display_name', 'technicians.role',
        'technicians.password_hash', 'technicians.must_change_password', 'auth_tokens.expires_at',
      ])
      .where('auth_tokens.token_hash', '=', sha256(token))
      .executeTakeFirst();
    if (!row || row.expires_at < Date.now()) throw new LifelineError('ERR_NOT_AUTHENTICATED');
    return row;
  }

  /** The tools a technician may use: his own list, or his role's defaults. */
  async permissionsOf(technicianId: number): Promise<Tool[]> {
    const row = await this.db.selectFrom('technicians').select(['role', 'permissions']).where('id', '=', technicianId).executeTakeFirst();
    if (!row) return [];
    if (row.permissions === null) return [...DEFAULT_PERMISSIONS[row.role]];
    const parsed = Tool.array().safeParse(JSON.parse(row.permissions));
    return parsed.success ? parsed.data : [];
  }

  /** Adds (`grant`) or removes tools from a technician's permissions. Returns the new list. */
  async changePermissions(username: string, tools: Tool[], grant: boolean): Promise<Tool[]> {
    const row = await this.db.selectFrom('technicians').select(['id']).where('username', '=', username).executeTakeFirst();
    if (!row) throw new Error(`No technician named "${username}".`);
    const current = new Set(await this.permissionsOf(row.id));
    for (const t of tools) {
      if (grant) current.add(t);
      else current.delete(t);
    }
    const next = Tool.options.filter((t) => current.has(t));
    await this.db.updateTable('technicians').set({ permissions: JSON.stringify(next) }).where('id', '=', row.id).execute();
    return next;
  }

  async getTechnician(id: number): Promise<Technician | null> {
    const row = await this.db.selectFrom('technicians').select(['id', 'username', 'display_name', 'role']).where('id', '=', id).executeTakeFirst();
    return row ? toTechnician(row) : null;
  }
}
