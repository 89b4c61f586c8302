/**
 * A passive jump client's check-ins against a small HTTP server that answers
 * the way the support server does.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeWakeBody } from '../../../shared/jump.js';
import { JumpClient } from './client.js';
import { writeConfig } from './config.js';

interface Seen {
  url: string;
  authorization: string | undefined;
  body: unknown;
}

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

/** Serves `answers` in order (the last one repeats) and records every request. */
async function fakeServer(answers: { status: number; body: unknown }[]): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c) => (data += String(c)));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', authorization: req.headers.authorization, body: data ? JSON.parse(data) : null });
      const a = answers[Math.min(seen.length - 1, answers.length - 1)]!;
      res.writeHead(a.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => server.close());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

function passiveClient(serverUrl: string, { intervalSeconds = 1, wakePort = null as number | null } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-jump-client-'));
  closers.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  const configPath = path.join(dir, 'jump.json');
  const config = { server: serverUrl, clientId: 3, credential: 'the-credential', mode: 'passive' as const, unit: null, wakePort };
  writeConfig(configPath, config);
  const logs: string[] = [];
  const client = new JumpClient({
    config, configPath,
    info: { hostname: 'kiosk', user: 'dana', os: 'Debian', elevated: false },
    heartbeatSeconds: 30, intervalSeconds, display: ':0',
    files: { roots: [] },
    openDesktop: () => Promise.reject(new Error('no display in this test')),
    log: (m) => logs.push(m),
  });
  closers.push(() => client.stop('test over'));
  return { client, configPath, logs };
}

const REMOVED = { status: 401, body: { error: { code: 'ERR_NOT_AUTHENTICATED', message: 'This jump client was removed by an administrator.' }, uninstall: true } };

describe('a passive jump client', () => {
  it('checks in with its credential and what it knows about the machine, and keeps checking in', async () => {
    const server = await fakeServer([{ status: 200, body: { sessions: [] } }, { status: 200, body: { sessions: [] } }, REMOVED]);
    const { client } = passiveClient(server.url);
    client.start();
    await client.done;
    expect(server.seen.map((s) => s.url)).toEqual(['/api/jump/check-in', '/api/jump/check-in', '/api/jump/check-in']);
    expect(server.seen[0]).toMatchObject({ authorization: 'Bearer the-credential', body: { info: { hostname: 'kiosk', user: 'dana', os: 'Debian', elevated: false } } });
  });

  it('uninstalls when told it was removed: the config is deleted and it stops for good', async () => {
    const server = await fakeServer([REMOVED]);
    const { client, configPath } = passiveClient(server.url);
    client.start();
    expect(await client.done).toEqual({ code: 78, reason: 'This jump client was removed by an administrator.' });
    expect(fs.existsSync(configPath)).toBe(false);
    expect(server.seen).toHaveLength(1);
  });

  it('stops without uninstalling when its credential is merely unknown', async () => {
    const server = await fakeServer([{ status: 401, body: { error: { code: 'ERR_NOT_AUTHENTICATED', message: 'This jump client is not known to the server.' } } }]);
    const { client, configPath } = passiveClient(server.url);
    client.start();
    expect((await client.done).code).toBe(78);
    expect(fs.existsSync(configPath)).toBe(true);
  });

  it('waits and tries again when the server says it is busy', async () => {
    const server = await fakeServer([
      { status: 429, body: { error: { code: 'ERR_RATE_LIMITED', message: 'busy', retryAfterMs: 20 } } },
      REMOVED,
    ]);
    const { client, logs } = passiveClient(server.url);
    client.start();
    expect((await client.done).code).toBe(78);
    expect(server.seen).toHaveLength(2);
    expect(logs.some((l) => l.includes('check-in refused (429)'))).toBe(true);
  });

  it('reports a session it cannot join (no display) so the technician is not left waiting', async () => {
    const server = await fakeServer([
      { status: 200, body: { sessions: [{ requestId: 'req-1', joinKey: 'key', prompt: null }] } },
      { status: 200, body: {} },
      REMOVED,
    ]);
    const { client } = passiveClient(server.url);
    client.start();
    await client.done;
    const report = server.seen.find((s) => s.url === '/api/jump/report');
    expect(report).toMatchObject({ authorization: 'Bearer the-credential', body: { kind: 'failed', requestId: 'req-1', reason: 'cannot open the display :0' } });
  });
});

describe('a passive jump client with wakes', () => {
  it('reports its wake port at check-in, and a signed wake makes it check in at once', async () => {
    const server = await fakeServer([{ status: 200, body: { sessions: [] } }, REMOVED]);
    const { client, logs } = passiveClient(server.url, { intervalSeconds: 3600, wakePort: 0 });
    client.start();
    await expect.poll(() => server.seen.length).toBe(1);
    const { wakePort } = server.seen[0]!.body as { wakePort: number };
    expect(wakePort).toBeGreaterThan(0);
    const body = encodeWakeBody({ clientId: 3, sentAt: Date.now(), nonce: randomBytes(8) });
    const mac = createHmac('sha256', createHash('sha256').update('the-credential').digest()).update(body).digest();
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((r) => socket.send(Buffer.concat([body, mac]), wakePort, '127.0.0.1', () => r()));
    socket.close();
    // Woken an hour early: the second check-in is told the client was removed, and it ends.
    expect((await client.done).code).toBe(78);
    expect(server.seen).toHaveLength(2);
    expect(logs).toContain('woken by the server: checking in now');
  });

  it('reports no wake port when wakes are off', async () => {
    const server = await fakeServer([REMOVED]);
    const { client } = passiveClient(server.url, { wakePort: null });
    client.start();
    await client.done;
    expect(server.seen[0]!.body).toMatchObject({ wakePort: null });
  });
});
