import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Runs the server's command line until it exits or prints its address (then stops it); its output and exit code. */
function runServer(...args: string[]): Promise<{ code: number | null; output: string }> {
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-main-'));
  dirs.push(data);
  const child = spawn(path.join(ROOT, 'node_modules/.bin/tsx'), ['server/src/main.ts', '--port', '0', '--data', data, ...args], { cwd: ROOT });
  let output = '';
  const collect = (b: Buffer) => {
    output += b.toString();
    if (/support server on /.test(output)) child.kill('SIGTERM');
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

describe('lifeline-server', () => {
  it('refuses plain HTTP on a non-loopback address, in one sentence', async () => {
    const { code, output } = await runServer('--host', '0.0.0.0');
    expect(code).toBe(2);
    expect(output).toContain('Refusing to serve plain HTTP on 0.0.0.0');
    expect(output).not.toMatch(/^\s+at /m);
  });

  it('behind a TLS proxy, wants the public address users reach', async () => {
    const { code, output } = await runServer('--host', '0.0.0.0', '--behind-tls-proxy');
    expect(code).toBe(2);
    expect(output).toContain('--behind-tls-proxy needs --public-url');
  });

  it('serves plain HTTP off loopback when a TLS proxy is in front', async () => {
    const { output } = await runServer('--host', '0.0.0.0', '--behind-tls-proxy', '--public-url', 'https://support.example.com');
    expect(output).toMatch(/support server on http:\/\//);
  });
});
