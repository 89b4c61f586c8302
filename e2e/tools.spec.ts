/**
 * In-session tools on the real parts: an administrator shell whose output
 * shows in the console's terminal and whose command lines reach the audit
 * log, a flood of output that leaves the console responsive with bounded
 * memory, system information from the real machine, and refusals — by the
 * user's consent, and by the server's grant even for a console that skips
 * its own UI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect, test, type Page } from '@playwright/test';
import SimplePeer from 'simple-peer';
import WebSocket from 'ws';
import { TOOLS_CHANNEL, ToolDecoder, encodeToolMessage, type ToolMessage } from '../shared/tools.js';
import { nodeWrtc } from '../agent/src/peer.js';
import { startAttendedSession, type AttendedSession } from './console.js';
import { apiPost, run, startServer, startWebConsole, startXterm, startXvfb, waitFor, type LifelineServer, type Proc, type XDisplay } from './harness.js';

let x: XDisplay;
let xterm: Proc;
let server: LifelineServer;
let web: { url: string; proc: Proc };
let session: AttendedSession | undefined;
let marker: ChildProcess | undefined;

test.beforeAll(async () => {
  x = await startXvfb(['1280x800x24']);
  xterm = await startXterm(x.display);
  server = await startServer();
  web = await startWebConsole(server.url);
});
test.afterAll(async () => {
  marker?.kill();
  await session?.close();
  await web?.proc.stop();
  await server?.stop();
  await xterm?.stop();
  await x?.stop();
});

async function allow(user: Page, ...tools: string[]) {
  for (const t of tools) await user.getByTestId(`consent-${t}`).check();
}

async function terminalText(tech: Page): Promise<string> {
  return (await tech.getByTestId('shell-terminal').getAttribute('data-lines')) ?? '';
}

test('an administrator shell runs a command, its output shows in the console, and the command line is in the audit log', async ({ browser }) => {
  session = await startAttendedSession(browser, { consoleUrl: web.url, server, display: x.display, customer: 'Shell User' });
  const { tech, user } = session;
  await allow(user, 'shell_elevated');
  await tech.getByTestId('tool-tab-shell').click();
  await tech.getByTestId('shell-open-elevated').click();
  await expect(tech.getByTestId('shell-status')).toHaveText('running');
  await tech.getByTestId('shell-terminal').click();
  await tech.keyboard.type('echo lifeline-$((6*7)) "$(id -un)" ünïcødé');
  await tech.keyboard.press('Enter');
  await expect.poll(() => terminalText(tech)).toContain('lifeline-42 root ünïcødé');

  const db = new Database(path.join(server.dataDir, 'lifeline.sqlite'), { readonly: true });
  try {
    await expect.poll(() => db.prepare("select actor, detail from audit_log where action = 'shell.elevated.command'").all()).toContainEqual(
      expect.objectContaining({ actor: 'admin', detail: expect.stringContaining('echo lifeline-$((6*7))') }),
    );
  } finally {
    db.close();
  }
});

test('`yes` for a few seconds leaves the console responsive and its memory bounded, and Ctrl+C stops it', async () => {
  const { tech } = session!;
  await tech.getByTestId('shell-terminal').click();
  await tech.keyboard.type('yes lifeline-flood');
  await tech.keyboard.press('Enter');
  await expect.poll(() => terminalText(tech)).toContain('lifeline-flood');
  await tech.waitForTimeout(3000);
  // Responsive: the page still answers and other parts of the UI still work while the flood runs.
  await tech.getByTestId('chat-input').fill('still here');
  await expect(tech.getByTestId('chat-input')).toHaveValue('still here');
  const heap = await tech.evaluate(() => (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0);
  expect(heap).toBeLessThan(200 * 1024 * 1024);
  await tech.getByTestId('shell-terminal').click();
  await tech.keyboard.press('Control+c');
  await tech.keyboard.type('echo flood-stopped');
  await tech.keyboard.press('Enter');
  await expect.poll(() => terminalText(tech), { timeout: 30_000 }).toMatch(/flood-stopped\s*\n.*#/);
});

test('system information shows the real hostname and a process the test started; without consent the tab says why', async () => {
  const { tech, user } = session!;
  const tag = `30.${Date.now() % 100000}`;
  marker = spawn('sleep', [tag], { stdio: 'ignore' });
  await allow(user, 'sysinfo');
  await tech.getByTestId('tool-tab-sysinfo').click();
  await tech.getByTestId('sysinfo-refresh').click();
  await expect(tech.getByTestId('sysinfo-hostname')).toHaveText(os.hostname(), { timeout: 30_000 });
  await tech.getByTestId('sysinfo-process-filter').fill(tag);
  // The filter matches on the command line, so finding the row by its unique argument proves the command is there.
  await expect(tech.getByTestId('sysinfo-process-row')).toHaveCount(1);
  await expect(tech.locator(`[data-testid=sysinfo-process-row][data-pid="${marker.pid}"]`)).toContainText('sleep');

  await user.getByTestId('consent-sysinfo').uncheck();
  await expect(tech.getByTestId('tool-tab-sysinfo')).toHaveAttribute('aria-disabled', 'true');
  await expect(tech.getByTestId('tool-tab-sysinfo')).toHaveAttribute('title', /The user has not allowed/);
});

test('a technician without the shell permission sees why, and the support client refuses a shell even when the console UI is bypassed', async ({ browser }) => {
  await session?.close();
  session = undefined;
  const cli = run('node_modules/.bin/tsx', ['server/src/cli.ts', 'revoke', 'admin', 'shell', 'shell_elevated', '--data', server.dataDir]);
  expect(await cli.exited, cli.output()).toBe(0);
  session = await startAttendedSession(browser, { consoleUrl: web.url, server, display: x.display, customer: 'No Shell User' });
  const { tech, user } = session;
  await allow(user, 'shell', 'shell_elevated');
  await expect(tech.getByTestId('tool-tab-shell')).toHaveAttribute('aria-disabled', 'true');
  await expect(tech.getByTestId('tool-tab-shell')).toHaveAttribute('title', /Your account is not allowed/);

  // Bypass the UI: a client of its own with the technician's credentials takes over the peer and asks for a shell.
  // The console page goes first (the session stays open), so the two do not take the peer from each other.
  await tech.close();
  const refusal = await bypassingConsole(server, 'admin', server.adminPassword, { t: 'shell:open', id: 99, shell: 99, elevated: true, cols: 80, rows: 24 });
  expect(refusal).toMatchObject({ t: 'result', id: 99, ok: false, code: 'ERR_PERMISSION' });
});

/**
 * A console that is not the console: signs in over REST and WebSocket, opens
 * its own peer connection to the session's agent (simple-peer over
 * node-datachannel, like the agent), and sends one raw tools request.
 */
async function bypassingConsole(srv: LifelineServer, username: string, password: string, request: ToolMessage): Promise<ToolMessage> {
  const { token } = (await apiPost(`${srv.url}/api/login`, { username, password })) as { token: string };
  const ws = new WebSocket(`${srv.url.replace('http', 'ws')}/ws`);
  const states: { requestId: string; status: string }[] = [];
  let peer: SimplePeer.Instance | null = null;
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as { type: string; state?: { requestId: string; status: string }; data?: SimplePeer.SignalData };
    if (m.type === 'session:state' && m.state) states.push(m.state);
    if (m.type === 'signal' && m.data) relay(m.data);
  });
  // Both ends here are node-datachannel, which may hand out the agent's first
  // candidates before its answer; a candidate applied before the answer is an
  // error, so candidates wait for the answer (a browser console queues them itself).
  let answered = false;
  const early: SimplePeer.SignalData[] = [];
  const relay = (data: SimplePeer.SignalData) => {
    // Late candidates may still come in once this client is done with its peer.
    if (!peer || peer.destroyed) return;
    if (data.type === 'answer') {
      answered = true;
      peer.signal(data);
      for (const c of early.splice(0)) peer.signal(c);
    } else if (answered) peer.signal(data);
    else early.push(data);
  };
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify({ type: 'hello', role: 'console', token }));
  const active = await waitFor('an active session', () => states.find((st) => st.status === 'active'));
  // Like the console's peer link: a peer that has not connected in time is replaced by a fresh offer.
  const connect = async () => {
    for (let attempt = 1; ; attempt++) {
      answered = false;
      early.length = 0;
      const p = new SimplePeer({ initiator: true, trickle: true, wrtc: nodeWrtc as unknown as SimplePeer.Options['wrtc'] });
      peer = p;
      p.on('signal', (data) => ws.send(JSON.stringify({ type: 'signal', requestId: active.requestId, data })));
      p.on('error', () => undefined);
      // Like the console: the tools channel's end exists before the connection does.
      const channel = (p as unknown as { _pc: RTCPeerConnection })._pc.createDataChannel(TOOLS_CHANNEL.label, { negotiated: true, id: TOOLS_CHANNEL.id });
      channel.binaryType = 'arraybuffer';
      const connected = await Promise.race([new Promise<boolean>((r) => p.once('connect', () => r(true))), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))]);
      if (connected) return channel;
      p.destroy();
      if (attempt === 3) throw new Error('no peer connection');
    }
  };
  try {
    const dc = await connect();
    await waitFor('the tools channel', () => dc.readyState === 'open');
    const decoder = new ToolDecoder();
    const send = (msg: ToolMessage) => {
      for (const m of encodeToolMessage(msg)) dc.send(m as Uint8Array<ArrayBuffer>);
    };
    let heardAgent: () => void = () => undefined;
    const agentReady = new Promise<void>((r) => (heardAgent = r));
    const answer = new Promise<ToolMessage>((resolve) => {
      dc.onmessage = (e) => {
        const r = decoder.decode(new Uint8Array(e.data as ArrayBuffer));
        if (r?.kind !== 'message') return;
        if (r.msg.t === 'hello') heardAgent();
        else resolve(r.msg);
      };
    });
    // The channel handshake (shared/tools.ts): hello until the agent answers, then the request.
    send({ t: 'hello' });
    const retry = setInterval(() => send({ t: 'hello' }), 500);
    try {
      await Promise.race([agentReady, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the agent never answered the handshake')), 20_000))]);
    } finally {
      clearInterval(retry);
    }
    send(request);
    return await Promise.race([answer, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer from the agent')), 20_000))]);
  } finally {
    (peer as SimplePeer.Instance | null)?.destroy();
    ws.close();
  }
}
