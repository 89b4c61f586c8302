/**
 * Administration from the command line (`npm run admin -- <command>`):
 *   add-technician <username> [--name "Display Name"] [--admin] [--password-stdin]
 *   reset-password <username>
 *   grant <username> <tool...>      revoke <username> <tool...>
 *   add-script <name> --shell bash [--description "..."]   (body on stdin)
 *   remove-script <name>            list-scripts
 *   add-team <team> [--routing least_busy|skills]   remove-team <team>   list-teams
 *   add-member <team> <username> [--skills a,b]     remove-member <team> <username>
 *   add-issue-type <name> --team <team> [--skill s]  remove-issue-type <name>  list-issue-types
 *   add-jump-group, jump-token, list-jump-clients, ... (see server/src/jump/admin.ts)
 *   button-token, list-buttons, revoke-button-token, revoke-button (see server/src/buttons/admin.ts)
 * Every command takes [--data DIR]. Tools: view control files sysinfo shell shell_elevated scripts.
 */
import { parseArgs } from 'node:util';
import { Tool } from '../../shared/permissions.js';
import { AuthService } from './auth/service.js';
import { randomSecret } from './crypto.js';
import { openDatabase, type Db } from './db/index.js';
import { SCRIPT_SHELLS, ScriptService, type ScriptShell } from './scripts/service.js';
import { TeamService, type RoutingMode } from './teams/service.js';
import { DESK_OPTIONS, DESK_USAGE, deskCommands } from './queue/admin.js';
import { JUMP_OPTIONS, JUMP_USAGE, jumpCommands } from './jump/admin.js';
import { BUTTON_OPTIONS, BUTTON_USAGE, buttonCommands } from './buttons/admin.js';

const USAGE = `usage: lifeline-admin <command> [--data DIR]
  add-technician <username> [--name "Display Name"] [--admin] [--password-stdin]
  reset-password <username>   (a new one-time password; the account's sign-ins end)
  grant <username> <tool...> | revoke <username> <tool...>
  add-script <name> --shell ${SCRIPT_SHELLS.join('|')} [--description "..."]   (script body on stdin)
  remove-script <name> | list-scripts
  add-team <team> [--routing least_busy|skills] | remove-team <team> | list-teams
  add-member <team> <username> [--skills a,b] | remove-member <team> <username>
${DESK_USAGE}
${JUMP_USAGE}
${BUTTON_USAGE}
tools: ${Tool.options.join(' ')}
`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string' },
    admin: { type: 'boolean', default: false },
    'password-stdin': { type: 'boolean', default: false },
    shell: { type: 'string', default: 'bash' },
    description: { type: 'string', default: '' },
    routing: { type: 'string', default: 'least_busy' },
    skills: { type: 'string', default: '' },
    data: { type: 'string', default: process.env.LIFELINE_DATA ?? 'data' },
    ...DESK_OPTIONS,
    ...JUMP_OPTIONS,
    ...BUTTON_OPTIONS,
  },
});

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function tools(names: string[]): Tool[] {
  const parsed = Tool.array().min(1).safeParse(names);
  if (!parsed.success) throw new Error(`Name one or more tools: ${Tool.options.join(' ')}`);
  return parsed.data;
}

const COMMANDS: Record<string, (db: Db, args: string[]) => Promise<string>> = {
  async 'add-technician'(db, [username]) {
    if (!username) throw new Error(USAGE);
    // A printed password is one-time: its owner chooses his own at first sign-in. One from stdin is the administrator's choice, for scripted setups.
    const printed = !values['password-stdin'];
    const password = printed ? randomSecret(12) : (await readStdin()).replace(/\r?\n$/, '');
    const tech = await new AuthService(db).createTechnician({
      username, displayName: values.name ?? username, password, role: values.admin ? 'admin' : 'technician', mustChangePassword: printed,
    });
    return `Added ${tech.role} "${tech.username}" (${tech.displayName}).${printed ? `\n  one-time password: ${password}\n  ${tech.username} chooses his own at first sign-in.` : ''}`;
  },
  async 'reset-password'(db, [username]) {
    if (!username) throw new Error(USAGE);
    const password = await new AuthService(db).resetPassword(username);
    return `Reset the password of "${username}"; his sign-ins have ended (a running server closes his open consoles within 30 s).\n  one-time password: ${password}\n  ${username} chooses his own at next sign-in.`;
  },
  async grant(db, [username, ...names]) {
    const now = await new AuthService(db).changePermissions(username ?? '', tools(names), true);
    return `${username} may now: ${now.join(', ')}`;
  },
  async revoke(db, [username, ...names]) {
    const now = await new AuthService(db).changePermissions(username ?? '', tools(names), false);
    return `${username} may now: ${now.join(', ') || 'nothing'}`;
  },
  async 'add-script'(db, [name]) {
    if (!name) throw new Error(USAGE);
    const script = await new ScriptService(db).save(
      { name, description: values.description, shell: values.shell as ScriptShell, body: await readStdin() },
      'cli',
    );
    return `Saved script "${script.name}" (${script.shell}).`;
  },
  async 'remove-script'(db, [name]) {
    return (await new ScriptService(db).remove(name ?? '')) ? `Removed script "${name}".` : `No script named "${name}".`;
  },
  async 'add-team'(db, [name]) {
    if (!name) throw new Error(USAGE);
    const team = await new TeamService(db).save(name, values.routing as RoutingMode);
    return `Team "${team.name}" routes by ${team.routing}.`;
  },
  async 'remove-team'(db, [name]) {
    return (await new TeamService(db).remove(name ?? '')) ? `Removed team "${name}".` : `No team named "${name}".`;
  },
  async 'list-teams'(db) {
    const teams = new TeamService(db);
    const list = await teams.list();
    if (!list.length) return 'No teams yet.';
    const lines = await Promise.all(list.map(async (t) => {
      const members = await teams.members(t.id);
      return `${t.name} (${t.routing}): ${members.map((m) => (m.skills.length ? `${m.username} [${m.skills.join(', ')}]` : m.username)).join(', ') || 'no members'}`;
    }));
    return lines.join('\n');
  },
  async 'add-member'(db, [team, username]) {
    if (!team || !username) throw new Error(USAGE);
    const skills = values.skills.split(',').map((s) => s.trim()).filter(Boolean);
    await new TeamService(db).addMember(team, username, skills);
    return `${username} is in team "${team}"${skills.length ? ` with skills ${skills.join(', ')}` : ''}.`;
  },
  async 'remove-member'(db, [team, username]) {
    if (!team || !username) throw new Error(USAGE);
    return (await new TeamService(db).removeMember(team, username)) ? `${username} left team "${team}".` : `${username} was not in team "${team}".`;
  },
  async 'list-scripts'(db) {
    const list = await new ScriptService(db).list();
    return list.length ? list.map((s) => `${s.name} (${s.shell}) ${s.description}`).join('\n') : 'No scripts yet.';
  },
};

Object.assign(COMMANDS, jumpCommands(values));

Object.assign(COMMANDS, deskCommands(values));

Object.assign(COMMANDS, buttonCommands(values));

const [command, ...args] = positionals;
const run = command ? COMMANDS[command] : undefined;
if (!run) {
  process.stderr.write(USAGE);
  process.exit(2);
}
const db = await openDatabase(values.data);
try {
  process.stdout.write(`${await run(db, args)}\n`);
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
} finally {
  await db.destroy();
}
