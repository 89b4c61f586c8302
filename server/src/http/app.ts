/**
 * REST API and the user portal's static files, on the same port as the
 * WebSocket endpoint (one port through every firewall).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { PortalHelpRequest, type IssueTypesResponse, type PortalHelpResponse } from '../../../shared/desk.js';
import { LifelineError, toWireError } from '../../../shared/errors.js';
import { agentCommand } from '../../../shared/session-code.js';
import { ChangePasswordRequest, LoginRequest, PortalJoinRequest, type CodeResponse, type LoginResponse, type PortalJoinResponse } from '../../../shared/protocol.js';
import type { ServerContext } from '../context.js';
import { log } from '../log.js';
import { claimWithLimit } from '../ws/handlers.js';
import { clientAddress } from '../ws/router.js';
import { handleJumpApi } from './jump-api.js';
import { handleButtonApi } from './button-api.js';
import { TeamChatHistoryRequest, type TeamChatHistoryResponse } from '../../../shared/team-chat.js';

const PORTAL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../portal');
const MAX_BODY_BYTES = 16 * 1024;

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/portal.js': { file: 'portal.js', type: 'text/javascript; charset=utf-8' },
  '/portal.css': { file: 'portal.css', type: 'text/css; charset=utf-8' },
};

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

export function createHttpHandler(ctx: ServerContext) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://placeholder');
    try {
      if (req.method === 'GET' && STATIC[url.pathname]) return serveStatic(res, STATIC[url.pathname]!);
      if (req.method === 'GET' && url.pathname === '/api/health') return json(res, 200, { ok: true });
      if (req.method === 'GET' && url.pathname.startsWith('/updates/')) return serveUpdate(ctx.updatesDir, url.pathname.slice('/updates/'.length), req, res);
      if (req.method === 'POST' && url.pathname === '/api/login') {
        const body = await readBody(req, LoginRequest);
        const r = await ctx.auth.login(body.username, body.password);
        await ctx.audit.record(r.technician.username, 'auth.login', { ip: clientAddress(req) });
        return json(res, 200, r satisfies LoginResponse);
      }
      if (req.method === 'POST' && url.pathname === '/api/password') {
        const body = await readBody(req, ChangePasswordRequest);
        const tech = await ctx.auth.changePassword(bearer(req), body.currentPassword, body.newPassword);
        await ctx.audit.record(tech.username, 'auth.password-changed', { ip: clientAddress(req) });
        // His other consoles lose their sign-in now, not at their next reconnect.
        await ctx.hub.endRevokedSignIns();
        return json(res, 200, {});
      }
      if (req.method === 'POST' && url.pathname === '/api/logout') {
        await ctx.auth.logout(bearer(req));
        return json(res, 200, {});
      }
      if (req.method === 'POST' && url.pathname === '/api/codes') {
        const tech = await ctx.auth.authenticate(bearer(req));
        const r = await ctx.codes.create(tech.id);
        await ctx.audit.record(tech.username, 'code.created', { expiresAt: r.expiresAt });
        return json(res, 200, r satisfies CodeResponse);
      }
      if (req.method === 'GET' && url.pathname === '/api/scripts') {
        await ctx.auth.authenticate(bearer(req));
        const scripts = (await ctx.scripts.list()).map(({ id, name, description, shell }) => ({ id, name, description, shell }));
        return json(res, 200, { scripts });
      }
      if (req.method === 'GET' && url.pathname === '/api/portal/issue-types') {
        // Public: the portal's "Ask for help" form lists them. Names only.
        const issueTypes = (await ctx.desk.issueTypes.list()).map((t) => ({ name: t.name }));
        return json(res, 200, { issueTypes } satisfies IssueTypesResponse);
      }
      if (req.method === 'POST' && url.pathname === '/api/portal/request') {
        const body = await readBody(req, PortalHelpRequest);
        const server = publicUrlOf(ctx, req);
        return json(res, 200, (await ctx.desk.createPortalRequest(body, clientAddress(req), server)) satisfies PortalHelpResponse);
      }
      if (req.method === 'POST' && url.pathname === '/api/portal/join') {
        const body = await readBody(req, PortalJoinRequest);
        const claim = await claimWithLimit(ctx, clientAddress(req), body.code, 'portal', body.name);
        const tech = claim.technicianId != null ? await ctx.auth.getTechnician(claim.technicianId) : null;
        const server = publicUrlOf(ctx, req);
        await ctx.hub.broadcast(claim.requestId);
        return json(res, 200, {
          requestId: claim.requestId,
          resumeKey: claim.resumeKey,
          technician: { displayName: tech?.displayName ?? 'your technician' },
          agentCommand: agentCommand(server, body.code.replace(/\D/g, '')),
        } satisfies PortalJoinResponse);
      }
      if (url.pathname.startsWith('/api/jump/')) return await handleJumpApi(ctx, req, res, url.pathname);
      if (url.pathname.startsWith('/api/button/')) return await handleButtonApi(ctx, req, res, url.pathname);
      if (req.method === 'POST' && url.pathname === '/api/team-chat/history') {
        const tech = await ctx.auth.authenticate(bearer(req));
        const body = await readBody(req, TeamChatHistoryRequest);
        return json(res, 200, { messages: await ctx.teamChat.history(tech.id, body.with) } satisfies TeamChatHistoryResponse);
      }
      throw new LifelineError('ERR_NOT_FOUND', 'No such page.');
    } catch (e) {
      const wire = toWireError(e);
      if (wire.code === 'ERR_INTERNAL') log.error('http handler failed', { path: url.pathname, error: e instanceof Error ? e.stack : String(e) });
      json(res, STATUS[wire.code] ?? 400, { error: wire });
    }
  };
}

const STATUS: Partial<Record<string, number>> = {
  ERR_NOT_AUTHENTICATED: 401, ERR_LOGIN_FAILED: 401, ERR_PERMISSION: 403, ERR_PASSWORD_CHANGE_REQUIRED: 403, ERR_NOT_FOUND: 404,
  ERR_RATE_LIMITED: 429, ERR_MESSAGE_TOO_LARGE: 413, ERR_INTERNAL: 500,
};

function bearer(req: IncomingMessage): string {
  const h = req.headers.authorization ?? '';
  if (!h.startsWith('Bearer ')) throw new LifelineError('ERR_NOT_AUTHENTICATED');
  return h.slice(7);
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function serveStatic(res: ServerResponse, entry: { file: string; type: string }): void {
  const body = fs.readFileSync(path.join(PORTAL_DIR, entry.file));
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': entry.type });
  res.end(body);
}

/**
 * The console's auto-update feed (electron-updater, generic provider): files
 * an admin drops into data/updates. Only plain file names, nothing else. A
 * single byte range is served as 206 (electron-updater's differential
 * download asks for one range at a time: useMultipleRangeRequest is off in
 * the builder config); several ranges get the whole file.
 */
function serveUpdate(dir: string, encodedName: string, req: IncomingMessage, res: ServerResponse): void {
  let name: string;
  try {
    name = decodeURIComponent(encodedName);
  } catch {
    throw new LifelineError('ERR_BAD_MESSAGE', 'The update file name is not a valid URL path.');
  }
  const file = path.join(dir, name);
  const stat = /^[\w.-]+$/.test(name) && !/^\.+$/.test(name) ? fs.statSync(file, { throwIfNoEntry: false }) : undefined;
  if (!stat?.isFile()) throw new LifelineError('ERR_NOT_FOUND', 'No such update file.');
  const size = stat.size;
  const headers = {
    'content-type': file.endsWith('.yml') ? 'text/yaml; charset=utf-8' : 'application/octet-stream',
    'accept-ranges': 'bytes',
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
  };
  const range = byteRange(req.headers.range, size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { ...headers, 'content-range': `bytes */${size}`, 'content-length': 0 });
    res.end();
    return;
  }
  if (range) {
    res.writeHead(206, { ...headers, 'content-range': `bytes ${range.start}-${range.end}/${size}`, 'content-length': range.end - range.start + 1 });
    sendFile(fs.createReadStream(file, range), res);
    return;
  }
  res.writeHead(200, { ...headers, 'content-length': size });
  sendFile(fs.createReadStream(file), res);
}

/** Streams a file to the client; a client that hangs up, or a file removed meanwhile, closes both ends (no descriptor left open, no crash). */
function sendFile(from: fs.ReadStream, res: ServerResponse): void {
  pipeline(from, res, (err) => {
    if (err && err.code !== 'ERR_STREAM_PREMATURE_CLOSE') log.warn('update download ended early', { error: err.message });
  });
}

/**
 * One `bytes=` range of a file of `size` bytes (RFC 9110, 14.1.2), inclusive;
 * null when the whole file is to be sent: no Range header, or one this server
 * does not honour (several ranges, another unit, bad syntax).
 */
export function byteRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') { // the last N bytes
    const suffix = Number(m[2]);
    return suffix === 0 || size === 0 ? 'unsatisfiable' : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null;
  return start >= size ? 'unsatisfiable' : { start, end };
}

export async function readBody<S extends z.ZodType>(req: IncomingMessage, schema: S): Promise<z.infer<S>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new LifelineError('ERR_MESSAGE_TOO_LARGE');
    chunks.push(chunk as Buffer);
  }
  let data: unknown;
  try {
    data = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new LifelineError('ERR_BAD_MESSAGE', 'The request body is not valid JSON.');
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) throw new LifelineError('ERR_BAD_MESSAGE', 'The request body is malformed.');
  return parsed.data;
}

/** The address users' agents should use: --public-url, or this request's own scheme and host. */
function publicUrlOf(ctx: ServerContext, req: IncomingMessage): string {
  if (ctx.publicUrl) return ctx.publicUrl;
  const scheme = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  return `${scheme}://${req.headers.host ?? 'localhost'}`;
}
