/**
 * Administration from the command line.
 *   lifeline-admin add-technician <username> [--name "Display Name"] [--admin] [--password-stdin] [--data ./data]
 * Without --password-stdin a password is generated and printed once.
 */
import { parseArgs } from 'node:util';
import { AuthService } from './auth/service.js';
import { randomSecret } from './crypto.js';
import { openDatabase } from './db/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    name: { type: 'string' },
    admin: { type: 'boolean', default: false },
    'password-stdin': { type: 'boolean', default: false },
    data: { type: 'string', default: process.env.LIFELINE_DATA ?? 'data' },
  },
});

const [command, username] = positionals;
if (command !== 'add-technician' || !username) {
  process.stderr.write('usage: lifeline-admin add-technician <username> [--name "Display Name"] [--admin] [--password-stdin] [--data DIR]\n');
  process.exit(2);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

const db = await openDatabase(values.data);
try {
  const password = values['password-stdin'] ? await readStdin() : randomSecret(12);
  const tech = await new AuthService(db).createTechnician({
    username,
    displayName: values.name ?? username,
    password,
    role: values.admin ? 'admin' : 'technician',
  });
  process.stdout.write(`Added ${tech.role} "${tech.username}" (${tech.displayName}).\n`);
  if (!values['password-stdin']) process.stdout.write(`  password: ${password}\n`);
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
} finally {
  await db.destroy();
}
