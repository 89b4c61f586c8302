/**
 * The console core's jump list: which jump clients the technician may
 * access, kept current from the server's snapshot and per-client changes,
 * and starting a session on one. The server decides who sees what; this only
 * mirrors it for the renderer. Administrators also rename, move and remove
 * clients through it.
 */
import type { ConsoleHandlers, EmitEvent } from '../../../shared/console-contract.js';
import type { JumpClientSummary, JumpGroupSummary } from '../../../shared/jump.js';
import type { ServerToConsole } from '../../../shared/protocol.js';
import type { ServerConnection } from '../../../shared/server-connection.js';

export type JumpServerMessage = Extract<ServerToConsole, { type: 'jump:snapshot' | 'jump:client' | 'jump:removed' }>;

export interface JumpCore {
  handlers: Pick<ConsoleHandlers, 'jump:list' | 'jump:start' | 'jump:manage'>;
  onServer(msg: JumpServerMessage): void;
  /** After every welcome: a console that watched the list watches it again. */
  reconnected(): void;
  /** Tells a reloaded renderer the current list. */
  replay(): void;
  /** Forgets everything (sign-out). */
  reset(): void;
}

/** Many clients coming back at once (a server restart) reach the renderer as one update. */
const EMIT_DELAY_MS = 100;

export function createJumpCore(opts: {
  emit: EmitEvent;
  /** The live server connection; throws when signed out. */
  connection: () => ServerConnection<ServerToConsole>;
  log?: (msg: string) => void;
}): JumpCore {
  let watching = false;
  let groups: JumpGroupSummary[] = [];
  const clients = new Map<number, JumpClientSummary>();
  let timer: ReturnType<typeof setTimeout> | null = null;

  const current = () => ({ groups, clients: [...clients.values()] });
  const emitSoon = () => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      opts.emit('jump:changed', current());
    }, EMIT_DELAY_MS);
  };

  return {
    handlers: {
      async 'jump:list'() {
        // The snapshot arrives before the ack, so the list is current when this resolves.
        await opts.connection().request({ type: 'jump:subscribe' });
        watching = true;
        return current();
      },
      async 'jump:start'({ clientId }) {
        await opts.connection().request({ type: 'jump:start', clientId });
        return {};
      },
      async 'jump:manage'({ clientId, change }) {
        await opts.connection().request({ type: 'jump:manage', clientId, change });
        return {};
      },
    },
    onServer(msg) {
      switch (msg.type) {
        case 'jump:snapshot':
          groups = msg.groups;
          clients.clear();
          for (const c of msg.clients) clients.set(c.id, c);
          break;
        case 'jump:client':
          clients.set(msg.client.id, msg.client);
          break;
        case 'jump:removed':
          clients.delete(msg.clientId);
          break;
      }
      emitSoon();
    },
    reconnected() {
      if (!watching) return;
      opts.connection().request({ type: 'jump:subscribe' }).catch((e: unknown) => opts.log?.(`jump list: ${String(e)}`));
    },
    replay() {
      if (watching) opts.emit('jump:changed', current());
    },
    reset() {
      watching = false;
      groups = [];
      clients.clear();
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
