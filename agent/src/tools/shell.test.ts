import path from 'node:path';
import os from 'node:os';
import fs from 'node:fs';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { ErrorCode } from '../../../shared/errors.js';
import { SHELL_OUTPUT_WINDOW } from '../../../shared/tools.js';
import type { ShellAccount } from './accounts.js';
import { MAX_SHELLS, ToolsHost, type ToolPermission } from './host.js';
import { MAX_CHANNEL_BACKLOG } from './pacer.js';
import { sleep, TestToolsConsole, until } from './testing.js';

const run = promisify(execFile);

/** node-pty reads the pty in chunks of at most this much (libuv's read buffer). */
const READ_CHUNK = 64 * 1024;

/**
 * Test shells start in an empty home: the machine's own login scripts (here
 * root's pyenv init, which waits a minute on a stale lock) are not under test.
 */
const cleanHome = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-shell-home-'));
fs.chmodSync(cleanHome, 0o755);
const root: ShellAccount = { name: 'root', uid: 0, gid: 0, home: cleanHome, shell: '/bin/bash' };
const nobody: ShellAccount = { name: 'nobody', uid: 65534, gid: 65534, home: '/nonexistent', shell: '/bin/bash' };
const amRoot = process.getuid?.() === 0;
const self: ShellAccount = amRoot ? root : { name: 'me', uid: process.getuid!(), gid: process.getgid!(), home: cleanHome, shell: '/bin/bash' };

const unique = () => randomBytes(6).toString('hex');

describe('shells on the tools channel', () => {
  let hosts: ToolsHost[] = [];
  afterEach(async () => {
    await Promise.all(hosts.map((h) => h.dispose()));
    hosts = [];
  });

  /** A host with a console; `refusals` says what `allowed` answers per tool (allowed when absent). */
  function setup(opts: { refusals?: Partial<Record<ToolPermission, ErrorCode>>; elevated?: ShellAccount | null; ordinary?: ShellAccount | null } = {}) {
    const console = new TestToolsConsole();
    const refusals = { ...opts.refusals };
    const commands: string[] = [];
    const logs: string[] = [];
    const host = new ToolsHost({
      channel: console.channel,
      allowed: (tool) => refusals[tool] ?? null,
      onElevatedCommand: (line) => commands.push(line),
      log: (msg) => logs.push(msg),
      accounts: { ordinary: opts.ordinary === undefined ? self : opts.ordinary, elevated: opts.elevated === undefined ? self : opts.elevated },
    });
    console.to = (m) => host.receive(m);
    hosts.push(host);
    return { console, host, refusals, commands, logs };
  }

  async function open(console: TestToolsConsole, shell: number, elevated = false) {
    const r = await console.request({ t: 'shell:open', shell, elevated, cols: 80, rows: 24 });
    expect(r).toMatchObject({ ok: true });
    return r;
  }

  /** Runs a command and waits for its output (made so the echoed input cannot match). */
  async function runIn(console: TestToolsConsole, shell: number, command: string): Promise<string> {
    const tag = unique();
    console.type(shell, `${command}; printf '%s-%s\\n' done ${tag}\r`);
    await until(`output of ${command}`, () => console.text(shell).includes(`done-${tag}`));
    console.ack(shell);
    const text = console.text(shell);
    return text.slice(0, text.indexOf(`done-${tag}`));
  }

  it('runs a command and sends its output, UTF-8 intact, and follows resizes', async () => {
    const { console } = setup();
    expect(await open(console, 1)).toMatchObject({ value: { user: self.name } });
    const tag = unique();
    console.type(1, `echo ${tag}\r`);
    // At the start of a line: the output, not the terminal's echo of the command.
    await until('the echo', () => new RegExp(`[\r\n]${tag}\r\n`).test(console.text(1)));
    expect(await runIn(console, 1, `printf 'ünïcödé ✓\\n'`)).toContain('ünïcödé ✓\r\n');
    console.send({ t: 'shell:resize', shell: 1, cols: 123, rows: 45 });
    expect(await runIn(console, 1, 'stty size')).toContain('45 123\r\n');
    expect(await runIn(console, 1, 'echo $TERM $COLORTERM')).toContain('xterm-256color truecolor');
  });

  it('reports the exit code when the shell ends', async () => {
    const { console } = setup();
    await open(console, 4);
    console.type(4, 'exit 7\r');
    await until('shell:exit', () => console.exits(4)[0]);
    expect(console.exits(4)).toEqual([{ t: 'shell:exit', shell: 4, code: 7 }]);
  });

  it('keeps unacknowledged output within the window under `yes`, resumes on acks, and stops on close', async () => {
    const { console } = setup();
    await open(console, 2);
    const tag = unique();
    const rssBefore = process.memoryUsage().rss;
    console.type(2, `yes ${tag}\r`);

    // No acks at all: output stops at the window.
    await until('the window to fill', () => console.received(2) > SHELL_OUTPUT_WINDOW);
    await sleep(300);
    const stalled = console.received(2);
    await sleep(300);
    expect(console.received(2)).toBe(stalled);
    expect(console.maxUnacked(2)).toBeLessThanOrEqual(SHELL_OUTPUT_WINDOW + READ_CHUNK);

    // Slow acks (16 KiB every 10 ms): output flows again, still inside the window.
    const end = Date.now() + 1500;
    while (Date.now() < end) {
      console.ack(2, 16 * 1024);
      await sleep(10);
    }
    expect(console.received(2)).toBeGreaterThan(stalled);
    expect(console.maxUnacked(2)).toBeLessThanOrEqual(SHELL_OUTPUT_WINDOW + READ_CHUNK);
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(rssGrowth).toBeLessThan(64 * 1024 * 1024);

    console.send({ t: 'shell:close', shell: 2 });
    await until('shell:exit', () => console.exits(2)[0]);
    expect(console.exits(2)).toEqual([{ t: 'shell:exit', shell: 2, code: null }]);
    await hosts[0]!.dispose();
    await expect(run('pgrep', ['-f', `yes ${tag}`])).rejects.toMatchObject({ code: 1 });
  });

  it('holds output while the channel has more than its backlog queued, however fast the console acks', async () => {
    const { console } = setup();
    await open(console, 3);
    console.ack(3);
    const before = console.received(3);
    console.extraBuffered = 2 * MAX_CHANNEL_BACKLOG; // say, a large result still on its way
    const acking = setInterval(() => console.ack(3), 5);
    try {
      console.type(3, 'yes\r');
      await until('output', () => console.received(3) > before);
      await sleep(300);
      expect(console.received(3) - before).toBeLessThanOrEqual(2 * READ_CHUNK);
      console.extraBuffered = 0;
      await until('output after the backlog drained', () => console.received(3) > before + 4 * SHELL_OUTPUT_WINDOW);
    } finally {
      clearInterval(acking);
    }
  });

  it('keeps the channel\'s own buffer within the window when the network does not move', async () => {
    const { console } = setup();
    await open(console, 8);
    console.holding = true;
    console.type(8, 'yes\r');
    await until('the window to fill', () => console.channel.bufferedAmount() > SHELL_OUTPUT_WINDOW);
    await sleep(300);
    // Each message adds a 5-byte header to at most 64 KiB of output.
    expect(console.maxHeld).toBeLessThanOrEqual(SHELL_OUTPUT_WINDOW + READ_CHUNK + 5 * 64);
  });

  it('reports every command line typed into an elevated shell, with corrections applied', async () => {
    const { console, commands } = setup();
    await open(console, 5, true);
    console.type(5, 'echo one\r');
    console.type(5, 'ls -lx\x7fa /\r');
    await runIn(console, 5, 'true');
    expect(commands).toEqual(['echo one', 'ls -la /', expect.stringMatching(/^true; printf/)]);
  });

  it('refuses shells as `allowed` says, and elevated ones where the agent is not an administrator', async () => {
    const consent = setup({ refusals: { shell: 'ERR_CONSENT' } });
    expect(await consent.console.request({ t: 'shell:open', shell: 1, elevated: false, cols: 80, rows: 24 }))
      .toMatchObject({ ok: false, code: 'ERR_CONSENT', message: 'The user has not allowed you to open a command shell.' });
    const grant = setup({ refusals: { shell_elevated: 'ERR_PERMISSION' } });
    expect(await grant.console.request({ t: 'shell:open', shell: 1, elevated: true, cols: 80, rows: 24 }))
      .toMatchObject({ ok: false, code: 'ERR_PERMISSION', message: 'You are not allowed to open an administrator shell.' });
    const unprivileged = setup({ elevated: null });
    expect(await unprivileged.console.request({ t: 'shell:open', shell: 1, elevated: true, cols: 80, rows: 24 }))
      .toMatchObject({ ok: false, code: 'ERR_PERMISSION', message: 'This support client does not run with administrator rights.' });
    const rootOnly = setup({ ordinary: null });
    expect(await rootOnly.console.request({ t: 'shell:open', shell: 1, elevated: false, cols: 80, rows: 24 }))
      .toMatchObject({ ok: false, code: 'ERR_PERMISSION' });
  });

  it('closes a shell at once when its consent is taken back', async () => {
    const { console, host, refusals } = setup();
    await open(console, 6);
    await open(console, 7, true);
    refusals.shell = 'ERR_CONSENT';
    host.revoked();
    expect(console.exits(6)).toEqual([{ t: 'shell:exit', shell: 6, code: null }]);
    expect(console.exits(7)).toEqual([]);
    refusals.shell_elevated = 'ERR_CONSENT';
    // Typing into it without a `revoked()` call closes it too.
    console.type(7, 'echo typed after consent ended\r');
    expect(console.exits(7)).toEqual([{ t: 'shell:exit', shell: 7, code: null }]);
    await host.dispose();
  });

  it('kills every shell when the peer goes, and waits for them', async () => {
    const { console, host } = setup();
    const seconds = `600.${Math.floor(Math.random() * 1e9)}`;
    await open(console, 1);
    await open(console, 2, true);
    console.type(1, `sleep ${seconds}\r`);
    console.type(2, `sleep ${seconds}\r`);
    await until('both sleeps', async () => (await run('pgrep', ['-f', `sleep ${seconds}`]).catch(() => ({ stdout: '' }))).stdout.trim().split('\n').length === 2);
    await host.dispose();
    await host.dispose();
    await expect(run('pgrep', ['-f', `sleep ${seconds}`])).rejects.toMatchObject({ code: 1 });
  });

  it.skipIf(!amRoot)('runs an ordinary shell as the user, without root\'s groups, when the agent is root', async () => {
    const { console } = setup({ ordinary: nobody });
    expect(await open(console, 1)).toMatchObject({ value: { user: 'nobody' } });
    const out = await runIn(console, 1, 'echo "ids:$(id -u):$(id -G):$HOME"');
    expect(out).toContain('ids:65534:65534:/nonexistent\r\n');
  });

  it('answers bad requests with typed errors and logs what has no id', async () => {
    const { console, logs } = setup();
    const enc = new TextEncoder();
    console.to(Uint8Array.of(0x01, ...enc.encode(JSON.stringify({ t: 'shell:open', id: 99, shell: 1, elevated: false, cols: 5000, rows: 24 }))));
    await until('the refusal', () => console.messages.find((m) => m.t === 'result' && m.id === 99));
    expect(console.messages.find((m) => m.t === 'result' && m.id === 99)).toMatchObject({ ok: false, code: 'ERR_BAD_MESSAGE' });
    console.to(Uint8Array.of(0x01, ...enc.encode('{not json')));
    console.to(Uint8Array.of(0x7f, 1, 2));
    console.type(42, 'nobody listens');
    console.send({ t: 'shell:ack', shell: 42, bytes: 10 });
    console.send({ t: 'shell:exit', shell: 1, code: 0 });
    expect(logs.join('\n')).toMatch(/not JSON[\s\S]*unknown tool message kind[\s\S]*shell 42[\s\S]*shell 42[\s\S]*only the agent sends/);

    await open(console, 1);
    expect(await console.request({ t: 'shell:open', shell: 1, elevated: false, cols: 80, rows: 24 })).toMatchObject({ ok: false, code: 'ERR_BAD_MESSAGE' });
    for (let i = 2; i <= MAX_SHELLS; i++) await open(console, i);
    expect(await console.request({ t: 'shell:open', shell: 100, elevated: false, cols: 80, rows: 24 })).toMatchObject({ ok: false, code: 'ERR_RATE_LIMITED' });
  });
});
