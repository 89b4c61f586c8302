/**
 * The console's update feed (/updates/) on a real server: the files an admin
 * put in data/updates, byte for byte and by range, and nothing else.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError } from '../../../shared/protocol.js';
import { startServer, type RunningServer } from '../server.js';

const LATEST_YML = 'version: 0.2.0\nfiles:\n  - url: Lifeline-Console-0.2.0.AppImage\n    sha512: abc\n    size: 65536\npath: Lifeline-Console-0.2.0.AppImage\n';
const BINARY = crypto.randomBytes(65536);
const SECRET = 'not for the update feed';

let dir: string;
let server: RunningServer;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeline-updates-'));
  fs.mkdirSync(path.join(dir, 'updates'));
  fs.writeFileSync(path.join(dir, 'updates/latest-linux.yml'), LATEST_YML);
  fs.writeFileSync(path.join(dir, 'updates/Lifeline-Console-0.2.0.AppImage'), BINARY);
  fs.writeFileSync(path.join(dir, 'secret.txt'), SECRET);
  server = await startServer({ dataDir: dir, port: 0 });
});
afterAll(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A GET with the path sent exactly as written (fetch would normalise `..` away before sending). */
function get(rawPath: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.url}/`, { path: rawPath, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}
const errorCode = (body: Buffer) => ApiError.parse(JSON.parse(body.toString('utf8'))).error.code;
const BIN = '/updates/Lifeline-Console-0.2.0.AppImage';

describe('update feed', () => {
  it('serves latest.yml and the installer byte for byte, and says it takes byte ranges', async () => {
    const yml = await get('/updates/latest-linux.yml');
    expect(yml.status).toBe(200);
    expect(yml.headers['content-type']).toBe('text/yaml; charset=utf-8');
    expect(yml.body.toString('utf8')).toBe(LATEST_YML);
    const bin = await get(BIN);
    expect(bin.status).toBe(200);
    expect(bin.headers['content-type']).toBe('application/octet-stream');
    expect(bin.headers['accept-ranges']).toBe('bytes');
    expect(bin.headers['content-length']).toBe(String(BINARY.length));
    expect(bin.body.equals(BINARY)).toBe(true);
  });

  it('serves one byte range as 206 with its Content-Range: from-to, from-the-end, and the last N bytes', async () => {
    for (const [header, start, end] of [['bytes=100-4195', 100, 4195], ['bytes=65000-', 65000, 65535], ['bytes=-10', 65526, 65535], ['bytes=60000-99999', 60000, 65535]] as const) {
      const r = await get(BIN, { range: header });
      expect(r.status, header).toBe(206);
      expect(r.headers['content-range'], header).toBe(`bytes ${start}-${end}/65536`);
      expect(r.body.equals(BINARY.subarray(start, end + 1)), header).toBe(true);
    }
  });

  it('answers a range past the end with 416 and the file size, and sends the whole file for ranges it does not honour', async () => {
    const past = await get(BIN, { range: 'bytes=65536-' });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe('bytes */65536');
    expect(past.body.length).toBe(0);
    for (const header of ['bytes=0-10,20-30', 'bytes=50-10', 'items=0-10', 'bytes=x-y']) {
      const r = await get(BIN, { range: header });
      expect(r.status, header).toBe(200);
      expect(r.body.equals(BINARY), header).toBe(true);
    }
  });

  it('refuses paths out of data/updates, plain or percent-encoded, without showing what is there', async () => {
    for (const rawPath of ['/updates/../secret.txt', '/updates/%2e%2e/secret.txt', '/updates/%2E%2E%2Fsecret.txt', '/updates/..%2fsecret.txt', '/updates/%2e%2e%2f%2e%2e%2fsecret.txt', '/updates/']) {
      const r = await get(rawPath);
      expect(r.status, rawPath).toBe(404);
      expect(errorCode(r.body), rawPath).toBe('ERR_NOT_FOUND');
      expect(r.body.toString('utf8'), rawPath).not.toContain(SECRET);
    }
  });

  it('answers a malformed percent-escape with 400 and keeps serving', async () => {
    const bad = await get('/updates/%E0%A4%A');
    expect(bad.status).toBe(400);
    expect(errorCode(bad.body)).toBe('ERR_BAD_MESSAGE');
    expect((await get('/updates/latest-linux.yml')).status).toBe(200);
  });

  it('answers a missing file with 404', async () => {
    const r = await get('/updates/Lifeline-Console-9.9.9.AppImage');
    expect(r.status).toBe(404);
    expect(errorCode(r.body)).toBe('ERR_NOT_FOUND');
  });

  it('closes the file when a client hangs up mid-download (no descriptor left open)', async () => {
    const big = path.join(dir, 'updates/Lifeline-Console-0.3.0.AppImage');
    fs.writeFileSync(big, crypto.randomBytes(16 * 1024 * 1024));
    const openOnBig = () => fs.readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`) === big;
      } catch {
        return false;
      }
    }).length;
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = http.get(`${server.url}/updates/Lifeline-Console-0.3.0.AppImage`, (res) => res.once('data', () => {
          req.destroy();
          resolve();
        }));
        req.on('error', reject);
      });
    }
    const deadline = Date.now() + 5000;
    while (openOnBig() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(openOnBig()).toBe(0);
    expect((await get('/updates/latest-linux.yml')).status).toBe(200);
  });
});
