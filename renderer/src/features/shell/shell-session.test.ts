import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SHELL_OUTPUT_WINDOW } from '../../../../shared/tools.js';
import { FakeToolsPeer } from '../../test/fake-tools.js';
import { ToolsLink } from '../tools/tools-link.js';
import { ShellSession, shellStatusText, type ShellStatus } from './shell-session.js';

/** A terminal that processes what it is given when the test says so. */
class SlowTerminal {
  readonly queue: Array<{ data: Uint8Array; done: () => void }> = [];
  text = '';
  write(data: Uint8Array, done: () => void) {
    this.queue.push({ data, done });
  }
  process(n = Infinity) {
    while (n-- > 0 && this.queue.length) {
      const { data, done } = this.queue.shift()!;
      this.text += new TextDecoder().decode(data);
      done();
    }
  }
}

function setup(elevated = false) {
  const peer = new FakeToolsPeer();
  const tools = new ToolsLink({ peer, log: { warn: vi.fn(), info: vi.fn() } });
  const channel = peer.connect();
  channel.open();
  const terminal = new SlowTerminal();
  const statuses: ShellStatus[] = [];
  const shell = new ShellSession({ tools, terminal, elevated, cols: 80, rows: 24, onStatus: (s) => statuses.push(s) });
  const started = shell.start();
  const open = channel.last('shell:open')!;
  const accept = () => channel.deliver({ t: 'result', id: open.id, ok: true, value: null });
  return { peer, tools, channel, terminal, statuses, shell, started, open, accept };
}

const bytes = (s: string) => new TextEncoder().encode(s);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ShellSession', () => {
  it('asks for a shell of the terminal\'s size and runs once the agent agrees', async () => {
    const { open, accept, started, statuses, shell } = setup(true);
    expect(open).toMatchObject({ t: 'shell:open', elevated: true, cols: 80, rows: 24 });
    expect(statuses).toEqual([{ state: 'opening' }]);
    accept();
    await started;
    expect(shell.current).toEqual({ state: 'running' });
    expect(shellStatusText(shell.current)).toBe('running');
  });

  it('says why when the agent refuses', async () => {
    const { channel, open, started, shell } = setup();
    channel.deliver({ t: 'result', id: open.id, ok: false, code: 'ERR_CONSENT', message: 'The user has not allowed shells.' });
    await started;
    expect(shell.current).toEqual({ state: 'closed', reason: 'The user has not allowed shells.' });
  });

  it('writes output to the terminal and acknowledges only what the terminal processed, in batches', async () => {
    const { channel, accept, started, terminal, open } = setup();
    accept();
    await started;
    const chunk = new Uint8Array(16 * 1024).fill(121);
    for (let i = 0; i < 4; i++) channel.deliverShell(open.shell, chunk);
    expect(channel.messages().filter((m) => 't' in m && m.t === 'shell:ack')).toEqual([]);
    terminal.process(2);
    expect(channel.last('shell:ack')).toEqual({ t: 'shell:ack', shell: open.shell, bytes: 32 * 1024 });
    terminal.process();
    expect(channel.messages().filter((m) => 't' in m && m.t === 'shell:ack').map((m) => 'bytes' in m && m.bytes)).toEqual([32 * 1024, 32 * 1024]);
  });

  it('never lets more than the window sit unacknowledged when the agent honours it', async () => {
    const { channel, accept, started, terminal, open } = setup();
    accept();
    await started;
    let unacked = 0;
    let acked = 0;
    const sendWhileAllowed = () => {
      while (unacked + 8192 <= SHELL_OUTPUT_WINDOW) {
        channel.deliverShell(open.shell, new Uint8Array(8192).fill(120));
        unacked += 8192;
      }
    };
    for (let round = 0; round < 100; round++) {
      sendWhileAllowed();
      terminal.process(3);
      const total = channel.messages().reduce((n, m) => n + ('t' in m && m.t === 'shell:ack' ? m.bytes : 0), 0);
      unacked -= total - acked;
      acked = total;
      expect(unacked).toBeLessThanOrEqual(SHELL_OUTPUT_WINDOW);
    }
    expect(acked).toBeGreaterThan(2 * 1024 * 1024);
  });

  it('decodes nothing itself: bytes reach the terminal as they came, split UTF-8 included', async () => {
    const { channel, accept, started, terminal, open } = setup();
    accept();
    await started;
    const euro = bytes('€');
    channel.deliverShell(open.shell, euro.subarray(0, 1));
    channel.deliverShell(open.shell, euro.subarray(1));
    expect(terminal.queue.map((q) => [...q.data])).toEqual([[0xe2], [0x82, 0xac]]);
  });

  it('sends keystrokes only while running', async () => {
    const { channel, accept, started, shell, open } = setup();
    expect(shell.input(bytes('early'))).toBe(false);
    accept();
    await started;
    expect(shell.input(bytes('ls\r'))).toBe(true);
    expect(channel.messages().filter((m) => 'text' in m)).toEqual([{ shell: open.shell, text: 'ls\r' }]);
  });

  it('tells the agent about size changes, including one made while the shell was opening', async () => {
    const { channel, accept, started, shell, open } = setup();
    shell.resize(100, 30);
    expect(channel.last('shell:resize')).toBeUndefined();
    accept();
    await started;
    expect(channel.last('shell:resize')).toEqual({ t: 'shell:resize', shell: open.shell, cols: 100, rows: 30 });
    shell.resize(100, 30);
    shell.resize(5000, 0);
    expect(channel.messages().filter((m) => 't' in m && m.t === 'shell:resize')).toHaveLength(2);
    expect(channel.last('shell:resize')).toMatchObject({ cols: 1000, rows: 2 });
  });

  it('reports the exit code, or "closed" for a shell ended by a signal', async () => {
    const a = setup();
    a.accept();
    await a.started;
    a.channel.deliver({ t: 'shell:exit', shell: a.open.shell, code: 2 });
    expect(shellStatusText(a.shell.current)).toBe('exited 2');
    const b = setup();
    b.accept();
    await b.started;
    b.channel.deliver({ t: 'shell:exit', shell: b.open.shell, code: null });
    expect(shellStatusText(b.shell.current)).toBe('closed');
  });

  it('closing sends shell:close once, stops input and ignores what the agent still sends', async () => {
    const { channel, accept, started, shell, open, terminal } = setup();
    accept();
    await started;
    shell.close('The user withdrew consent.');
    shell.close();
    expect(channel.messages().filter((m) => 't' in m && m.t === 'shell:close')).toEqual([{ t: 'shell:close', shell: open.shell }]);
    expect(shell.current).toEqual({ state: 'closed', reason: 'The user withdrew consent.' });
    expect(shell.input(bytes('x'))).toBe(false);
    channel.deliverShell(open.shell, bytes('late'));
    channel.deliver({ t: 'shell:exit', shell: open.shell, code: 0 });
    expect(terminal.queue).toHaveLength(0);
    expect(shell.current.state).toBe('closed');
  });

  it('is closed when the connection goes, and sends no acks afterwards', async () => {
    const { peer, accept, started, shell, channel, open, terminal } = setup();
    accept();
    await started;
    channel.deliverShell(open.shell, bytes('hello'));
    peer.status('reconnecting');
    expect(shell.current).toEqual({ state: 'closed', reason: 'The connection to the remote computer closed.' });
    const sentBefore = channel.sent.length;
    terminal.process();
    expect(channel.sent.length).toBe(sentBefore);
  });
});
