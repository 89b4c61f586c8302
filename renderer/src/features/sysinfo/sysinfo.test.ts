import { describe, expect, it } from 'vitest';
import {
  describeOs, filterByName, filterProcesses, formatBytes, formatUptime, parseSystemInfo, sortProcesses, toggleSort, type ProcessInfo,
} from './sysinfo.js';

const proc = (pid: number, name: string, cpuPercent = 0, memoryBytes = 0, over: Partial<ProcessInfo> = {}): ProcessInfo => ({
  pid, name, command: `/usr/bin/${name}`, user: 'bob', cpuPercent, memoryBytes, ...over,
});

const list = [proc(30, 'sshd', 0.5, 8e6), proc(4, 'Xorg', 12, 2e8), proc(120, 'bash', 0, 5e6), proc(7, 'firefox', 40, 9e8), proc(8, 'chrome', 12, 1e8)];

describe('process list', () => {
  it('sorts by name without regard to case, and by pid', () => {
    expect(sortProcesses(list, { key: 'name', dir: 'asc' }).map((p) => p.name)).toEqual(['bash', 'chrome', 'firefox', 'sshd', 'Xorg']);
    expect(sortProcesses(list, { key: 'pid', dir: 'desc' }).map((p) => p.pid)).toEqual([120, 30, 8, 7, 4]);
  });

  it('sorts by cpu and memory, ties in pid order, without touching the input', () => {
    const copy = [...list];
    expect(sortProcesses(list, { key: 'cpu', dir: 'desc' }).map((p) => p.pid)).toEqual([7, 4, 8, 30, 120]);
    expect(sortProcesses(list, { key: 'memory', dir: 'asc' }).map((p) => p.pid)).toEqual([120, 30, 8, 4, 7]);
    expect(list).toEqual(copy);
  });

  it('a click on the sorted column flips it; another column starts busiest-first for figures, A-Z for the rest', () => {
    expect(toggleSort({ key: 'cpu', dir: 'desc' }, 'cpu')).toEqual({ key: 'cpu', dir: 'asc' });
    expect(toggleSort({ key: 'cpu', dir: 'desc' }, 'memory')).toEqual({ key: 'memory', dir: 'desc' });
    expect(toggleSort({ key: 'cpu', dir: 'desc' }, 'name')).toEqual({ key: 'name', dir: 'asc' });
  });

  it('filters on name, command line and user, and on the exact pid', () => {
    expect(filterProcesses(list, '  SSH ').map((p) => p.pid)).toEqual([30]);
    expect(filterProcesses(list, '/usr/bin/ba').map((p) => p.pid)).toEqual([120]);
    expect(filterProcesses([...list, proc(9, 'cron', 0, 0, { user: 'root' })], 'root').map((p) => p.pid)).toEqual([9]);
    expect(filterProcesses(list, '7').map((p) => p.pid)).toEqual([7]);
    expect(filterProcesses(list, '')).toBe(list);
  });

  it('filters names for services and software', () => {
    expect(filterByName([{ name: 'LibreOffice' }, { name: 'git' }], 'office')).toEqual([{ name: 'LibreOffice' }]);
  });
});

describe('figures', () => {
  it('formats bytes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(250 * 1024 ** 3)).toBe('250 GiB');
    expect(formatBytes(-1)).toBe('–');
  });

  it('formats uptime coarsely', () => {
    expect(formatUptime(59)).toBe('0 min');
    expect(formatUptime(3 * 3600 + 5 * 60)).toBe('3 h 5 min');
    expect(formatUptime(2 * 86_400 + 7200)).toBe('2 d 2 h');
  });

  it('describes the OS from the parts it has', () => {
    expect(describeOs({ platform: 'linux', distro: 'Debian GNU/Linux', release: '12', kernel: '6.1.0', arch: 'x64', hostname: 'h' }))
      .toBe('Debian GNU/Linux 12 · kernel 6.1.0 · x64');
    expect(describeOs({ platform: 'win32', distro: '', release: '', kernel: '', arch: '', hostname: 'h' })).toBe('win32');
  });

  it('refuses system information that does not match the schema', () => {
    expect(() => parseSystemInfo({ os: 'hacked' })).toThrow(/cannot read/);
  });
});
