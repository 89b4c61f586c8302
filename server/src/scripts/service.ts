/**
 * Canned scripts: administrators keep them on the server; a technician runs
 * one in a session with one click. The agent receives the script from the
 * server (never from the console) and every run's output is kept in the
 * session log.
 */
import { sql } from 'kysely';
import { LifelineError } from '../../../shared/errors.js';
import type { Db } from '../db/index.js';

export const SCRIPT_SHELLS = ['bash', 'sh', 'powershell', 'cmd'] as const;
export type ScriptShell = (typeof SCRIPT_SHELLS)[number];
/** Output kept per run; a runaway script must not fill the database. */
export const MAX_RUN_OUTPUT_CHARS = 256 * 1024;

export interface Script {
  id: number;
  name: string;
  description: string;
  shell: ScriptShell;
  body: string;
}

export class ScriptService {
  constructor(private readonly db: Db) {}

  async list(): Promise<Script[]> {
    const rows = await this.db.selectFrom('scripts').select(['id', 'name', 'description', 'shell', 'body']).orderBy('name').execute();
    return rows.map((r) => ({ ...r, shell: r.shell as ScriptShell }));
  }

  async get(id: number): Promise<Script> {
    const r = await this.db.selectFrom('scripts').select(['id', 'name', 'description', 'shell', 'body']).where('id', '=', id).executeTakeFirst();
    if (!r) throw new LifelineError('ERR_NOT_FOUND', 'That script no longer exists.');
    return { ...r, shell: r.shell as ScriptShell };
  }

  /** Creates or replaces the script with this name. */
  async save(input: { name: string; description: string; shell: ScriptShell; body: string }, by: string): Promise<Script> {
    if (!/^[\w .-]{1,80}$/.test(input.name)) throw new Error('A script name is 1-80 letters, digits, spaces, dots, dashes or underscores.');
    if (!SCRIPT_SHELLS.includes(input.shell)) throw new Error(`The shell must be one of: ${SCRIPT_SHELLS.join(', ')}.`);
    if (!input.body.trim()) throw new Error('The script is empty.');
    const values = { ...input, created_by: by, updated_at: Date.now() };
    await this.db
      .insertInto('scripts')
      .values(values)
      .onConflict((oc) => oc.column('name').doUpdateSet({ description: input.description, shell: input.shell, body: input.body, created_by: by, updated_at: values.updated_at }))
      .execute();
    const row = await this.db.selectFrom('scripts').select('id').where('name', '=', input.name).executeTakeFirstOrThrow();
    return this.get(row.id);
  }

  async remove(name: string): Promise<boolean> {
    const r = await this.db.deleteFrom('scripts').where('name', '=', name).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  async startRun(requestId: string, script: Script, technicianId: number): Promise<number> {
    const r = await this.db
      .insertInto('script_runs')
      .values({ request_id: requestId, script_id: script.id, script_name: script.name, technician_id: technicianId, started_at: Date.now(), output: '' })
      .returning('id')
      .executeTakeFirstOrThrow();
    return r.id;
  }

  /** Appends output, keeping at most MAX_RUN_OUTPUT_CHARS (one statement: no lost update). */
  async appendOutput(runId: number, chunk: string): Promise<void> {
    await this.db
      .updateTable('script_runs')
      .set({ output: sql<string>`substr(output || ${chunk}, 1, ${MAX_RUN_OUTPUT_CHARS})` })
      .where('id', '=', runId)
      .execute();
  }

  async finishRun(runId: number, exitCode: number): Promise<void> {
    await this.db.updateTable('script_runs').set({ finished_at: Date.now(), exit_code: exitCode }).where('id', '=', runId).where('finished_at', 'is', null).execute();
  }

  async runsFor(requestId: string) {
    return this.db.selectFrom('script_runs').selectAll().where('request_id', '=', requestId).orderBy('id').execute();
  }
}
