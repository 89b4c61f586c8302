/**
 * The REST side of support buttons: installing one (admin token -> button
 * credential) and pressing it (Bearer credential -> a queued request and its
 * session code). Wrong tokens and credentials count per address like wrong
 * session codes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ButtonInstallRequest, ButtonPressRequest, type ButtonInstallResponse, type ButtonPressResponse } from '../../../shared/button.js';
import { LifelineError } from '../../../shared/errors.js';
import type { ServerContext } from '../context.js';
import { clientAddress } from '../ws/router.js';
import { json, readBody } from './app.js';

async function counted<T>(ctx: ServerContext, ip: string, fn: () => Promise<T>): Promise<T> {
  if (ctx.codeFailures.isBlocked(ip)) throw new LifelineError('ERR_RATE_LIMITED');
  try {
    return await fn();
  } catch (e) {
    if (e instanceof LifelineError && e.code === 'ERR_NOT_AUTHENTICATED') ctx.codeFailures.recordFailure(ip);
    throw e;
  }
}

export async function handleButtonApi(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
  if (req.method !== 'POST') throw new LifelineError('ERR_NOT_FOUND', 'No such page.');
  const ip = clientAddress(req);
  switch (pathname) {
    case '/api/button/install': {
      const body = await readBody(req, ButtonInstallRequest);
      const r = await counted(ctx, ip, () => ctx.buttons.install(body.token, body.target, body.machine));
      await ctx.audit.record(`button:${r.buttonId}`, 'button.installed', { target: `${body.target.kind}:${body.target.name}`, hostname: body.machine.hostname, ip });
      return json(res, 200, r satisfies ButtonInstallResponse);
    }
    case '/api/button/press': {
      const h = req.headers.authorization ?? '';
      if (!h.startsWith('Bearer ')) throw new LifelineError('ERR_NOT_AUTHENTICATED');
      const body = await readBody(req, ButtonPressRequest);
      const { buttonId, ...r } = await counted(ctx, ip, () => ctx.buttons.press(h.slice(7), body.machine));
      await ctx.audit.record(`button:${buttonId}`, 'request.created', { requestId: r.requestId, queue: r.queueName, hostname: body.machine.hostname, ip });
      const row = await ctx.queue.getOrThrow(r.requestId);
      await ctx.hub.sendQueues(row);
      await ctx.desk.changed();
      return json(res, 200, r satisfies ButtonPressResponse);
    }
    default:
      throw new LifelineError('ERR_NOT_FOUND', 'No such page.');
  }
}
