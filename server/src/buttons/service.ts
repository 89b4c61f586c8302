/**
 * Support buttons. An administrator makes a token for a team or a
 * technician (`npm run admin -- button-token`): stored hashed, expiring,
 * revocable, good for any number of machines. `lifeline-agent button` trades
 * it for the machine's own button credential (random, stored hashed), valid
 * as long as its token. A press checks the credential and queues a request
 * for the token's team or technician with a session code for the support
 * client (CodeService.createForRequest, as a portal request does).
 */
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { ButtonMachine, ButtonPressResponse, ButtonTarget } from '../../../shared/button.js';
import { LifelineError } from '../../../shared/errors.js';
import type { CodeService } from '../codes/service.js';
import { randomSecret, sha256 } from '../crypto.js';
import type { Db } from '../db/index.js';
import type { ButtonTokensTable, SupportButtonsTable } from '../db/schema.js';
import { FailureLimiter } from '../rate-limit.js';

export type ButtonTokenRow = Selectable<ButtonTokensTable>;
export type SupportButtonRow = Selectable<SupportButtonsTable>;

/** Presses one button may make per minute: a stuck key or a script must not flood the queue. */
export const PRESSES_PER_MINUTE = 3;

export const BUTTON_REFUSED = {
  unknown: 'This support button is not known to the support server. Ask your helpdesk for a new one.',
  revoked: 'This support button was switched off by your helpdesk. Ask them for a new one.',
  expired: (at: number) => `This support button expired on ${new Date(at).toISOString().slice(0, 10)}. Ask your helpdesk for a new one.`,
  gone: 'The team or technician this support button calls no longer exists. Ask your helpdesk for a new one.',
};

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export class ButtonService {
  private readonly presses = new FailureLimiter(PRESSES_PER_MINUTE, 60_000);

  constructor(private readonly db: Db, private readonly codes: CodeService | null = null) {}

  /** A new install token; the token itself is returned once, only its hash is kept. */
  async mintToken(target: ButtonTarget, ttlMs: number, createdBy: string, now = Date.now()): Promise<{ id: number; token: string; expiresAt: number; queueName: string }> {
    const where = await this.resolve(target);
    const token = randomSecret();
    const expiresAt = now + ttlMs;
    const row = await this.db
      .insertInto('button_tokens')
      .values({
        token_hash: sha256(token), team_id: where.teamId, technician_id: where.technicianId, target_kind: target.kind, target_name: target.name,
        created_by: createdBy, created_at: now, expires_at: expiresAt, revoked_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: row.id, token, expiresAt, queueName: where.queueName };
  }

  /** Revokes a token, and with it every button installed with it. */
  async revokeToken(id: number, now = Date.now()): Promise<boolean> {
    const res = await this.db.updateTable('button_tokens').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /** Revokes one installed button. */
  async revokeButton(id: number, now = Date.now()): Promise<boolean> {
    const res = await this.db.updateTable('support_buttons').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  async listTokens(): Promise<(ButtonTokenRow & { buttons: number })[]> {
    const tokens = await this.db.selectFrom('button_tokens').selectAll().orderBy('id').execute();
    const counts = await this.db.selectFrom('support_buttons').select(['token_id', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('token_id').execute();
    return tokens.map((t) => ({ ...t, buttons: Number(counts.find((c) => c.token_id === t.id)?.n ?? 0) }));
  }

  async listButtons(): Promise<SupportButtonRow[]> {
    return this.db.selectFrom('support_buttons').selectAll().orderBy('id').execute();
  }

  /** Installs a button on one machine: the token must be valid and name the same team or technician. */
  async install(token: string, target: ButtonTarget, machine: ButtonMachine, now = Date.now()): Promise<{ buttonId: number; credential: string; queueName: string; expiresAt: number }> {
    const row = await this.db.selectFrom('button_tokens').selectAll().where('token_hash', '=', sha256(token)).executeTakeFirst();
    if (!row) throw new LifelineError('ERR_NOT_AUTHENTICATED', 'This button token is not valid.');
    if (row.revoked_at !== null) throw new LifelineError('ERR_NOT_AUTHENTICATED', 'This button token was revoked. Ask your administrator for a new one.');
    if (row.expires_at <= now) throw new LifelineError('ERR_NOT_AUTHENTICATED', `This button token expired on ${day(row.expires_at)}. Ask your administrator for a new one.`);
    if (row.target_kind !== target.kind || row.target_name !== target.name) {
      throw new LifelineError('ERR_PERMISSION', `This button token is for ${row.target_kind === 'team' ? 'team' : 'technician'} "${row.target_name}", not for ${target.kind} "${target.name}".`);
    }
    const where = await this.targetOf(row);
    const credential = randomSecret();
    const button = await this.db
      .insertInto('support_buttons')
      .values({ token_id: row.id, credential_hash: sha256(credential), hostname: machine.hostname, os_user: machine.user, created_at: now, last_pressed_at: null, revoked_at: null })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { buttonId: button.id, credential, queueName: where.queueName, expiresAt: row.expires_at };
  }

  /** The button and token behind a credential, or a sentence saying why it may not be used. */
  async authenticate(credential: string, now = Date.now()): Promise<{ button: SupportButtonRow; token: ButtonTokenRow }> {
    const button = await this.db.selectFrom('support_buttons').selectAll().where('credential_hash', '=', sha256(credential)).executeTakeFirst();
    const token = button ? await this.db.selectFrom('button_tokens').selectAll().where('id', '=', button.token_id).executeTakeFirst() : undefined;
    if (!button || !token) throw new LifelineError('ERR_NOT_AUTHENTICATED', BUTTON_REFUSED.unknown);
    if (button.revoked_at !== null || token.revoked_at !== null) throw new LifelineError('ERR_NOT_AUTHENTICATED', BUTTON_REFUSED.revoked);
    if (token.expires_at <= now) throw new LifelineError('ERR_NOT_AUTHENTICATED', BUTTON_REFUSED.expired(token.expires_at));
    return { button, token };
  }

  /**
   * A press: queues a request for the button's team or technician, named
   * after the user, with the machine in its description, and a session code
   * for the support client. The user joins no portal first, so the code
   * also lets the user open the portal later to give consent.
   */
  async press(credential: string, machine: ButtonMachine, now = Date.now()): Promise<ButtonPressResponse & { buttonId: number }> {
    if (!this.codes) throw new Error('ButtonService.press needs the CodeService');
    const codes = this.codes;
    const { button, token } = await this.authenticate(credential, now);
    const key = `button:${button.id}`;
    if (this.presses.isBlocked(key, now)) throw new LifelineError('ERR_RATE_LIMITED');
    this.presses.recordFailure(key, now);
    const where = await this.targetOf(token);
    const { requestId, code } = await this.db.transaction().execute(async (trx) => {
      const id = randomUUID();
      await trx
        .insertInto('requests')
        .values({
          id, technician_id: where.technicianId, code_hash: null, customer_name: machine.fullName, status: 'waiting', created_at: now,
          portal_key_hash: null, consent_view: 0, consent_control: 0,
          queue: where.teamId !== null ? 'team' : 'personal', team_id: where.teamId,
          description: `Support button on ${machine.hostname} (user ${machine.user})`, issue_type: null, required_skill: null,
        })
        .execute();
      await trx.updateTable('support_buttons').set({ last_pressed_at: now, hostname: machine.hostname, os_user: machine.user }).where('id', '=', button.id).execute();
      const { code } = await codes.createForRequest(trx, id);
      return { requestId: id, code };
    });
    return { requestId, code, queueName: where.queueName, buttonId: button.id };
  }

  private async targetOf(token: ButtonTokenRow): Promise<{ teamId: number | null; technicianId: number | null; queueName: string }> {
    // The ids were set when the token was made; a removed team or technician left null behind.
    if (token.target_kind === 'team' && token.team_id !== null) {
      const t = await this.db.selectFrom('teams').select('name').where('id', '=', token.team_id).executeTakeFirst();
      if (t) return { teamId: token.team_id, technicianId: null, queueName: `the ${t.name} team` };
    }
    if (token.target_kind === 'technician' && token.technician_id !== null) {
      const t = await this.db.selectFrom('technicians').select('display_name').where('id', '=', token.technician_id).executeTakeFirst();
      if (t) return { teamId: null, technicianId: token.technician_id, queueName: t.display_name };
    }
    throw new LifelineError('ERR_NOT_FOUND', BUTTON_REFUSED.gone);
  }

  private async resolve(target: ButtonTarget): Promise<{ teamId: number | null; technicianId: number | null; queueName: string }> {
    if (target.kind === 'team') {
      const t = await this.db.selectFrom('teams').select(['id', 'name']).where('name', '=', target.name).executeTakeFirst();
      if (!t) throw new LifelineError('ERR_NOT_FOUND', `There is no team "${target.name}".`);
      return { teamId: t.id, technicianId: null, queueName: `the ${t.name} team` };
    }
    const t = await this.db.selectFrom('technicians').select(['id', 'display_name']).where('username', '=', target.name).executeTakeFirst();
    if (!t) throw new LifelineError('ERR_NOT_FOUND', `There is no technician "${target.name}".`);
    return { teamId: null, technicianId: t.id, queueName: t.display_name };
  }
}
