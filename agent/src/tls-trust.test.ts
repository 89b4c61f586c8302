import https from 'node:https';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { untrustedCertificate } from './tls-trust.js';

describe('untrustedCertificate', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-tls-test-'));
  let server: https.Server;
  let url: string;

  beforeAll(async () => {
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    server = https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('explains a real self-signed certificate refusal from a WebSocket handshake', async () => {
    const err = await new Promise<Error>((resolve) => new WebSocket(`${url.replace('https', 'wss')}/ws`).on('error', resolve));
    const sentence = untrustedCertificate(err, url);
    expect(sentence).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(sentence).toContain(url);
  });

  it('says nothing about errors that retrying may cure', async () => {
    const err = await new Promise<Error>((resolve) => new WebSocket('ws://127.0.0.1:1/ws').on('error', resolve));
    expect(untrustedCertificate(err, url)).toBeNull();
    expect(untrustedCertificate(null, url)).toBeNull();
    expect(untrustedCertificate({ code: 42 }, url)).toBeNull();
  });
});
