/**
 * Canned scripts on the real parts: an administrator stores a script with the
 * CLI; the technician runs it in a session; the real agent runs it on the
 * user's machine and the output comes back and is kept. Refused without the
 * technician's permission (server) and without the user's shell consent.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import WebSocket from 'ws';
import { apiPost, run, startAgent, startServer, startXvfb, waitFor, type LifelineServer, type Proc, type XDisplay } from './harness.js';

type Msg = { type: string; code?: string; ref?: number; runId?: number; chunk?: string; state?: { status: string; agentOnline: boolean }; scripts?: { id: number; name: string }[] };

let server: LifelineServer;
let x: XDisplay;
const procs: Proc[] = [];
const sockets: WebSocket[] = [];

test.beforeAll(async () => {
  x = await startXvfb(['800x600x24']);
  server = await startServer();
});
test.afterAll(async () => {
  for (const s of sockets) s.close();
  for (const p of procs) await p.stop();
  await server?.stop();
  await x?.stop();
});

async function client(hello: object) {
  const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws`);
  sockets.push(ws);
  const got: Msg[] = [];
  ws.on('message', (d) => got.push(JSON.parse(String(d)) as Msg));
  await new Promise((r) => ws.once('open', r));
  ws.send(JSON.stringify(hello));
  const next = (pred: (m: Msg) => boolean, what = 'a server message') => waitFor(what, () => got.find(pred), 15_000);
  await next((m) => m.type === 'welcome' || m.type === 'error');
  return { ws, got, next, send: (m: object) => ws.send(JSON.stringify(m)) };
}

async function admin(args: string[], stdin?: string) {
  const p = run('node_modules/.bin/tsx', ['server/src/cli.ts', ...args, '--data', server.dataDir], {}, stdin);
  expect(await p.exited, p.output()).toBe(0);
  return p.output();
}

/** A session with a real agent, accepted by `username`, with the user's consent as given. */
async function session(username: string, password: string, consent: object) {
  const { token } = (await apiPost(`${server.url}/api/login`, { username, password })) as { token: string };
  const tech = await client({ type: 'hello', role: 'console', token });
  const { code } = (await apiPost(`${server.url}/api/codes`, {}, token)) as { code: string };
  const { resumeKey, requestId } = (await apiPost(`${server.url}/api/portal/join`, { code, name: 'Script User' })) as { resumeKey: string; requestId: string };
  const portal = await client({ type: 'hello', role: 'portal', resumeKey });
  const agent = startAgent(server.url, code, x.display);
  procs.push(agent);
  await tech.next((m) => m.type === 'session:state' && !!m.state?.agentOnline, 'the agent online');
  tech.send({ type: 'queue:accept', requestId, ref: 1 });
  await tech.next((m) => m.type === 'ack' && m.ref === 1);
  portal.send({ type: 'consent:set', consent });
  await waitFor('consent stored', () => tech.got.some((m) => m.type === 'session:state' && JSON.stringify(m).includes('"shell":' + String((consent as { shell?: boolean }).shell ?? false))));
  return { tech, portal, agent, requestId, token };
}

test('an administrator\'s script runs on the user\'s machine with one click; output and exit code come back to the technician', async () => {
  const marker = path.join(os.tmpdir(), `lifeline-script-${Date.now()}`);
  await admin(['add-script', 'Disk report', '--shell', 'bash', '--description', 'Free space and a marker'], `df -h / | tail -n 1\necho "ran as $(id -un)" > ${marker}\necho done-${path.basename(marker)}\nexit 4\n`);
  const s = await session('admin', server.adminPassword, { view: false, control: false, shell: true });
  const list = (await (await fetch(`${server.url}/api/scripts`, { headers: { authorization: `Bearer ${s.token}` } })).json()) as { scripts: { id: number; name: string }[] };
  const script = list.scripts.find((i) => i.name === 'Disk report')!;
  s.tech.send({ type: 'script:run', requestId: s.requestId, scriptId: script.id, ref: 2 });
  await s.tech.next((m) => m.type === 'ack' && m.ref === 2);
  const exit = await s.tech.next((m) => m.type === 'script:exit', 'the script to finish');
  expect(exit).toMatchObject({ code: 4 });
  const output = s.tech.got.filter((m) => m.type === 'script:output' && m.runId === exit.runId).map((m) => m.chunk).join('');
  expect(output).toContain(`done-${path.basename(marker)}`);
  expect(output).toMatch(/\d+%/);
  expect(fs.readFileSync(marker, 'utf8')).toMatch(/^ran as /);
  fs.rmSync(marker);
});

test('scripts are refused without the technician\'s permission (server) or without the user\'s shell consent', async () => {
  await admin(['add-script', 'Touch', '--shell', 'sh'], 'echo should-not-run\n');
  await admin(['add-technician', 'norun', '--password-stdin'], 'a-long-password-1\n');
  await admin(['revoke', 'norun', 'scripts']);
  const list = (await (await fetch(`${server.url}/api/scripts`, {
    headers: { authorization: `Bearer ${((await apiPost(`${server.url}/api/login`, { username: 'admin', password: server.adminPassword })) as { token: string }).token}` },
  })).json()) as { scripts: { id: number; name: string }[] };
  const touch = list.scripts.find((i) => i.name === 'Touch')!;

  const noPermission = await session('norun', 'a-long-password-1', { view: true, control: true, shell: true });
  noPermission.tech.send({ type: 'script:run', requestId: noPermission.requestId, scriptId: touch.id, ref: 3 });
  expect(await noPermission.tech.next((m) => m.type === 'error' && m.ref === 3)).toMatchObject({ code: 'ERR_PERMISSION' });

  const noConsent = await session('admin', server.adminPassword, { view: true, control: true, shell: false });
  noConsent.tech.send({ type: 'script:run', requestId: noConsent.requestId, scriptId: touch.id, ref: 4 });
  expect(await noConsent.tech.next((m) => m.type === 'error' && m.ref === 4)).toMatchObject({ code: 'ERR_CONSENT' });
  expect(noConsent.tech.got.some((m) => m.type === 'script:output')).toBe(false);
});
