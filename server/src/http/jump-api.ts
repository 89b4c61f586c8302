/**
 * The REST side of jump clients: enrolment (install token -> credential),
 * a passive client's check-in, reports from a client about a session it was
 * offered, and uninstalling. Clients authenticate with their credential as a
 * Bearer token; a removed client's credential is refused and the answer
 * tells it to uninstall.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LifelineError } from '../../../shared/errors.js';
import {
  JumpCheckInRequest, JumpEnrollRequest, JumpReport, type JumpCheckInResponse, type JumpEnrollResponse,
} from '../../../shared/jump.js';
import type { ServerContext } from '../context.js';
import { REMOVED_MESSAGE, checkIn, disconnectRemoved, reportFromClient } from '../jump/sessions.js';
import { clientSummary, type JumpClientRow } from '../jump/service.js';
import { clientAddress } from '../ws/router.js';
import { json, readBody } from './app.js';

export async function handleJumpApi(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
  if (req.method !== 'POST') throw new LifelineError('ERR_NOT_FOUND', 'No such page.');
  switch (pathname) {
    case '/api/jump/enroll': {
      const ip = clientAddress(req);
      if (ctx.codeFailures.isBlocked(ip)) throw new LifelineError('ERR_RATE_LIMITED');
      const body = await readBody(req, JumpEnrollRequest);
      let enrolled: JumpEnrollResponse;
      try {
        enrolled = await ctx.jump.enroll(body.token, body.mode, body.info);
      } catch (e) {
        // Wrong tokens count like wrong session codes: guessing from one address is cut off.
        if (e instanceof LifelineError && e.code === 'ERR_NOT_AUTHENTICATED') ctx.codeFailures.recordFailure(ip);
        throw e;
      }
      await ctx.audit.record(`jump:${enrolled.clientId}`, 'jump.enrolled', { group: enrolled.group, hostname: body.info.hostname, mode: body.mode, ip });
      const row = await ctx.jump.get(enrolled.clientId);
      if (row) ctx.jumpLive.publish(clientSummary(row, false));
      return json(res, 200, enrolled);
    }
    case '/api/jump/check-in': {
      if (!admitted(ctx, res)) return;
      const client = await authenticate(ctx, req, res);
      if (!client) return;
      const body = await readBody(req, JumpCheckInRequest);
      const now = Date.now();
      // The wake goes where this check-in came from: right on a LAN or VPN, dropped by a NAT on the way.
      await ctx.jump.touch(client.id, body.info, now, body.wakePort ? { address: clientAddress(req), port: body.wakePort } : null);
      const sessions = await checkIn(ctx, client);
      const row = await ctx.jump.get(client.id);
      if (row) ctx.jumpLive.publish(clientSummary(row, ctx.jumpLive.isOnline(row.id)));
      return json(res, 200, { sessions } satisfies JumpCheckInResponse);
    }
    case '/api/jump/report': {
      const client = await authenticate(ctx, req, res);
      if (!client) return;
      await reportFromClient(ctx, client, await readBody(req, JumpReport));
      return json(res, 200, {});
    }
    case '/api/jump/uninstall': {
      // The client removes itself (lifeline-agent uninstall): its credential ends with it.
      const client = await authenticate(ctx, req, res);
      if (!client) return;
      await ctx.jump.remove(client.id);
      await ctx.audit.record(`jump:${client.id}`, 'jump.uninstalled', { hostname: client.hostname });
      const peer = ctx.jumpLive.peer(client.id);
      if (peer) {
        ctx.jumpLive.detach(client.id, peer);
        disconnectRemoved(peer);
      }
      ctx.jumpLive.publishRemoved(client.id, client.group_id);
      return json(res, 200, {});
    }
  }
  throw new LifelineError('ERR_NOT_FOUND', 'No such page.');
}

/** The rate cap shared with WebSocket (re)connections; false when the answer was 429. */
function admitted(ctx: ServerContext, res: ServerResponse): boolean {
  const wait = ctx.jumpLive.connectCap.take();
  if (wait === 0) return true;
  res.setHeader('retry-after', String(Math.ceil(wait / 1000)));
  json(res, 429, { error: { code: 'ERR_RATE_LIMITED', message: 'Many jump clients are checking in at once; try again shortly.', retryAfterMs: wait } });
  return false;
}

/** The client behind the Bearer credential; null when the answer was already sent (a removed client is told to uninstall). */
async function authenticate(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<JumpClientRow | null> {
  const h = req.headers.authorization ?? '';
  if (!h.startsWith('Bearer ')) throw new LifelineError('ERR_NOT_AUTHENTICATED');
  const client = await ctx.jump.byCredential(h.slice(7));
  if (!client) throw new LifelineError('ERR_NOT_AUTHENTICATED', 'This jump client is not known to the server.');
  if (client.removed) {
    json(res, 401, { error: { code: 'ERR_NOT_AUTHENTICATED', message: REMOVED_MESSAGE }, uninstall: true });
    return null;
  }
  return client;
}
