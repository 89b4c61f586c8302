/**
 * The one place where the console core's events land in the store.
 * `signal:received` is deliberately absent: signalling goes straight to the
 * peer (features/session/peer-link.ts), never through state.
 */
import type { ConsoleApi, Disposer } from '../../../shared/console-contract.js';
import type { LinkState } from '../bridge/ws-bridge.js';
import type { AppStore } from './index.js';

export interface WireOptions {
  /** The link to the core; must report the current state on subscription. */
  onLinkChanged(listener: (state: LinkState) => void): Disposer;
  log?: Pick<Console, 'warn'>;
}

export function wireStore(api: ConsoleApi, store: AppStore, options: WireOptions): Disposer {
  const s = store.getState;
  const log = options.log ?? console;
  let disposed = false;

  // Asked again after every reconnect: the core may have signed in or out meanwhile.
  const restore = () => {
    api.invoke('auth:status', {}).then(
      ({ technician }) => {
        if (!disposed) s().authRestored(technician);
      },
      (e: unknown) => log.warn('[store] auth:status failed', e),
    );
  };

  const disposers: Disposer[] = [
    api.on('connection:changed', ({ state }) => s().connectionChanged(state)),
    api.on('queue:changed', ({ items, teams }) => {
      s().queueChanged(items);
      if (teams) s().teamsChanged(teams);
      s().queueSeen(items);
    }),
    api.on('presence:changed', ({ technicians }) => s().presenceChanged(technicians)),
    api.on('session:changed', ({ state }) => s().sessionChanged(state)),
    api.on('chat:history-loaded', ({ requestId, messages }) => s().historyLoaded(requestId, messages)),
    api.on('chat:received', ({ message }) => s().messageReceived(message)),
    api.on('error:raised', ({ code, message }) => s().noticeRaised(code, message)),
    api.on('script:started', (e) => s().scriptStarted(e)),
    api.on('script:output-received', (e) => s().scriptOutputReceived(e)),
    api.on('script:exited', (e) => s().scriptExited(e)),
    api.on('jump:changed', (list) => s().jumpChanged(list)),
    api.on('session:transferred', (t) => {
      s().chatForgotten(t.requestId);
      s().scriptRunsForgotten(t.requestId);
      s().sessionTransferred(t);
    }),
    api.on('deep-link:opened', (link) => s().deepLinkOpened(link)),
    // A link is followed once the console knows enough (signed in, queue or jump list loaded), whichever event brings that.
    store.subscribe((state) => {
      if (state.pendingLink) state.followPendingLink();
    }),
    options.onLinkChanged((state) => {
      s().linkChanged(state);
      if (state === 'open') restore();
    }),
  ];

  return () => {
    if (disposed) return;
    disposed = true;
    for (const d of disposers) d();
  };
}
