/**
 * The production set-up: the support server speaks HTTPS and WSS with its own
 * certificate (self-signed here, trusted through NODE_EXTRA_CA_CERTS as an
 * administrator would for a private CA). Console core, agent and portal all
 * go through TLS, and an agent that does not trust the certificate stops with
 * a clear sentence instead of retrying forever.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, request, test, type BrowserContext } from '@playwright/test';
import { createCode, expectCanvasToMatchScreen, joinPortal, openPage, signIn } from './console.js';
import { startAgent, startFirstRunServer, startWebConsole, startXterm, startXvfb, type LifelineServer, type Proc, type XDisplay } from './harness.js';

let dir: string;
let cert: string;
let x: XDisplay;
let xterm: Proc;
let server: LifelineServer;
let web: { url: string; proc: Proc };
const agents: Proc[] = [];
const contexts: BrowserContext[] = [];
const extraCaBefore = process.env.NODE_EXTRA_CA_CERTS;

test.beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-tls-'));
  cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  x = await startXvfb();
  xterm = await startXterm(x.display);
  server = await startFirstRunServer(['--tls-cert', cert, '--tls-key', key]);
  // The administrator replaces the one-time password (this process does not trust the private CA; Playwright's client is told to).
  const api = await request.newContext({ baseURL: server.url, ignoreHTTPSErrors: true });
  const { token } = (await (await api.post('/api/login', { data: { username: 'admin', password: server.adminPassword } })).json()) as { token: string };
  const newPassword = 'tls-admin-password-1';
  expect((await api.post('/api/password', { data: { currentPassword: server.adminPassword, newPassword }, headers: { authorization: `Bearer ${token}` } })).ok()).toBe(true);
  server.adminPassword = newPassword;
  await api.dispose();
  // Node reads NODE_EXTRA_CA_CERTS when it starts: the web console and agents started from here trust the certificate.
  process.env.NODE_EXTRA_CA_CERTS = cert;
  web = await startWebConsole(server.url);
});

test.afterAll(async () => {
  if (extraCaBefore === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
  else process.env.NODE_EXTRA_CA_CERTS = extraCaBefore;
  for (const a of agents) await a.stop();
  for (const c of contexts) await c.close();
  await web?.proc.stop();
  await server?.stop();
  await xterm?.stop();
  await x?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('over HTTPS and WSS, a session runs end to end: the console core, the agent and the portal all connect through TLS', async ({ browser }) => {
  expect(server.url).toMatch(/^https:\/\//);
  const tech = await openPage(browser, contexts);
  // The browser does not know the private CA; a user's browser would.
  const userContext = await browser.newContext({ ignoreHTTPSErrors: true });
  contexts.push(userContext);
  const user = await userContext.newPage();
  await signIn(tech, web.url, 'admin', server.adminPassword);
  const code = await createCode(tech);
  await joinPortal(user, server.url, code, 'Tls User');
  await expect(user.getByTestId('portal-agent-command')).toContainText(`--server ${server.url}`);

  const agent = startAgent(server.url, code, x.display);
  agents.push(agent);
  await tech.getByTestId('queue-item').filter({ hasText: 'Tls User' }).getByTestId('queue-accept').click();
  await user.getByTestId('consent-view').check();
  await expect(tech.getByTestId('peer-status')).toHaveText('connected', { timeout: 30_000 });
  await expectCanvasToMatchScreen(tech, x.display, { x: 0, y: 0, w: 600, h: 380 });

  await user.getByTestId('portal-chat-input').fill('sent over wss');
  await user.getByTestId('portal-chat-send').click();
  await expect(tech.getByTestId('chat-message').filter({ hasText: 'sent over wss' })).toBeVisible();

  await tech.getByTestId('session-end').click();
  expect(await agent.exited).toBe(0);
});

test('an agent that does not trust the server certificate stops with a sentence that says so', async ({ browser }) => {
  const tech = await openPage(browser, contexts);
  await signIn(tech, web.url, 'admin', server.adminPassword);
  const code = await createCode(tech);
  const agent = startAgent(server.url, code, x.display, [], { NODE_EXTRA_CA_CERTS: '' });
  agents.push(agent);
  expect(await agent.exited).not.toBe(0);
  expect(agent.output()).toMatch(/certificate/i);
  expect(agent.output()).not.toMatch(/^\s+at /m);
});
