/**
 * Teams: a name, how its queue is routed, and its members with their skills.
 * Team queues, routing and jump-group policies build on this.
 */
import { LifelineError } from '../../../shared/errors.js';
import type { Db } from '../db/index.js';

export const ROUTING_MODES = ['least_busy', 'skills'] as const;
export type RoutingMode = (typeof ROUTING_MODES)[number];

export interface Team {
  id: number;
  name: string;
  routing: RoutingMode;
}

export interface TeamMember {
  technicianId: number;
  username: string;
  skills: string[];
}

const NAME = /^[\w .-]{1,80}$/;
const SKILL = /^[\w.-]{1,40}$/;

export class TeamService {
  constructor(private readonly db: Db) {}

  async list(): Promise<Team[]> {
    return (await this.db.selectFrom('teams').select(['id', 'name', 'routing']).orderBy('name').execute()) as Team[];
  }

  async byName(name: string): Promise<Team> {
    const t = await this.db.selectFrom('teams').select(['id', 'name', 'routing']).where('name', '=', name).executeTakeFirst();
    if (!t) throw new LifelineError('ERR_NOT_FOUND', `There is no team "${name}".`);
    return t as Team;
  }

  /** Creates a team, or changes an existing team's routing. */
  async save(name: string, routing: RoutingMode = 'least_busy'): Promise<Team> {
    if (!NAME.test(name)) throw new Error('A team name is 1-80 letters, digits, spaces, dots, dashes or underscores.');
    if (!ROUTING_MODES.includes(routing)) throw new Error(`Routing is one of: ${ROUTING_MODES.join(', ')}.`);
    await this.db
      .insertInto('teams')
      .values({ name, routing, created_at: Date.now() })
      .onConflict((oc) => oc.column('name').doUpdateSet({ routing }))
      .execute();
    return this.byName(name);
  }

  async remove(name: string): Promise<boolean> {
    const team = await this.byName(name).catch(() => null);
    if (!team) return false;
    await this.db.deleteFrom('team_members').where('team_id', '=', team.id).execute();
    await this.db.deleteFrom('teams').where('id', '=', team.id).execute();
    return true;
  }

  /** Adds a technician to a team, or replaces his skills there. */
  async addMember(teamName: string, username: string, skills: string[] = []): Promise<void> {
    const bad = skills.find((s) => !SKILL.test(s));
    if (bad !== undefined) throw new Error(`"${bad}" is not a skill name (letters, digits, dots, dashes, underscores).`);
    const team = await this.byName(teamName);
    const tech = await this.db.selectFrom('technicians').select('id').where('username', '=', username).executeTakeFirst();
    if (!tech) throw new LifelineError('ERR_NOT_FOUND', `There is no technician "${username}".`);
    await this.db
      .insertInto('team_members')
      .values({ team_id: team.id, technician_id: tech.id, skills: JSON.stringify([...new Set(skills)].sort()) })
      .onConflict((oc) => oc.columns(['team_id', 'technician_id']).doUpdateSet({ skills: JSON.stringify([...new Set(skills)].sort()) }))
      .execute();
  }

  async removeMember(teamName: string, username: string): Promise<boolean> {
    const team = await this.byName(teamName);
    const tech = await this.db.selectFrom('technicians').select('id').where('username', '=', username).executeTakeFirst();
    if (!tech) return false;
    const res = await this.db.deleteFrom('team_members').where('team_id', '=', team.id).where('technician_id', '=', tech.id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  async members(teamId: number): Promise<TeamMember[]> {
    const rows = await this.db
      .selectFrom('team_members')
      .innerJoin('technicians', 'technicians.id', 'team_members.technician_id')
      .select(['team_members.technician_id', 'technicians.username', 'team_members.skills'])
      .where('team_members.team_id', '=', teamId)
      .orderBy('technicians.username')
      .execute();
    return rows.map((r) => ({ technicianId: r.technician_id, username: r.username, skills: JSON.parse(r.skills) as string[] }));
  }

  /** The teams a technician belongs to. */
  async teamsOf(technicianId: number): Promise<Team[]> {
    return (await this.db
      .selectFrom('teams')
      .innerJoin('team_members', 'team_members.team_id', 'teams.id')
      .select(['teams.id', 'teams.name', 'teams.routing'])
      .where('team_members.technician_id', '=', technicianId)
      .orderBy('teams.name')
      .execute()) as Team[];
  }
}
