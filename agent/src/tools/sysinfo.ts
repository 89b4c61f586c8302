/**
 * Collects the `SystemInfo` a technician sees: systeminformation where it
 * covers an item (in a probe process, see sysinfo-probe.mjs), the kernel's
 * own interfaces and the package and service managers' tools where it does
 * not. Every part is bounded in time and falls back to an empty value, so a
 * hanging `df` on a dead network mount costs that part, not the answer.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Systeminformation as Si } from 'systeminformation';
import { MAX_JSON_RESULT_BYTES } from '../../../shared/frames.js';
import { SystemInfo } from '../../../shared/tools.js';

const run = promisify(execFile);

export const PART_TIMEOUT_MS = 10_000;
/** What the answer may take of the console's reassembly limit (the rest is the envelope and headroom). */
const RESULT_BUDGET_BYTES = MAX_JSON_RESULT_BYTES - 256 * 1024;
/** The probe's output is dropped past this (a process list this long would be cut anyway). */
const MAX_PROBE_OUTPUT_CHARS = 64 * 1024 * 1024;
const PROBE = fileURLToPath(new URL('./sysinfo-probe.mjs', import.meta.url));

export interface CollectOptions {
  log: (msg: string) => void;
  partTimeoutMs?: number;
}

const PROBED_PARTS = ['os', 'users', 'cpu', 'load', 'memory', 'disks', 'processes'] as const;

/** What sysinfo-probe.mjs reports, by part name. */
interface Probed {
  os?: Si.OsData;
  users?: Si.UserData[];
  cpu?: Si.CpuData;
  load?: Si.CurrentLoadData;
  memory?: Si.MemData;
  disks?: Si.FsSizeData[];
  processes?: Si.ProcessesData;
}

type Services = SystemInfo['services'];
type Software = SystemInfo['software'];

export async function collectSystemInfo(opts: CollectOptions): Promise<SystemInfo> {
  const limit = opts.partTimeoutMs ?? PART_TIMEOUT_MS;
  const failed = (name: string) => (e: unknown) => {
    opts.log(`system information: reading ${name} failed: ${e instanceof Error ? e.message : String(e)}`);
    return null;
  };
  const [p, network, services, software] = await Promise.all([
    probe(limit, opts.log),
    networkInterfaces().catch(failed('the network interfaces')),
    systemdServices(limit).catch(failed('the services')),
    debianPackages(limit).catch(failed('the installed software')),
  ]);
  const info: SystemInfo = {
    os: {
      platform: clip(p.os?.platform ?? os.platform()),
      distro: clip(p.os?.distro),
      release: clip(p.os?.release),
      kernel: clip(p.os?.kernel ?? os.release()),
      arch: clip(p.os?.arch ?? os.arch()),
      hostname: clip(os.hostname()),
    },
    uptimeSeconds: amount(os.uptime()),
    users: (p.users ?? []).slice(0, 200).map((u) => ({ user: clip(u.user), terminal: clip(u.tty), since: clip(`${u.date} ${u.time}`.trim()) })),
    cpu: {
      brand: clip([p.cpu?.manufacturer, p.cpu?.brand].filter(Boolean).join(' ') || os.cpus()[0]?.model),
      cores: Math.trunc(amount(p.cpu?.cores ?? os.cpus().length)),
      physicalCores: Math.trunc(amount(p.cpu?.physicalCores)),
      speedGHz: amount(p.cpu?.speed),
      loadPercent: amount(p.load?.currentLoad),
    },
    // "Used" as people mean it: what programs hold, not what the page cache borrows.
    memory: p.memory
      ? { total: amount(p.memory.total), used: amount(p.memory.total - p.memory.available), available: amount(p.memory.available) }
      : { total: os.totalmem(), used: os.totalmem() - os.freemem(), available: os.freemem() },
    disks: (p.disks ?? []).slice(0, 200).map((d) => ({
      mount: clip(d.mount, 1024), fs: clip(d.fs, 1024), type: clip(d.type), size: amount(d.size), used: amount(d.used), available: amount(d.available),
    })),
    network: (network ?? []).slice(0, 200),
    processes: (p.processes?.list ?? []).slice(0, 20_000).map((proc) => ({
      pid: proc.pid,
      name: clip(proc.name),
      command: clip([proc.command, proc.params].filter(Boolean).join(' '), 4096),
      user: clip(proc.user),
      cpuPercent: amount(proc.cpu),
      memoryBytes: amount(proc.memRss * 1024),
    })),
    services,
    software: software ?? [],
  };
  return SystemInfo.parse(fitResult(info, opts.log));
}

/** Runs sysinfo-probe.mjs and keeps the parts it reports within `ms`; then it and its children are killed. */
async function probe(ms: number, log: (msg: string) => void): Promise<Probed> {
  const got: Record<string, unknown> = {};
  // Its own process group, so a hanging `df` dies with it.
  const child = spawn(process.execPath, [PROBE], { stdio: ['ignore', 'pipe', 'ignore'], detached: true });
  let pending = '';
  let chars = 0;
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    chars += text.length;
    if (chars > MAX_PROBE_OUTPUT_CHARS) return;
    const lines = (pending + text).split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      try {
        const r = JSON.parse(line) as { name: string; value?: unknown; error?: string };
        if (r.error !== undefined) log(`system information: reading ${r.name} failed: ${r.error}`);
        else got[r.name] = r.value;
      } catch {
        log('system information: the probe wrote something that is not JSON');
      }
    }
  });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      log(`system information: ${ms} ms passed; sent without ${PROBED_PARTS.filter((n) => !(n in got)).join(', ')}`);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
      resolve();
    }, ms);
    child.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('error', (e) => {
      log(`system information: the probe did not start: ${e.message}`);
      clearTimeout(timer);
      resolve();
    });
  });
  return got as Probed;
}

/**
 * Every interface the kernel knows, with its first IPv4 and its first
 * global IPv6 address. Read here rather than through systeminformation,
 * which runs nmcli and DHCP lookups per interface for fields we do not show.
 */
async function networkInterfaces(): Promise<SystemInfo['network']> {
  const addresses = os.networkInterfaces();
  let names: string[];
  try {
    names = await readdir('/sys/class/net');
  } catch {
    names = Object.keys(addresses); // not Linux: only interfaces with an address
  }
  const sysfs = (iface: string, file: string) => readFile(`/sys/class/net/${iface}/${file}`, 'utf8').then((t) => t.trim(), () => '');
  return Promise.all(names.sort().map(async (iface) => {
    const addrs = addresses[iface] ?? [];
    const ip6 = addrs.find((a) => a.family === 'IPv6' && !a.address.startsWith('fe80:')) ?? addrs.find((a) => a.family === 'IPv6');
    const state = await sysfs(iface, 'operstate');
    return {
      iface: clip(iface),
      ip4: clip(addrs.find((a) => a.family === 'IPv4')?.address),
      ip6: clip(ip6?.address),
      mac: clip(addrs[0]?.mac ?? (await sysfs(iface, 'address'))),
      // Loopback and tunnels say "unknown" while they carry traffic.
      up: state === 'up' || ((state === 'unknown' || state === '') && addrs.length > 0),
    };
  }));
}

/**
 * Null unless systemd runs (the check sd_booted(3) makes). systemctl rather
 * than `si.services`: that one judges "running" by searching `ps` output
 * for the name.
 */
async function systemdServices(timeout: number): Promise<Services> {
  if (!existsSync('/run/systemd/system')) return null;
  const systemctl = (...args: string[]) =>
    run('systemctl', [...args, '--type=service', '--no-legend', '--plain', '--no-pager'], { timeout, maxBuffer: 16 * 1024 * 1024 }).then((r) => r.stdout);
  const [units, files] = await Promise.all([systemctl('list-units', '--all'), systemctl('list-unit-files')]);
  return parseSystemdServices(units, files);
}

/** Joins `systemctl list-units --all` (running or not) and `list-unit-files` (enabled or not) by unit name. */
export function parseSystemdServices(units: string, files: string): NonNullable<Services> {
  const running = new Map<string, boolean>();
  for (const line of units.split('\n')) {
    const [unit, , , sub] = line.trim().split(/\s+/);
    if (unit?.endsWith('.service')) running.set(unit.slice(0, -'.service'.length), sub === 'running');
  }
  const enabled = new Map<string, boolean | null>();
  for (const line of files.split('\n')) {
    const [unit, state] = line.trim().split(/\s+/);
    // Templates (foo@.service) are not services until instantiated.
    if (!unit?.endsWith('.service') || unit.endsWith('@.service')) continue;
    const name = unit.slice(0, -'.service'.length);
    enabled.set(name, state === 'enabled' || state === 'enabled-runtime' ? true : state === 'disabled' || state === 'masked' ? false : null);
  }
  const names = [...new Set([...running.keys(), ...enabled.keys()])].sort();
  return names.slice(0, 5000).map((name) => ({ name: clip(name), running: running.get(name) ?? false, enabled: enabled.get(name) ?? null }));
}

/** Installed Debian packages; empty where there is no dpkg. */
async function debianPackages(timeout: number): Promise<Software> {
  let stdout: string;
  try {
    ({ stdout } = await run('dpkg-query', ['-W', '-f=${db:Status-Abbrev}\t${Package}\t${Version}\n'], { timeout, maxBuffer: 64 * 1024 * 1024 }));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return parseDpkgList(stdout);
}

/** Keeps packages whose files are installed ("ii", "hi"), not those removed with their configuration kept ("rc"). */
export function parseDpkgList(stdout: string): Software {
  const out: Software = [];
  for (const line of stdout.split('\n')) {
    const [status, name, version] = line.split('\t');
    if (status?.[1] !== 'i' || !name) continue;
    out.push({ name: clip(name), version: clip(version) });
    if (out.length === 50_000) break;
  }
  return out;
}

/**
 * Keeps the answer under the console's reassembly limit: long command lines
 * are shortened first, then the longer list is halved until it fits.
 */
export function fitResult(info: SystemInfo, log: (msg: string) => void): SystemInfo {
  const size = () => Buffer.byteLength(JSON.stringify(info));
  if (size() <= RESULT_BUDGET_BYTES) return info;
  info = { ...info, processes: info.processes.map((p) => ({ ...p, command: p.command.slice(0, 256) })) };
  while (size() > RESULT_BUDGET_BYTES && info.processes.length + info.software.length > 0) {
    if (info.processes.length >= info.software.length) info = { ...info, processes: info.processes.slice(0, Math.floor(info.processes.length / 2)) };
    else info = { ...info, software: info.software.slice(0, Math.floor(info.software.length / 2)) };
  }
  log(`system information shortened to fit the result limit (${info.processes.length} processes, ${info.software.length} packages)`);
  return info;
}

function clip(s: string | null | undefined, max = 512): string {
  return (s ?? '').slice(0, max);
}

/** Schema-safe quantity: systeminformation reports unknowns as null, NaN or -1. */
function amount(n: number | null | undefined): number {
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : 0;
}
