/**
 * Issue types: what a user picks on the portal when asking for help without
 * a code. Each sends requests to a team's queue and may name the skill a
 * member needs when that team routes by skills. Administrators keep them
 * with the admin CLI.
 */
import { ISSUE_TYPE_NAME } from '../../../shared/desk.js';
import { LifelineError } from '../../../shared/errors.js';
import type { Db } from '../db/index.js';

export interface IssueType {
  id: number;
  name: string;
  /** Null when its team was removed: requests then go to the general queue. */
  team: { id: number; name: string } | null;
  skill: string | null;
}

const SKILL = /^[\w.-]{1,40}$/;

export class IssueTypeService {
  constructor(private readonly db: Db) {}

  async list(): Promise<IssueType[]> {
    const rows = await this.db
      .selectFrom('issue_types')
      .leftJoin('teams', 'teams.id', 'issue_types.team_id')
      .select(['issue_types.id', 'issue_types.name', 'issue_types.skill', 'teams.id as team_id', 'teams.name as team_name'])
      .orderBy('issue_types.name')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      team: r.team_id != null && r.team_name != null ? { id: r.team_id, name: r.team_name } : null,
      skill: r.skill,
    }));
  }

  async byName(name: string): Promise<IssueType | null> {
    return (await this.list()).find((t) => t.name === name) ?? null;
  }

  /** Creates an issue type, or changes an existing one's team and skill. */
  async save(name: string, teamName: string, skill: string | null = null): Promise<IssueType> {
    if (!ISSUE_TYPE_NAME.test(name)) throw new Error('An issue type name is 1-80 letters, digits, spaces and simple punctuation, starting with a letter or digit.');
    if (skill !== null && !SKILL.test(skill)) throw new Error(`"${skill}" is not a skill name (letters, digits, dots, dashes, underscores).`);
    const team = await this.db.selectFrom('teams').select('id').where('name', '=', teamName).executeTakeFirst();
    if (!team) throw new LifelineError('ERR_NOT_FOUND', `There is no team "${teamName}".`);
    await this.db
      .insertInto('issue_types')
      .values({ name, team_id: team.id, skill, created_at: Date.now() })
      .onConflict((oc) => oc.column('name').doUpdateSet({ team_id: team.id, skill }))
      .execute();
    return (await this.byName(name))!;
  }

  async remove(name: string): Promise<boolean> {
    const res = await this.db.deleteFrom('issue_types').where('name', '=', name).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
}
