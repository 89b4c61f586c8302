/**
 * Schema migrations, written with Kysely's schema builder so the same
 * migrations run on SQLite (embedded default) and PostgreSQL. Append new
 * migrations; never edit one that has shipped.
 */
import type { CreateTableBuilder, Kysely, Migration, MigrationProvider } from 'kysely';
import { sql } from 'kysely';

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
    '0004-queues': {
      async up(db: Kysely<unknown>) {
        const id = <T extends string>(t: CreateTableBuilder<T>) => withAutoId(t, isPostgres);
        // Team and general requests belong to no technician until one accepts
        // them, and their agent's session code is made by the server for the
        // request: requests.technician_id and session_codes.technician_id
        // become nullable. SQLite cannot drop a NOT NULL, so it rebuilds both
        // tables the way its ALTER TABLE documentation prescribes (foreign keys
        // off, new table, copy, drop, rename, check), in one transaction.
        if (isPostgres) {
          await db.schema.alterTable('requests').alterColumn('technician_id', (c) => c.dropNotNull()).execute();
          await db.schema.alterTable('session_codes').alterColumn('technician_id', (c) => c.dropNotNull()).execute();
        } else {
          await sql`PRAGMA foreign_keys = OFF`.execute(db);
          await sql`BEGIN`.execute(db);
          try {
            await db.schema.createTable('requests_0004')
              .addColumn('id', 'text', (c) => c.primaryKey())
              .addColumn('technician_id', 'integer', (c) => c.references('technicians.id'))
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
              .addColumn('consent_tools', 'text')
              .execute();
            await sql`INSERT INTO requests_0004 (id, technician_id, code_hash, customer_name, status, created_at, accepted_by, accepted_at,
              ended_at, ended_reason, portal_key_hash, agent_key_hash, agent_info, consent_view, consent_control, consent_tools)
              SELECT id, technician_id, code_hash, customer_name, status, created_at, accepted_by, accepted_at,
              ended_at, ended_reason, portal_key_hash, agent_key_hash, agent_info, consent_view, consent_control, consent_tools FROM requests`.execute(db);
            await db.schema.dropTable('requests').execute();
            await db.schema.alterTable('requests_0004').renameTo('requests').execute();
            await db.schema.createIndex('requests_by_technician').on('requests').columns(['technician_id', 'status']).execute();
            await db.schema.createTable('session_codes_0004')
              .addColumn('code_hash', 'text', (c) => c.primaryKey())
              .addColumn('technician_id', 'integer', (c) => c.references('technicians.id').onDelete('cascade'))
              .addColumn('created_at', 'bigint', (c) => c.notNull())
              .addColumn('expires_at', 'bigint', (c) => c.notNull())
              .addColumn('request_id', 'text')
              .execute();
            await sql`INSERT INTO session_codes_0004 (code_hash, technician_id, created_at, expires_at, request_id)
              SELECT code_hash, technician_id, created_at, expires_at, request_id FROM session_codes`.execute(db);
            await db.schema.dropTable('session_codes').execute();
            await db.schema.alterTable('session_codes_0004').renameTo('session_codes').execute();
            const broken = await sql`PRAGMA foreign_key_check`.execute(db);
            if (broken.rows.length) throw new Error('0004-queues: the rebuilt tables break a foreign key');
            await sql`COMMIT`.execute(db);
          } catch (e) {
            await sql`ROLLBACK`.execute(db).catch(() => undefined);
            throw e;
          } finally {
            await sql`PRAGMA foreign_keys = ON`.execute(db);
          }
        }
        // 'personal' (technician_id's queue), 'team' (team_id's) or 'general'.
        await db.schema.alterTable('requests').addColumn('queue', 'text', (c) => c.notNull().defaultTo('personal')).execute();
        // A removed team's requests fall back to the general queue.
        await db.schema.alterTable('requests').addColumn('team_id', 'integer', (c) => c.references('teams.id').onDelete('set null')).execute();
        await db.schema.alterTable('requests').addColumn('description', 'text').execute();
        await db.schema.alterTable('requests').addColumn('issue_type', 'text').execute();
        // Copied from the issue type when the request is made, so editing the type later does not move it.
        await db.schema.alterTable('requests').addColumn('required_skill', 'text').execute();
        // The technician routing assigned the request to, and when.
        await db.schema.alterTable('requests').addColumn('routed_to', 'integer').execute();
        await db.schema.alterTable('requests').addColumn('routed_at', 'bigint').execute();
        await db.schema.createIndex('requests_by_queue').on('requests').columns(['queue', 'status']).execute();
        await id(db.schema.createTable('issue_types'))
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('team_id', 'integer', (c) => c.references('teams.id').onDelete('set null'))
          .addColumn('skill', 'text')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
      },
    },
    '0005-jump': {
      async up(db: Kysely<unknown>) {
        const id = <T extends string>(t: CreateTableBuilder<T>) => withAutoId(t, isPostgres);
        await id(db.schema.createTable('jump_groups'))
          .addColumn('name', 'text', (c) => c.notNull().unique())
          // Who may access the group's clients: JSON arrays of technician usernames and team names.
          .addColumn('technicians', 'text', (c) => c.notNull())
          .addColumn('teams', 'text', (c) => c.notNull())
          // Whether the logged-in user is asked first, for how long, and what applies without an answer.
          .addColumn('prompt', 'integer', (c) => c.notNull())
          .addColumn('prompt_timeout_s', 'integer', (c) => c.notNull())
          .addColumn('prompt_default', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await id(db.schema.createTable('jump_tokens'))
          .addColumn('token_hash', 'text', (c) => c.notNull().unique())
          .addColumn('group_id', 'integer', (c) => c.notNull().references('jump_groups.id'))
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('revoked_at', 'bigint')
          // A token installs one machine: spent by the first enrolment.
          .addColumn('used_at', 'bigint')
          .addColumn('client_id', 'integer')
          .execute();
        await id(db.schema.createTable('jump_clients'))
          .addColumn('group_id', 'integer', (c) => c.notNull().references('jump_groups.id'))
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('hostname', 'text', (c) => c.notNull())
          .addColumn('os_user', 'text', (c) => c.notNull())
          .addColumn('os', 'text', (c) => c.notNull())
          // 'active' or 'passive'
          .addColumn('mode', 'text', (c) => c.notNull())
          .addColumn('elevated', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('credential_hash', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_seen_at', 'bigint')
          .addColumn('removed', 'integer', (c) => c.notNull().defaultTo(0))
          .addColumn('removed_at', 'bigint')
          .execute();
        await db.schema.createIndex('jump_clients_by_group').on('jump_clients').columns(['group_id', 'removed']).execute();
        // A request started on a jump client, and what the user answered when asked.
        await db.schema.createTable('jump_sessions')
          .addColumn('request_id', 'text', (c) => c.primaryKey().references('requests.id'))
          .addColumn('client_id', 'integer', (c) => c.notNull().references('jump_clients.id'))
          .addColumn('technician_id', 'integer', (c) => c.notNull())
          .addColumn('prompt', 'integer', (c) => c.notNull())
          // 'allow' | 'deny' (null while nobody has answered, or without a prompt)
          .addColumn('answer', 'text')
          .addColumn('answer_timed_out', 'integer')
          .addColumn('answered_at', 'bigint')
          // When a passive client picked it up at check-in.
          .addColumn('delivered_at', 'bigint')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('jump_sessions_by_client').on('jump_sessions').columns(['client_id', 'delivered_at']).execute();
      },
    },
    '0007-buttons': {
      async up(db: Kysely<unknown>) {
        const id = <T extends string>(t: CreateTableBuilder<T>) => withAutoId(t, isPostgres);
        // An administrator's token for installing support buttons: any number of machines, until it expires or is revoked.
        await id(db.schema.createTable('button_tokens'))
          .addColumn('token_hash', 'text', (c) => c.notNull().unique())
          // Exactly one of the two: the team or the technician whose queue gets the requests.
          .addColumn('team_id', 'integer', (c) => c.references('teams.id').onDelete('set null'))
          .addColumn('technician_id', 'integer', (c) => c.references('technicians.id').onDelete('set null'))
          .addColumn('target_kind', 'text', (c) => c.notNull())
          .addColumn('target_name', 'text', (c) => c.notNull())
          .addColumn('created_by', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('expires_at', 'bigint', (c) => c.notNull())
          .addColumn('revoked_at', 'bigint')
          .execute();
        // One installed button: its own credential, valid as long as its token.
        await id(db.schema.createTable('support_buttons'))
          .addColumn('token_id', 'integer', (c) => c.notNull().references('button_tokens.id'))
          .addColumn('credential_hash', 'text', (c) => c.notNull().unique())
          .addColumn('hostname', 'text', (c) => c.notNull())
          .addColumn('os_user', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('last_pressed_at', 'bigint')
          .addColumn('revoked_at', 'bigint')
          .execute();
        // Technician chat outside sessions: to one technician or to a team.
        await id(db.schema.createTable('team_chat_messages'))
          .addColumn('sender_id', 'integer', (c) => c.notNull().references('technicians.id').onDelete('cascade'))
          // 'technician' | 'team'
          .addColumn('to_kind', 'text', (c) => c.notNull())
          .addColumn('to_id', 'integer', (c) => c.notNull())
          .addColumn('text', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('client_id', 'text')
          .execute();
        await db.schema.createIndex('team_chat_by_target').on('team_chat_messages').columns(['to_kind', 'to_id', 'id']).execute();
        await db.schema.createIndex('team_chat_once').on('team_chat_messages').columns(['sender_id', 'client_id']).unique().execute();
      },
    },
    '0008-participants': {
      async up(db: Kysely<unknown>) {
        // The technicians invited into a shared session besides its holder (requests.accepted_by).
        await db.schema.createTable('session_participants')
          .addColumn('request_id', 'text', (c) => c.notNull().references('requests.id'))
          .addColumn('technician_id', 'integer', (c) => c.notNull().references('technicians.id').onDelete('cascade'))
          .addColumn('invited_by', 'integer', (c) => c.notNull())
          .addColumn('joined_at', 'bigint', (c) => c.notNull())
          .addPrimaryKeyConstraint('session_participants_pk', ['request_id', 'technician_id'])
          .execute();
        await db.schema.createIndex('session_participants_by_technician').on('session_participants').column('technician_id').execute();
      },
    },
    '0006-escalation': {
      async up(db: Kysely<unknown>) {
        const id = <T extends string>(t: CreateTableBuilder<T>) => withAutoId(t, isPostgres);
        // Notes a technician leaves for whoever takes the session next (one per transfer).
        await id(db.schema.createTable('session_notes'))
          .addColumn('request_id', 'text', (c) => c.notNull().references('requests.id'))
          .addColumn('author_id', 'integer', (c) => c.notNull().references('technicians.id'))
          // 'transfer'
          .addColumn('kind', 'text', (c) => c.notNull())
          // Where it went, in words ("Bob Baker", "the Printers team").
          .addColumn('target', 'text', (c) => c.notNull())
          .addColumn('text', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('session_notes_by_request').on('session_notes').columns(['request_id', 'created_at']).execute();
      },
    },
    '0009-jump-wake': {
      async up(db: Kysely<unknown>) {
        // Where a passive jump client said it listens for wake datagrams at its last check-in (null: it cannot be woken).
        await db.schema.alterTable('jump_clients').addColumn('wake_address', 'text').execute();
        await db.schema.alterTable('jump_clients').addColumn('wake_port', 'integer').execute();
      },
    },
    '0010-chosen-status': {
      async up(db: Kysely<unknown>) {
        // A technician's busy or away, set by hand, kept across server restarts.
        await db.schema.alterTable('technicians').addColumn('chosen_status', 'text').execute();
      },
    },
    '0011-must-change-password': {
      async up(db: Kysely<unknown>) {
        // A one-time password (first-run admin, add-technician, reset-password): 1 until its owner chooses his own.
        await db.schema.alterTable('technicians').addColumn('must_change_password', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      },
    },
  };
}

export function migrationProvider(isPostgres: boolean): MigrationProvider {
  return { getMigrations: async () => migrations(isPostgres) };
}
