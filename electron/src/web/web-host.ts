/**
 * The web host: serves the console renderer to an ordinary browser and
 * carries the console contract over one WebSocket (`/bridge`), with one
 * console core per connection. It is how tests drive the real renderer
 * against the real core (Electron's binary cannot be downloaded on the build
 * machines), and a browser console for technicians who cannot install.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { BridgeToHost, dispatchRequest, type EmitEvent } from '../../../shared/console-contract.js';
import { LIMITS } from '../../../shared/limits.js';
import { createConsoleCore } from '../core/console-core.js';

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " +
  "connect-src 'self' ws: wss:; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2',
};

export interface WebHostOptions {
  serverUrl: string;
  /** The built renderer (vite build output). */
  rendererDir: string;
  host?: string;
  port?: number;
  log?: (msg: string) => void;
}

export interface RunningWebHost {
  url: string;
  close(): Promise<void>;
}

export async function startWebHost(opts: WebHostOptions): Promise<RunningWebHost> {
  const root = path.resolve(opts.rendererDir);
  if (!fs.existsSync(path.join(root, 'index.html'))) {
    throw new Error(`The console renderer is not built (no ${path.join(root, 'index.html')}). Run: npm run build`);
  }
  const server = http.createServer((req, res) => serveFile(root, req, res));
  const wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.wsMessageBytes });

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    // Only pages this host served may drive a core: a page on another origin
    // must not be able to act as the signed-in technician.
    const origin = req.headers.origin;
    if (url.pathname !== '/bridge' || !origin || new URL(origin).host !== req.headers.host) {
      socket.write('HTTP/1.1 403 Forbidden\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => bridge(ws, opts));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    async close() {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function bridge(ws: WebSocket, opts: WebHostOptions): void {
  const send = (frame: object) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
  };
  const emit: EmitEvent = (event, payload) => send({ kind: 'event', event, payload });
  const core = createConsoleCore({ serverUrl: opts.serverUrl, emit, ...(opts.log ? { log: opts.log } : {}) });

  ws.on('message', async (data, isBinary) => {
    let json: unknown;
    try {
      json = JSON.parse(isBinary ? '' : String(data));
    } catch {
      json = null;
    }
    const parsed = BridgeToHost.safeParse(json);
    if (!parsed.success) {
      opts.log?.('bridge: refused a malformed frame');
      const id = (json as { id?: unknown } | null)?.id;
      if (Number.isSafeInteger(id)) send({ kind: 'result', id, ok: false, error: { code: 'ERR_BAD_MESSAGE', message: 'The request could not be understood.' } });
      return;
    }
    const frame = parsed.data;
    const result = await dispatchRequest(core.handlers, frame.channel, frame.payload);
    send({ kind: 'result', id: frame.id, ...result });
  });
  ws.on('close', () => core.dispose());
  ws.on('error', () => core.dispose());
}

function serveFile(root: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://placeholder');
  let rel = decodeURIComponent(url.pathname);
  if (rel === '/' || !path.extname(rel)) rel = '/index.html'; // client-side routes
  const file = path.resolve(root, `.${rel}`);
  if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Not found');
    return;
  }
  res.writeHead(200, {
    'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': rel === '/index.html' ? 'no-cache' : 'public, max-age=3600',
  });
  fs.createReadStream(file).pipe(res);
}
