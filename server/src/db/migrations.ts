/**
 * Schema migrations, written with Kysely's schema builder so the same
 * migrations run on SQLite (embedded default) and PostgreSQL. Append new
 * migrations; never edit one that has shipped.
 */
import type { CreateTableBuilder, Kysely, Migration, MigrationProvider } from 'kysely';

/** An auto-incrementing integer key in either dialect. */
function withAutoId<T extends string>(t: CreateTableBuilder<T>, isPostgres: boolean) {
  return isPostgres
    ? t.addColumn('id', 'serial', (c) => c.primaryKey())
    : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}

export function migrations(isPostgres: boolean): Record<string, Migration> {
  return {
    '0001-initial': {
      async up(db: Kysely<unknown>) {
        const id = <T extends string>(t: CreateTableBuilder<T>) => withAutoId(t, isPostgres);
        await id(db.schema.createTable('technicians'))
          .addColumn('username', 'text', (c) => c.notNull().unique())
          .addColumn('display_name', 'text', (c) => c.notNull())
          .addColumn('password_hash', 'text', (c) => c.notNull())
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createTable('auth_tokens')
          .addColumn('token_hash', 'text', (c) => c.primaryKey())
          .addColumn('technician_id', 'integer', (c) => c.notNull().references('technicians.id').onDelete('cascade'))
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createTable('session_codes')
          .addColumn('code_hash', 'text', (c) => c.primaryKey())
          .addColumn('technician_id', 'integer', (c) => c.notNull().references('technicians.id').onDelete('cascade'))
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('request_id', 'text')
          .execute();
        await db.schema.createTable('requests')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('technician_id', 'integer', (c) => c.notNull().references('technicians.id'))
          .addColumn('code_hash', 'text')
          .addColumn('customer_name', 'text', (c) => c.notNull())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('accepted_by', 'integer')
          .addColumn('accepted_at', 'bigint')
          .addColumn('ended_at', 'bigint')
          .addColumn('ended_reason', 'text')
          .addColumn('portal_key_hash', 'text')
          .addColumn('agent_key_hash', 'text')
          .addColumn('agent_info', 'text')
          .addColumn('consent_view', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('consent_control', 'integer', (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema.createIndex('requests_by_technician').on('requests').columns(['technician_id', 'status']).execute();
        await id(db.schema.createTable('chat_messages'))
          .addColumn('request_id', 'text', (c) => c.notNull().references('requests.id'))
          .addColumn('sender', 'text', (c) => c.notNull())
          .addColumn('author', 'text', (c) => c.notNull())
          .addColumn('text', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('client_id', 'text')
          .execute();
        await db.schema.createIndex('chat_by_request').on('chat_messages').columns(['request_id', 'id']).execute();
        await db.schema.createIndex('chat_client_id').on('chat_messages').columns(['request_id', 'client_id']).unique().execute();
        await id(db.schema.createTable('audit_log'))
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('detail', 'text', (c) => c.notNull())
          .execute();
      },
    },
    '0002-tools': {
      async up(db: Kysely<unknown>) {
        const id = <T extends string>(t: CreateTableBuilder<T>) => withAutoId(t, isPostgres);
        // JSON array of tools; null means the role's defaults.
        await db.schema.alterTable('technicians').addColumn('permissions', 'text').execute();
        // JSON object of the user's consent to in-session tools (files, sysinfo, shell, shell_elevated).
        await db.schema.alterTable('requests').addColumn('consent_tools', 'text').execute();
        await id(db.schema.createTable('scripts'))
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('description', 'text', (c) => c.notNull())
          .addColumn('shell', 'text', (c) => c.notNull())
          .addColumn('body', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addColumn('updated_at', 'bigint', (c) => c.notNull())
          .execute();
        await id(db.schema.createTable('script_runs'))
          .addColumn('request_id', 'text', (c) => c.notNull().references('requests.id'))
          .addColumn('script_id', 'integer', (c) => c.notNull())
          .addColumn('script_name', 'text', (c) => c.notNull())
          .addColumn('technician_id', 'integer', (c) => c.notNull())
          .addColumn('started_at', 'bigint', (c) => c.notNull())
          .addColumn('finished_at', 'bigint')
          .addColumn('exit_code', 'integer')
          .addColumn('output', 'text', (c) => c.notNull().defaultTo(''))
          .execute();
        await db.schema.createIndex('script_runs_by_request').on('script_runs').columns(['request_id', 'id']).execute();
      },
    },
    '0003-teams': {
      async up(db: Kysely<unknown>) {
        const id = <T extends string>(t: CreateTableBuilder<T>) => withAutoId(t, isPostgres);
        await id(db.schema.createTable('teams'))
          .addColumn('name', 'text', (c) => c.notNull().unique())
          // 'least_busy' or 'skills'
          .addColumn('routing', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createTable('team_members')
          .addColumn('team_id', 'integer', (c) => c.notNull().references('teams.id'))
          .addColumn('technician_id', 'integer', (c) => c.notNull().references('technicians.id'))
          // JSON array of skill names
          .addColumn('skills', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('team_members_pk', ['team_id', 'technician_id'])
          .execute();
        await db.schema.createIndex('team_members_by_technician').on('team_members').columns(['technician_id']).execute();
      },
    },
  };
}

export function migrationProvider(isPostgres: boolean): MigrationProvider {
  return { getMigrations: async () => migrations(isPostgres) };
}
