/**
 * The WebSocket side of jump clients: the `jump` role (an installed client's
 * one outbound connection) and the console's jump-list messages. Messages
 * arrive here parsed by the router like every other role's.
 */
import { LifelineError } from '../../../shared/errors.js';
import { silenceLimitMs, type JumpHello } from '../../../shared/jump.js';
import type { ConsoleToServer, JumpToServer, ServerToJump } from '../../../shared/protocol.js';
import type { ServerContext } from '../context.js';
import { REMOVED_MESSAGE, jumpSnapshot, manageJumpClient, startJumpSession } from '../jump/sessions.js';
import { clientSummary } from '../jump/service.js';
import type { ConsolePeer, Peer } from '../sessions/hub.js';
import type { Handler } from './handlers.js';

export async function handleJump(ctx: ServerContext, peer: Peer<ServerToJump>, hello: JumpHello): Promise<Handler> {
  // Checked before anything touches the database: this is what a storm of reconnects hits first.
  const wait = ctx.jumpLive.connectCap.take();
  if (wait > 0) throw new LifelineError('ERR_RATE_LIMITED', 'Many jump clients are connecting at once; try again shortly.', wait);
  const client = await ctx.jump.byCredential(hello.credential);
  if (!client) throw new LifelineError('ERR_NOT_AUTHENTICATED', 'This jump client is not known to the server.');
  if (client.removed) {
    peer.send({ type: 'jump:uninstall', reason: REMOVED_MESSAGE });
    throw new LifelineError('ERR_NOT_AUTHENTICATED', REMOVED_MESSAGE);
  }
  if (client.mode !== 'active') throw new LifelineError('ERR_PERMISSION', 'This jump client is installed in passive mode: it checks in instead of connecting.');
  await ctx.jump.touch(client.id, hello.info);
  const row = (await ctx.jump.get(client.id))!;
  ctx.jumpLive.attach(row, peer);
  peer.send({ type: 'welcome', clientId: row.id, name: row.name });

  // A client that stops sending heartbeats is gone (a dead NAT mapping does not close the socket).
  let silence: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(silence);
    silence = setTimeout(() => peer.close(4002, 'no heartbeat'), silenceLimitMs(hello.heartbeatSeconds));
    silence.unref?.();
  };
  arm();

  return {
    async message(msg: JumpToServer) {
      switch (msg.type) {
        case 'jump:heartbeat':
          arm();
          return;
      }
    },
    async closed() {
      clearTimeout(silence);
      const current = ctx.jumpLive.cachedRow(row.id) ?? row;
      if (!ctx.jumpLive.detach(row.id, peer)) return;
      const now = Date.now();
      // The server may be shutting down with the database already closed: last seen is then the connect time.
      await ctx.jump.touch(row.id, null, now).catch(() => undefined);
      ctx.jumpLive.publish(clientSummary({ ...current, last_seen_at: now }, false));
    },
  };
}

type JumpConsoleMessage = Extract<ConsoleToServer, { type: 'jump:subscribe' | 'jump:start' | 'jump:manage' }>;

export async function handleJumpConsole(ctx: ServerContext, self: ConsolePeer, msg: JumpConsoleMessage): Promise<void> {
  switch (msg.type) {
    case 'jump:subscribe': {
      const { groups, clients, groupIds } = await jumpSnapshot(ctx, self.technician);
      ctx.jumpLive.watch(self, groupIds);
      self.send({ type: 'jump:snapshot', groups, clients });
      return;
    }
    case 'jump:start': {
      const requestId = await startJumpSession(ctx, self.technician, msg.clientId);
      ctx.hub.setLink(requestId, self);
      return;
    }
    case 'jump:manage':
      return manageJumpClient(ctx, self.technician, msg.clientId, msg.change);
  }
}
