/**
 * `lifeline-server`: runs the support server.
 *   --port 8443 --host 0.0.0.0 --data ./data --tls-cert cert.pem --tls-key key.pem
 *   --public-url https://support.example.com --ice '[{"urls":"stun:..."}]'
 *   --behind-tls-proxy (plain HTTP on a non-loopback address, for a reverse proxy that terminates TLS)
 *   --code-ttl-seconds 1200 --code-failures-per-minute 10
 *   --portal-requests-per-minute 5 --busy-after-sessions 1
 */
import { parseArgs } from 'node:util';
import { IceServer } from '../../shared/protocol.js';
import { adminCreatedBanner } from './first-run.js';
import { log } from './log.js';
import { startServer } from './server.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.LIFELINE_PORT ?? '8080' },
    host: { type: 'string', default: process.env.LIFELINE_HOST ?? '127.0.0.1' },
    data: { type: 'string', default: process.env.LIFELINE_DATA ?? 'data' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'public-url': { type: 'string' },
    ice: { type: 'string', default: process.env.LIFELINE_ICE_SERVERS ?? '[]' },
    'code-ttl-seconds': { type: 'string', default: '1200' },
    'code-failures-per-minute': { type: 'string', default: '10' },
    'portal-requests-per-minute': { type: 'string', default: '5' },
    'busy-after-sessions': { type: 'string', default: '1' },
    'behind-tls-proxy': { type: 'boolean', default: false },
  },
});

const LOOPBACK = ['127.0.0.1', '::1', 'localhost'];

try {
  const iceServers = IceServer.array().parse(JSON.parse(values.ice));
  const tls = values['tls-cert'] && values['tls-key'] ? { certFile: values['tls-cert'], keyFile: values['tls-key'] } : undefined;
  // Passwords, tokens and session codes cross this port: off this machine they travel in TLS, or not at all.
  if (values['behind-tls-proxy'] && !values['public-url']) {
    process.stderr.write('--behind-tls-proxy needs --public-url: the https address users reach through the proxy, which the portal tells their agents.\n');
    process.exit(2);
  }
  if (!tls && !LOOPBACK.includes(values.host) && !values['behind-tls-proxy']) {
    process.stderr.write(`Refusing to serve plain HTTP on ${values.host}: give --tls-cert and --tls-key, or --behind-tls-proxy when a reverse proxy terminates TLS in front of this server.\n`);
    process.exit(2);
  }
  const server = await startServer({
    dataDir: values.data,
    host: values.host,
    port: Number(values.port),
    iceServers,
    codeTtlMs: Number(values['code-ttl-seconds']) * 1000,
    codeFailuresPerMinute: Number(values['code-failures-per-minute']),
    portalRequestsPerMinute: Number(values['portal-requests-per-minute']),
    busyAfterSessions: Number(values['busy-after-sessions']),
    ...(tls ? { tls } : {}),
    ...(values['public-url'] ? { publicUrl: values['public-url'] } : {}),
    behindTlsProxy: values['behind-tls-proxy'],
    onAdminCreated: (username, password) => {
      process.stdout.write(adminCreatedBanner(username, password));
    },
  });
  process.stdout.write(`Lifeline support server on ${server.url}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (e) {
  log.error('the server could not start', { error: e instanceof Error ? e.message : String(e) });
  process.exit(1);
}
