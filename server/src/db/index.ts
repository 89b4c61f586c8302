/**
 * Opens the store. SQLite (one file in the data directory, created on first
 * run) is the embedded default; the domain code only sees Kysely, so a
 * PostgreSQL dialect plugs in here without touching it.
 */
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect } from 'kysely';
import type { Database, Db } from './schema.js';
import { migrationProvider } from './migrations.js';

export type { Db } from './schema.js';

export async function openDatabase(dataDir: string): Promise<Db> {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(dataDir, 'lifeline.sqlite');
  const sqlite = new SQLite(file);
  // WAL keeps readers off the writer's back; the server is the only process using the file.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  await migrate(db, false);
  return db;
}

async function migrate(db: Db, isPostgres: boolean): Promise<void> {
  const migrator = new Migrator({ db, provider: migrationProvider(isPostgres) });
  const { error, results } = await migrator.migrateToLatest();
  for (const r of results ?? []) {
    if (r.status === 'Error') throw new Error(`Migration ${r.migrationName} failed`);
  }
  if (error) throw error instanceof Error ? error : new Error(String(error));
}
