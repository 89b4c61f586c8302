/** The support button REST calls against the server in-process, answers parsed with the installer's schemas. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ButtonApiError, ButtonInstallResponse, ButtonPressResponse } from '../../../shared/button.js';
import { startServer, type RunningServer } from '../server.js';
import { TeamService } from '../teams/service.js';

const dirs: string[] = [];
const servers: RunningServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function post(url: string, body: unknown, token?: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

const MACHINE = { hostname: 'desk-12', user: 'dana', fullName: 'Dana Example' };

describe('support button REST API', () => {
  it('installs, presses, and answers bad input and bad credentials with typed errors', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-button-api-'));
    dirs.push(dir);
    const server = await startServer({ dataDir: dir, port: 0 });
    servers.push(server);
    await new TeamService(server.ctx.db).save('Printers');
    const { token } = await server.ctx.buttons.mintToken({ kind: 'team', name: 'Printers' }, 60_000, 'test');

    const installed = await post(`${server.url}/api/button/install`, { token, target: { kind: 'team', name: 'Printers' }, machine: MACHINE });
    expect(installed.status).toBe(200);
    const { credential } = ButtonInstallResponse.parse(installed.json);

    const pressed = await post(`${server.url}/api/button/press`, { machine: MACHINE }, credential);
    expect(pressed.status).toBe(200);
    const r = ButtonPressResponse.parse(pressed.json);
    expect(r.queueName).toBe('the Printers team');
    expect((await server.ctx.queue.get(r.requestId))?.customer_name).toBe('Dana Example');

    for (const [body, auth, status, code] of [
      ['{nope', credential, 400, 'ERR_BAD_MESSAGE'],
      [{ machine: { hostname: 'x' } }, credential, 400, 'ERR_BAD_MESSAGE'],
      [{ machine: MACHINE }, undefined, 401, 'ERR_NOT_AUTHENTICATED'],
      [{ machine: MACHINE }, 'wrong', 401, 'ERR_NOT_AUTHENTICATED'],
    ] as const) {
      const bad = await post(`${server.url}/api/button/press`, body, auth);
      expect(bad.status).toBe(status);
      expect(ButtonApiError.parse(bad.json).error.code).toBe(code);
    }
    const wrongTarget = await post(`${server.url}/api/button/install`, { token, target: { kind: 'technician', name: 'admin' }, machine: MACHINE });
    expect(wrongTarget.status).toBe(403);
    // The server is still fine.
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  });
});
