// Runs in a Node process of its own, started by sysinfo.ts: systeminformation
// calls execSync (hostname --fqdn, df, lscpu…), which would freeze the
// agent's screen stream and shells, and could hang it on a dead DNS server
// or network mount where no timer can fire. Each part is written as one
// JSON line as soon as it is read, so the agent keeps what arrived in time.
import si from 'systeminformation';

const parts = {
  os: () => si.osInfo(),
  users: () => si.users(),
  cpu: () => si.cpu(),
  load: () => si.currentLoad(),
  memory: () => si.mem(),
  disks: () => si.fsSize(),
  processes: () => si.processes(),
};

await Promise.all(Object.entries(parts).map(([name, read]) => read().then(
  (value) => process.stdout.write(`${JSON.stringify({ name, value })}\n`),
  (e) => process.stdout.write(`${JSON.stringify({ name, error: e instanceof Error ? e.message : String(e) })}\n`),
)));
// Writes to a pipe are synchronous on Linux, so nothing is lost; a handle systeminformation left open must not keep the agent waiting.
process.exit(0);
