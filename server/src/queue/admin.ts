/**
 * The admin CLI's issue-type commands (server/src/cli.ts wires them in).
 * They write the database directly; a running server reads issue types on
 * each portal request, so changes apply at once.
 */
import type { Db } from '../db/index.js';
import { IssueTypeService } from './issue-types.js';

export const DESK_OPTIONS = {
  team: { type: 'string' },
  skill: { type: 'string' },
} as const;

export interface DeskCliValues {
  team?: string;
  skill?: string;
}

export const DESK_USAGE = `  add-issue-type <name> --team <team> [--skill <skill>] | remove-issue-type <name> | list-issue-types`;

export function deskCommands(values: DeskCliValues): Record<string, (db: Db, args: string[]) => Promise<string>> {
  return {
    async 'add-issue-type'(db, [name]) {
      if (!name || !values.team) throw new Error(`usage:\n${DESK_USAGE}`);
      const type = await new IssueTypeService(db).save(name, values.team, values.skill || null);
      return `Issue type "${type.name}" goes to team "${type.team?.name}"${type.skill ? ` (members with skill ${type.skill})` : ''}.`;
    },
    async 'remove-issue-type'(db, [name]) {
      return (await new IssueTypeService(db).remove(name ?? '')) ? `Removed issue type "${name}".` : `No issue type named "${name}".`;
    },
    async 'list-issue-types'(db) {
      const list = await new IssueTypeService(db).list();
      if (!list.length) return 'No issue types yet: portal requests go to the general queue.';
      return list.map((t) => `${t.name} -> ${t.team ? `team ${t.team.name}` : 'general queue (team removed)'}${t.skill ? ` [skill ${t.skill}]` : ''}`).join('\n');
    },
  };
}
