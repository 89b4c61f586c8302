import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuthService } from '../auth/service.js';
import { openDatabase, type Db } from '../db/index.js';
import { TeamService } from './service.js';

let dir: string;
let db: Db;
let teams: TeamService;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-teams-'));
  db = await openDatabase(dir);
  teams = new TeamService(db);
  const auth = new AuthService(db);
  for (const u of ['ann', 'bob']) await auth.createTechnician({ username: u, displayName: u, password: 'correct horse battery', role: 'technician' });
});
afterEach(async () => {
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('TeamService', () => {
  it('keeps teams with their routing, members and skills', async () => {
    await teams.save('Printers', 'skills');
    await teams.save('Network');
    await teams.addMember('Printers', 'ann', ['laser', 'laser', 'cups']);
    await teams.addMember('Printers', 'bob');
    await teams.addMember('Network', 'ann');
    expect((await teams.list()).map((t) => [t.name, t.routing])).toEqual([['Network', 'least_busy'], ['Printers', 'skills']]);
    const printers = await teams.byName('Printers');
    expect(await teams.members(printers.id)).toEqual([
      { technicianId: expect.any(Number), username: 'ann', skills: ['cups', 'laser'] },
      { technicianId: expect.any(Number), username: 'bob', skills: [] },
    ]);
    const ann = (await teams.members(printers.id))[0]!.technicianId;
    expect((await teams.teamsOf(ann)).map((t) => t.name)).toEqual(['Network', 'Printers']);
  });

  it('changes routing and skills in place, and removes members and teams', async () => {
    await teams.save('Printers');
    await teams.addMember('Printers', 'ann', ['laser']);
    await teams.addMember('Printers', 'ann', ['inkjet']);
    await teams.save('Printers', 'skills');
    const t = await teams.byName('Printers');
    expect(t.routing).toBe('skills');
    expect((await teams.members(t.id))[0]!.skills).toEqual(['inkjet']);
    expect(await teams.removeMember('Printers', 'ann')).toBe(true);
    expect(await teams.removeMember('Printers', 'ann')).toBe(false);
    expect(await teams.remove('Printers')).toBe(true);
    expect(await teams.remove('Printers')).toBe(false);
  });

  it('explains bad names, skills and unknown teams or technicians', async () => {
    await expect(teams.save('no/slash')).rejects.toThrow(/team name/);
    await teams.save('Printers');
    await expect(teams.addMember('Printers', 'ann', ['bad skill'])).rejects.toThrow(/not a skill/);
    await expect(teams.addMember('Nope', 'ann')).rejects.toThrow(/no team "Nope"/);
    await expect(teams.addMember('Printers', 'carl')).rejects.toThrow(/no technician "carl"/);
  });
});
