import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../shared/errors.js';
import { SystemInfo } from '../../../shared/tools.js';
import { ToolsHost, type ToolPermission } from './host.js';
import { collectSystemInfo, fitResult, parseDpkgList, parseSystemdServices } from './sysinfo.js';
import { TestToolsConsole } from './testing.js';

function setup(refusals: Partial<Record<ToolPermission, ErrorCode>> = {}) {
  const console = new TestToolsConsole();
  const logs: string[] = [];
  const host = new ToolsHost({ channel: console.channel, allowed: (tool) => refusals[tool] ?? null, onElevatedCommand: () => {}, log: (m) => logs.push(m) });
  console.to = (m) => host.receive(m);
  return { console, host, logs };
}

/** `sleep` with a fractional duration nobody else uses, to find it in the process list. */
function startSleeper(): { child: ChildProcess; arg: string; exited: Promise<NodeJS.Signals | null> } {
  const arg = `30.${Math.floor(Math.random() * 1e9)}`;
  const child = spawn('sleep', [arg], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
  return { child, arg, exited };
}

describe('system information', () => {
  const sleeper = startSleeper();
  afterAll(() => {
    sleeper.child.kill('SIGKILL');
  });

  it('describes this machine, including a process the test started, and survives fragmentation', async () => {
    const { console, host } = setup();
    const r = await console.request({ t: 'sysinfo:get' }, 25_000);
    expect(r).toMatchObject({ ok: true });
    const info = SystemInfo.parse(r.ok ? r.value : null);
    expect(info.os.hostname).toBe(os.hostname());
    expect(info.cpu.cores).toBe(os.cpus().length);
    expect(info.memory.total).toBeGreaterThan(0);
    expect(info.disks.length).toBeGreaterThan(0);
    expect(info.network.some((n) => n.iface === 'lo')).toBe(true);
    expect(info.processes.find((p) => p.pid === sleeper.child.pid)).toMatchObject({ name: 'sleep', command: expect.stringContaining(sleeper.arg) });
    expect(info.processes.find((p) => p.pid === process.pid)).toBeTruthy();
    if (existsSync('/var/lib/dpkg/status')) expect(info.software.find((s) => s.name === 'bash')?.version).toMatch(/\d/);
    expect(info.services === null).toBe(!existsSync('/run/systemd/system'));
    // Larger than one channel message here, so it arrived in `json part`s and was reassembled.
    if (JSON.stringify(r).length > 64 * 1024) expect(console.parts).toBeGreaterThan(1);
    await host.dispose();
  });

  it('answers without the parts that take too long', async () => {
    const logs: string[] = [];
    const info = await collectSystemInfo({ log: (m) => logs.push(m), partTimeoutMs: 1 });
    expect(info.os.hostname).toBe(os.hostname());
    expect(info.processes).toEqual([]);
    expect(logs.join('\n')).toContain('sent without os, users, cpu, load, memory, disks, processes');
  });

  it('is refused without the sysinfo permission', async () => {
    const { console } = setup({ sysinfo: 'ERR_PERMISSION' });
    expect(await console.request({ t: 'sysinfo:get' })).toMatchObject({ ok: false, code: 'ERR_PERMISSION', message: 'You are not allowed to read system information.' });
  });

  it('reads systemd units and dpkg lists', () => {
    const units = 'cron.service loaded active running Regular background program processing daemon\nssh.service loaded inactive dead OpenBSD Secure Shell server\nfoo.socket loaded active listening Foo\n';
    const files = 'cron.service enabled enabled\nssh.service disabled enabled\ngetty@.service enabled enabled\nsystemd-fsck-root.service static -\nbar.service masked enabled\n';
    expect(parseSystemdServices(units, files)).toEqual([
      { name: 'bar', running: false, enabled: false },
      { name: 'cron', running: true, enabled: true },
      { name: 'ssh', running: false, enabled: false },
      { name: 'systemd-fsck-root', running: false, enabled: null },
    ]);
    expect(parseDpkgList('ii \tbash\t5.2.15-2+b7\nrc \told\t1.0\nhi \theld\t2:1.0\n')).toEqual([
      { name: 'bash', version: '5.2.15-2+b7' },
      { name: 'held', version: '2:1.0' },
    ]);
  });

  it('shortens an answer too large for the console', () => {
    const base = { pid: 1, name: 'p', user: 'u', cpuPercent: 0, memoryBytes: 0 };
    const huge: SystemInfo = {
      os: { platform: 'linux', distro: '', release: '', kernel: '', arch: '', hostname: 'h' },
      uptimeSeconds: 1, users: [], cpu: { brand: '', cores: 1, physicalCores: 1, speedGHz: 0, loadPercent: 0 },
      memory: { total: 1, used: 0, available: 1 }, disks: [], network: [], services: null,
      processes: Array.from({ length: 20_000 }, (_, i) => ({ ...base, pid: i, command: 'x'.repeat(1000) })),
      software: Array.from({ length: 50_000 }, (_, i) => ({ name: `package-${i}`, version: '1.0' })),
    };
    const logs: string[] = [];
    const fitted = fitResult(huge, (m) => logs.push(m));
    expect(Buffer.byteLength(JSON.stringify(fitted))).toBeLessThan(8 * 1024 * 1024);
    expect(fitted.processes.length).toBeGreaterThan(1000);
    expect(fitted.processes[0]!.command).toHaveLength(256);
    expect(logs).toHaveLength(1);
  });
});

describe('process:kill', () => {
  let sleeper: ReturnType<typeof startSleeper>;
  beforeAll(() => {
    sleeper = startSleeper();
  });
  afterAll(() => {
    sleeper.child.kill('SIGKILL');
  });

  it('ends a process with SIGTERM', async () => {
    const { console } = setup();
    expect(await console.request({ t: 'process:kill', pid: sleeper.child.pid! })).toMatchObject({ ok: true });
    expect(await sleeper.exited).toBe('SIGTERM');
  });

  it('refuses the agent itself, unknown processes, and a technician without control', async () => {
    const { console } = setup();
    expect(await console.request({ t: 'process:kill', pid: process.pid })).toMatchObject({ ok: false, code: 'ERR_PERMISSION', message: expect.stringContaining('support client itself') });
    expect(await console.request({ t: 'process:kill', pid: 2 ** 31 - 1 })).toMatchObject({ ok: false, code: 'ERR_NOT_FOUND' });
    expect(await console.request({ t: 'process:kill', pid: 2 ** 40 })).toMatchObject({ ok: false, code: 'ERR_NOT_FOUND' });
    const noControl = setup({ control: 'ERR_CONSENT' }).console;
    const other = startSleeper();
    expect(await noControl.request({ t: 'process:kill', pid: other.child.pid! })).toMatchObject({ ok: false, code: 'ERR_CONSENT' });
    expect(other.child.exitCode).toBeNull();
    other.child.kill('SIGKILL');
  });
});
