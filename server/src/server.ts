/** Builds and starts the support server: one port for portal, REST and WebSocket. */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { IceServer } from '../../shared/protocol.js';
import { AuditService } from './audit/service.js';
import { AuthService } from './auth/service.js';
import { ButtonService } from './buttons/service.js';
import { TeamChatService } from './team-chat/service.js';
import { ChatService } from './chat/service.js';
import { CodeService } from './codes/service.js';
import type { ServerContext } from './context.js';
import { openDatabase } from './db/index.js';
import { createHttpHandler } from './http/app.js';
import { log } from './log.js';
import { Desk } from './queue/desk.js';
import { QueueService } from './queue/service.js';
import { FailureLimiter } from './rate-limit.js';
import { randomSecret } from './crypto.js';
import { Hub } from './sessions/hub.js';
import { ScriptService } from './scripts/service.js';
import { TeamService } from './teams/service.js';
import { JumpPresence, type JumpPresenceOptions } from './jump/presence.js';
import { JumpService } from './jump/service.js';
import { sweepJumpClients } from './jump/sessions.js';
import { acceptConnection, RouterSocket, takeForwardedAddress } from './ws/router.js';

export interface ServerOptions {
  dataDir: string;
  host?: string;
  port?: number;
  /** PEM files; without them the server speaks plain HTTP, for loopback and tests only. */
  tls?: { certFile: string; keyFile: string };
  iceServers?: IceServer[];
  publicUrl?: string;
  /** How long a new session code stays valid (default 20 minutes). */
  codeTtlMs?: number;
  /** Wrong session codes allowed per address per minute. */
  codeFailuresPerMinute?: number;
  /** Portal requests without a code allowed per address per minute (default 5). */
  portalRequestsPerMinute?: number;
  /** Active sessions at which a technician counts as busy (default 1). */
  busyAfterSessions?: number;
  /** Jump clients: the (re)connection rate cap, and how often connected clients are checked for removal by an administrator. */
  jump?: JumpPresenceOptions & { sweepMs?: number };
  /** A reverse proxy terminates TLS in front of this server: clients' addresses come from X-Forwarded-For. */
  behindTlsProxy?: boolean;
  /** How often console connections are checked for a sign-in that has ended (default 30 s). */
  signInSweepMs?: number;
  /** Called once, on first run, with the generated admin password. */
  onAdminCreated?: (username: string, password: string) => void;
}

export interface RunningServer {
  url: string;
  ctx: ServerContext;
  close(): Promise<void>;
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const db = await openDatabase(opts.dataDir);
  const auth = new AuthService(db);
  const queue = new QueueService(db);
  const chat = new ChatService(db);
  const codes = new CodeService(db, queue, opts.codeTtlMs);
  const services: Omit<ServerContext, 'desk'> = {
    db,
    auth,
    queue,
    chat,
    codes,
    buttons: new ButtonService(db, codes),
    teamChat: new TeamChatService(db),
    audit: new AuditService(db),
    scripts: new ScriptService(db),
    teams: new TeamService(db),
    hub: new Hub(queue, chat, auth),
    jump: new JumpService(db),
    jumpLive: new JumpPresence(opts.jump),
    codeFailures: new FailureLimiter(opts.codeFailuresPerMinute ?? 10, 60_000),
    iceServers: opts.iceServers ?? [],
    publicUrl: opts.publicUrl ?? null,
    updatesDir: path.join(opts.dataDir, 'updates'),
  };
  const desk = new Desk({
    ...services,
    portalRequests: new FailureLimiter(opts.portalRequestsPerMinute ?? 5, 60_000),
    ...(opts.busyAfterSessions !== undefined ? { busyAfterSessions: opts.busyAfterSessions } : {}),
  });
  const ctx: ServerContext = { ...services, desk };
  ctx.jumpLive.startSweep(() => sweepJumpClients(ctx), opts.jump?.sweepMs ?? 5000);

  if ((await auth.countTechnicians()) === 0) {
    const password = randomSecret(12);
    await auth.createTechnician({ username: 'admin', displayName: 'Administrator', password, role: 'admin', mustChangePassword: true });
    opts.onAdminCreated?.('admin', password);
  }

  // Queues are in the database; routing assignments made for consoles of the
  // last run are rebuilt for this one (nobody is online yet: they wait).
  await desk.changed();

  const handler = createHttpHandler(ctx);
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (opts.behindTlsProxy) takeForwardedAddress(req);
    void handler(req, res);
  };
  const server = opts.tls
    ? https.createServer({ cert: fs.readFileSync(opts.tls.certFile), key: fs.readFileSync(opts.tls.keyFile) }, onRequest)
    : http.createServer(onRequest);
  // The router answers a message over the protocol limit with ERR_MESSAGE_TOO_LARGE
  // and keeps the connection. maxPayload is the hard stop for abuse: ws refuses a
  // larger message from its header, unread; RouterSocket then sends the same
  // typed error and closes with 1009.
  const wss = new WebSocketServer({ server, path: '/ws', maxPayload: 1024 * 1024, WebSocket: RouterSocket });
  wss.on('connection', (ws, req) => {
    if (opts.behindTlsProxy) takeForwardedAddress(req);
    acceptConnection(ctx, ws, req);
  });

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const scheme = opts.tls ? 'https' : 'http';
  const url = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (!opts.tls && !['127.0.0.1', '::1', 'localhost'].includes(host)) {
    log.warn('serving plain HTTP on a non-loopback address: TLS must be terminated in front of this server');
  }
  log.info('support server listening', { url });

  // Sign-ins revoked outside this process (the admin CLI's reset-password).
  const signInSweep = setInterval(() => {
    ctx.hub.endRevokedSignIns().catch((e: unknown) => log.error('sign-in sweep failed', { error: e instanceof Error ? e.message : String(e) }));
  }, opts.signInSweepMs ?? 30_000);
  signInSweep.unref();

  return {
    url,
    ctx,
    async close() {
      ctx.jumpLive.stopSweep();
      clearInterval(signInSweep);
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => wss.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
      await db.destroy();
    },
  };
}
