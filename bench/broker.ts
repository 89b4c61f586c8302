/**
 * `npm run -s bench -- broker`: one support server and N simulated active
 * jump clients (bench/broker-clients.ts, a separate process running the real
 * JumpLink), on loopback. Bounded: BENCH_JUMP_CLIENTS (default 2000, at most
 * 19500: every client is one socket in each process, and this machine allows a
 * process 20000 open files) and BENCH_DEADLINE_S (default 600); it stops by
 * itself. Prints:
 *   clients_held                  clients connected at full load
 *   ramp_s                        first client started -> all connected (the server's rate cap shapes this)
 *   server_rss_per_client_bytes   (server RSS with all connected - before any) / clients
 *   server_cpu_idle_percent       server CPU (% of one core) over 10 s with all connected and nothing happening but heartbeats (every 30 s per client)
 *   round_trip_ms                 console jump:start -> server -> jump client (answers the prompt over REST) -> server -> the console sees the consent {p50, p99}
 *   reconnect                     after a server restart: clients/s until all are back, and how long that took
 * Figures only; nothing here passes or fails.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { ROOT, apiPost, run, waitFor, type Proc } from '../e2e/harness.js';
import { quantile } from './session.js';

const N = Math.min(Number(process.env.BENCH_JUMP_CLIENTS ?? 2000), 19_500);
const DEADLINE_MS = Number(process.env.BENCH_DEADLINE_S ?? 600) * 1000;
const RAMP_PER_S = 500;
const SAMPLES = 200;
const IDLE_WINDOW_MS = 10_000;
const PASSWORD = 'bench password long enough';
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** The server as one Node process (tsx as a loader, not a wrapper), so /proc shows its own figures. */
function launchServer(dataDir: string, port: number): Promise<{ proc: Proc; url: string }> {
  const proc = run(process.execPath, ['--import', 'tsx', 'server/src/main.ts', '--port', String(port), '--data', dataDir], { LIFELINE_LOG_LEVEL: 'warn' });
  return waitFor('the server to listen', () => {
    if (proc.child.exitCode !== null) throw new Error(`the server exited:\n${proc.output()}`);
    const url = /support server on (http\S+)/.exec(proc.output())?.[1];
    return url ? { proc, url } : null;
  }, 60_000);
}

function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) * 1024;
}

function cpuSeconds(pid: number): number {
  // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

const progress = (msg: string) => process.stderr.write(`bench broker: ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits: number) => Number(n.toFixed(digits));

export async function benchBroker(): Promise<object> {
  const deadline = setTimeout(() => {
    process.stderr.write('bench broker: deadline reached, stopping\n');
    process.exit(3);
  }, DEADLINE_MS);
  deadline.unref();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-bench-broker-'));
  const admin = (args: string[], stdin?: string) => {
    const p = run(TSX, ['server/src/cli.ts', ...args, '--data', dataDir], {}, stdin);
    return p.exited.then((code) => {
      if (code !== 0) throw new Error(`admin ${args[0]} failed:\n${p.output()}`);
      return p.stdout();
    });
  };
  let server: { proc: Proc; url: string } | null = null;
  let clients: ChildProcess | null = null;
  try {
    await admin(['add-technician', 'bench', '--password-stdin'], `${PASSWORD}\n`);
    await admin(['add-jump-group', 'Bench', '--technicians', 'bench', '--prompt', '--prompt-timeout', '60']);
    const tokens = [...(await admin(['jump-token', '--group', 'Bench', '--count', String(N), '--expires', '1h'])).matchAll(/^token: (\S+)$/gm)].map((m) => m[1]!);
    server = await launchServer(dataDir, 0);
    const port = Number(new URL(server.url).port);

    // Enrol every simulated machine through the real endpoint.
    const credentials: string[] = [];
    const ids: number[] = [];
    for (let i = 0; i < tokens.length; i += 16) {
      const batch = await Promise.all(tokens.slice(i, i + 16).map((token, j) =>
        apiPost(`${server!.url}/api/jump/enroll`, { token, mode: 'active', info: { hostname: `sim-${i + j}`, user: 'bench', os: 'Simulated', elevated: false } })));
      for (const r of batch) {
        credentials.push(r.credential as string);
        ids.push(r.clientId as number);
      }
    }
    const credFile = path.join(dataDir, 'credentials.txt');
    fs.writeFileSync(credFile, `${credentials.join('\n')}\n`, { mode: 0o600 });
    await sleep(2000);
    const rssBefore = rssBytes(server.proc.child.pid!);

    // Ramp up the clients in their own process and wait until all hold a connection. Its stdin stays
    // open while the bench runs: when it closes (the bench ended or died), the clients stop.
    progress(`${N} clients enrolled; ramping up`);
    clients = spawn(process.execPath, ['--import', 'tsx', 'bench/broker-clients.ts', server.url, credFile, String(RAMP_PER_S), String(DEADLINE_MS)], {
      cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'],
    });
    let last: { online?: number; connects?: number } = {};
    let buffered = '';
    clients.stdout!.on('data', (d) => {
      buffered += String(d);
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        try {
          last = JSON.parse(line) as typeof last;
        } catch {
          // a partial or foreign line
        }
      }
    });
    const status = () => last;
    const rampStart = Date.now();
    await waitFor('every simulated client to connect', () => status().online === N, DEADLINE_MS);
    const rampS = (Date.now() - rampStart) / 1000;
    await sleep(5000);
    const rssLoaded = rssBytes(server.proc.child.pid!);
    const held = status().online ?? 0;

    const cpu0 = cpuSeconds(server.proc.child.pid!);
    await sleep(IDLE_WINDOW_MS);
    const cpuIdle = ((cpuSeconds(server.proc.child.pid!) - cpu0) / (IDLE_WINDOW_MS / 1000)) * 100;

    progress(`all ${N} connected; measuring round trips`);
    const roundTrips = await measureRoundTrips(server.url, ids);
    progress('restarting the server');

    // Restart: every client loses the server at once and comes back through backoff and the rate cap.
    await server.proc.stop();
    await waitFor('the clients to notice', () => (status().online ?? 0) < N / 2, 30_000);
    server = await launchServer(dataDir, port);
    const back0 = Date.now();
    await waitFor('every client to come back', () => status().online === N, DEADLINE_MS);
    const backS = (Date.now() - back0) / 1000;

    return {
      clients_target: N,
      clients_held: held,
      ramp_s: round(rampS, 1),
      server_rss_bytes: { before_clients: rssBefore, all_connected: rssLoaded },
      server_rss_per_client_bytes: Math.round((rssLoaded - rssBefore) / N),
      server_cpu_idle_percent: round(cpuIdle, 2),
      round_trip_ms: roundTrips,
      reconnect: { clients_per_s: round(N / backS, 1), all_back_s: round(backS, 1) },
      notes: 'one server process, clients in a second process, loopback; the server admits 200 jump connections/s (token bucket); heartbeats every 30 s',
    };
  } finally {
    if (clients && clients.exitCode === null) {
      const exited = new Promise((r) => clients!.once('exit', r));
      clients.stdin!.end();
      await Promise.race([exited, sleep(5000)]);
      clients.kill('SIGKILL');
    }
    await server?.proc.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
    clearTimeout(deadline);
  }
}

/**
 * A console starts sessions one after another on random clients; each
 * client answers the prompt at once. Measured: jump:start sent -> the
 * console receives the session's state with the consent the answer gave.
 */
async function measureRoundTrips(serverUrl: string, ids: number[]): Promise<{ p50: number; p99: number; samples: number }> {
  const { token } = (await apiPost(`${serverUrl}/api/login`, { username: 'bench', password: PASSWORD })) as { token: string };
  const ws = new WebSocket(`${serverUrl.replace(/^http/, 'ws')}/ws`);
  const seen = new Set<string>();
  let waiting: { resolve: (requestId: string) => void } | null = null;
  let current: string | null = null;
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { type: string; state?: { requestId: string; consent: { view: boolean } } };
    if (m.type !== 'session:state' || !m.state) return;
    if (!seen.has(m.state.requestId)) {
      seen.add(m.state.requestId);
      if (waiting && current === null) current = m.state.requestId;
    }
    if (waiting && m.state.requestId === current && m.state.consent.view) {
      const w = waiting;
      waiting = null;
      w.resolve(m.state.requestId);
    }
  });
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ type: 'hello', role: 'console', token }));
  await sleep(500);
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const clientId = ids[Math.floor(Math.random() * ids.length)]!;
    current = null;
    const t0 = performance.now();
    const requestId = await new Promise<string>((resolve, reject) => {
      waiting = { resolve };
      ws.send(JSON.stringify({ type: 'jump:start', clientId }));
      setTimeout(() => reject(new Error('no answer from the jump client')), 30_000).unref();
    });
    times.push(performance.now() - t0);
    ws.send(JSON.stringify({ type: 'session:end', requestId }));
  }
  ws.close();
  times.sort((a, b) => a - b);
  return { p50: round(quantile(times, 0.5), 2), p99: round(quantile(times, 0.99), 2), samples: times.length };
}
