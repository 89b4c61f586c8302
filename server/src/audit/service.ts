/** Who did what, when: session starts and ends, logins, consent changes. */
import type { Db } from '../db/index.js';

export class AuditService {
  constructor(private readonly db: Db) {}

  async record(actor: string, action: string, detail: Record<string, unknown> = {}): Promise<void> {
    await this.db.insertInto('audit_log').values({ at: Date.now(), actor, action, detail: JSON.stringify(detail) }).execute();
  }
}
