/**
 * `lifeline-web-console --server URL [--port 8081] [--host 127.0.0.1]`: the
 * browser console. Prints its URL on stdout.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startWebHost } from './web-host.js';

const { values } = parseArgs({
  options: {
    server: { type: 'string', default: process.env.LIFELINE_SERVER ?? 'http://127.0.0.1:8080' },
    port: { type: 'string', default: '8081' },
    host: { type: 'string', default: '127.0.0.1' },
    renderer: { type: 'string', default: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dist/renderer') },
  },
});

try {
  const host = await startWebHost({
    serverUrl: values.server,
    rendererDir: values.renderer,
    host: values.host,
    port: Number(values.port),
    log: (m) => process.stderr.write(`${new Date().toISOString()} web-console: ${m}\n`),
  });
  process.stdout.write(`Lifeline web console on ${host.url}\n`);
  const stop = () => void host.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
