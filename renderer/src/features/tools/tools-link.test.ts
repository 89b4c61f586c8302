import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LifelineError } from '../../../../shared/errors.js';
import { TOOLS_CHANNEL } from '../../../../shared/tools.js';
import { FakeToolsPeer } from '../../test/fake-tools.js';
import { SEND_BUFFER_LIMIT, ToolsLink } from './tools-link.js';

function setup() {
  const peer = new FakeToolsPeer();
  const log = { warn: vi.fn(), info: vi.fn() };
  const link = new ToolsLink({ peer, timeoutMs: 5000, log });
  const opens: boolean[] = [];
  link.onOpenChanged((o) => opens.push(o));
  return { peer, link, log, opens };
}

function connected() {
  const s = setup();
  const channel = s.peer.connect();
  channel.open();
  return { ...s, channel };
}

const route = () => ({ data: vi.fn(), exit: vi.fn(), lost: vi.fn() });

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ToolsLink', () => {
  it('opens the pre-negotiated tools channel on each connected peer, binary, and reports when it is open', () => {
    const { peer, link, opens } = setup();
    const channel = peer.connect();
    expect(peer.created[0]).toMatchObject({ label: TOOLS_CHANNEL.label, init: { negotiated: true, id: TOOLS_CHANNEL.id } });
    expect(channel.binaryType).toBe('arraybuffer');
    expect(link.isOpen).toBe(false);
    channel.open();
    expect(link.isOpen).toBe(true);
    expect(opens).toEqual([true]);
  });

  it('answers a request with the agent\'s result for the same id', async () => {
    const { link, channel } = connected();
    const answer = link.request({ t: 'sysinfo:get' });
    const sent = channel.last('sysinfo:get')!;
    channel.deliver({ t: 'result', id: sent.id + 1000, ok: true, value: 'not this one' });
    channel.deliver({ t: 'result', id: sent.id, ok: true, value: { hostname: 'pc-42' } });
    await expect(answer).resolves.toEqual({ hostname: 'pc-42' });
  });

  it('turns a refusal into an error with the agent\'s code', async () => {
    const { link, channel } = connected();
    const answer = link.request({ t: 'process:kill', pid: 1 });
    channel.deliver({ t: 'result', id: channel.last('process:kill')!.id, ok: false, code: 'ERR_PERMISSION', message: 'Not yours.' });
    await expect(answer).rejects.toMatchObject({ code: 'ERR_PERMISSION', message: 'Not yours.' });
  });

  it('refuses at once with ERR_NOT_CONNECTED while the channel is not open', async () => {
    const { peer, link } = setup();
    await expect(link.request({ t: 'sysinfo:get' })).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    const channel = peer.connect();
    await expect(link.request({ t: 'sysinfo:get' })).rejects.toBeInstanceOf(LifelineError);
    expect(channel.sent).toHaveLength(0);
    expect(link.notify({ t: 'shell:close', shell: 1 })).toBe(false);
    expect(link.sendShellData(1, new Uint8Array([65]))).toBe(false);
  });

  it('gives up on an answer after the timeout and drops it if it comes later', async () => {
    const { link, channel, log } = connected();
    const answer = link.request({ t: 'sysinfo:get' }, 1000);
    const caught = answer.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(999);
    channel.deliver({ t: 'result', id: 999, ok: true, value: null });
    await vi.advanceTimersByTimeAsync(1);
    expect(await caught).toMatchObject({ code: 'ERR_NOT_CONNECTED', message: 'The remote computer did not answer in time.' });
    channel.deliver({ t: 'result', id: channel.last('sysinfo:get')!.id, ok: true, value: {} });
    expect(log.info).toHaveBeenCalledWith(expect.stringContaining('nobody waits for'));
  });

  it('fails what is pending and loses every shell when the channel closes', async () => {
    const { link, channel, opens } = connected();
    const shell = route();
    link.attachShell(shell);
    const answer = link.request({ t: 'sysinfo:get' });
    channel.drop();
    await expect(answer).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED', message: expect.stringContaining('closed before it answered') });
    expect(shell.lost).toHaveBeenCalledOnce();
    expect(link.isOpen).toBe(false);
    expect(opens).toEqual([true, false]);
  });

  it('closes the channel when the peer stops being connected', async () => {
    const { peer, link, channel } = connected();
    const answer = link.request({ t: 'sysinfo:get' });
    peer.status('reconnecting');
    expect(channel.closed).toBe(true);
    expect(link.isOpen).toBe(false);
    await expect(answer).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
  });

  it('a new peer\'s channel replaces the old one, whose late events are ignored', () => {
    const { peer, link, channel: old, opens } = connected();
    const fresh = peer.connect();
    expect(old.closed).toBe(true);
    fresh.open();
    old.drop();
    expect(link.isOpen).toBe(true);
    expect(opens).toEqual([true, false, true]);
  });

  it('reassembles a result too large for one message', async () => {
    const { link, channel } = connected();
    const answer = link.request({ t: 'sysinfo:get' });
    const big = 'x'.repeat(200_000);
    channel.deliver({ t: 'result', id: channel.last('sysinfo:get')!.id, ok: true, value: { big } });
    await expect(answer).resolves.toEqual({ big });
  });

  it('routes shell output and exit by shell id, and drops output for shells nobody shows', () => {
    const { link, channel, log } = connected();
    const a = route();
    const b = route();
    const ra = link.attachShell(a);
    const rb = link.attachShell(b);
    expect(ra.id).not.toBe(rb.id);
    channel.deliverShell(rb.id, new TextEncoder().encode('for b'));
    channel.deliverShell(ra.id, new TextEncoder().encode('for a'));
    channel.deliverShell(9999, new TextEncoder().encode('for nobody'));
    expect(new TextDecoder().decode(a.data.mock.calls[0]![0])).toBe('for a');
    expect(new TextDecoder().decode(b.data.mock.calls[0]![0])).toBe('for b');
    channel.deliver({ t: 'shell:exit', shell: ra.id, code: 3 });
    expect(a.exit).toHaveBeenCalledWith(3);
    channel.deliverShell(ra.id, new Uint8Array([1]));
    expect(a.data).toHaveBeenCalledOnce();
    rb.detach();
    channel.deliverShell(rb.id, new Uint8Array([1]));
    expect(b.data).toHaveBeenCalledOnce();
    expect(log.warn).not.toHaveBeenCalled();
  });

  it('sends shell input as shell data, and refuses it while the channel is far behind', () => {
    const { link, channel } = connected();
    expect(link.sendShellData(4, new TextEncoder().encode('ls\r'))).toBe(true);
    expect(channel.messages()).toEqual([{ shell: 4, text: 'ls\r' }]);
    channel.bufferedAmount = SEND_BUFFER_LIMIT;
    expect(link.sendShellData(4, new Uint8Array([65]))).toBe(false);
  });

  it('logs and drops messages it cannot read, or that only the console sends', () => {
    const { channel, log } = connected();
    channel.deliverRaw(new Uint8Array([0x01, 0x7b]));
    channel.onmessage?.({ data: 'text' });
    channel.deliver({ t: 'shell:close', shell: 1 });
    expect(log.warn).toHaveBeenCalledTimes(3);
  });

  it('dispose closes the channel, fails what is pending and unsubscribes from the peer', async () => {
    const { peer, link, channel } = connected();
    const answer = link.request({ t: 'sysinfo:get' });
    link.dispose();
    link.dispose();
    expect(channel.closed).toBe(true);
    await expect(answer).rejects.toMatchObject({ code: 'ERR_NOT_CONNECTED' });
    expect(peer.listeners()).toBe(0);
  });
});
