import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './index.js';
import { migrationProvider } from './migrations.js';
import type { Database } from './schema.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('0004-queues', () => {
  it('keeps the requests, codes and chat of a database made before it, and lets team requests have no technician', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-migrate-'));
    dirs.push(dir);
    const sqlite = new SQLite(path.join(dir, 'lifeline.sqlite'));
    sqlite.pragma('foreign_keys = ON');
    const old = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
    const migrated = await new Migrator({ db: old, provider: migrationProvider(false) }).migrateTo('0003-teams');
    expect(migrated.error).toBeUndefined();
    await sql`INSERT INTO technicians (username, display_name, password_hash, role, created_at) VALUES ('ann', 'Ann', 'x', 'technician', 1)`.execute(old);
    await sql`INSERT INTO session_codes (code_hash, technician_id, created_at, expires_at, request_id) VALUES ('h', 1, 1, 2, 'r1')`.execute(old);
    await sql`INSERT INTO requests (id, technician_id, code_hash, customer_name, status, created_at, consent_view, consent_control)
      VALUES ('r1', 1, 'h', 'Ada', 'waiting', 5, 1, 0)`.execute(old);
    await sql`INSERT INTO chat_messages (request_id, sender, author, text, created_at) VALUES ('r1', 'user', 'Ada', 'hello', 6)`.execute(old);
    await old.destroy();

    const db = await openDatabase(dir);
    try {
      expect(await db.selectFrom('requests').selectAll().executeTakeFirst()).toMatchObject({
        id: 'r1', technician_id: 1, customer_name: 'Ada', consent_view: 1, queue: 'personal', team_id: null, routed_to: null,
      });
      expect(await db.selectFrom('session_codes').selectAll().execute()).toEqual([{ code_hash: 'h', technician_id: 1, created_at: 1, expires_at: 2, request_id: 'r1' }]);
      expect((await db.selectFrom('chat_messages').select('text').execute()).map((m) => m.text)).toEqual(['hello']);
      // The foreign keys still hold, pointing at the rebuilt table.
      expect(await sql`PRAGMA foreign_key_check`.execute(db).then((r) => r.rows)).toEqual([]);
      await expect(sql`INSERT INTO chat_messages (request_id, sender, author, text, created_at) VALUES ('nope', 'user', 'x', 'y', 1)`.execute(db)).rejects.toThrow(/FOREIGN KEY/);
      await db.insertInto('requests').values({ id: 'r2', technician_id: null, customer_name: 'Bo', status: 'waiting', created_at: 7, consent_view: 0, consent_control: 0, queue: 'general' }).execute();
      expect((await db.selectFrom('requests').select('id').where('technician_id', 'is', null).execute()).map((r) => r.id)).toEqual(['r2']);
    } finally {
      await db.destroy();
    }
  });
});
