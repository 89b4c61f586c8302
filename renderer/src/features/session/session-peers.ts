/**
 * Drives the peer connection from the store, outside React: one PeerLink for
 * the session on screen, wanted while that session is active and its agent is
 * online, disposed when the session ends or another replaces it, and with it
 * the session's ToolsLink (the tools channel on each of its peers). Their
 * status and the agent's low-rate reports go into the store; screen data and
 * shell bytes do not (RemoteScreen and the shell subscribe to the links). Text the remote clipboard
 * sends also goes to the technician's clipboard, where the browser allows it.
 * Every new peer is told the technician's screen choices (monitor, quality)
 * again, so a reconnect does not undo them.
 *
 * Living outside React keeps the peer's lifetime tied to the session, not to
 * component mounts (StrictMode mounts twice; a re-render must never renegotiate).
 */
import type { ControlMessage } from '../../../../shared/channel.js';
import type { ConsoleApi, Disposer } from '../../../../shared/console-contract.js';
import type { SessionState } from '../../../../shared/protocol.js';
import type { AppStore } from '../../store/index.js';
import type { AgentReport } from '../../store/session.js';
import { ToolsLink } from '../tools/tools-link.js';
import { PeerLink, type PeerFactory, type PeerLinkOptions } from './peer-link.js';

export interface SessionPeersOptions {
  api: ConsoleApi;
  store: AppStore;
  createPeer: PeerFactory;
  /** The technician's clipboard (navigator.clipboard); null where the browser has none (an insecure origin). */
  clipboard: Pick<Clipboard, 'writeText'> | null;
  /** Passed to every PeerLink (tests shorten the timers). */
  link?: Pick<PeerLinkOptions, 'retryDelayMs' | 'connectTimeoutMs' | 'log'>;
}

export class SessionPeers {
  private link: PeerLink | null = null;
  private tools: ToolsLink | null = null;
  private requestId: string | null = null;
  private linkDisposers: Disposer[] = [];
  private seen: SessionState | null | undefined = undefined;
  private readonly listeners = new Set<() => void>();
  private readonly unsubscribeStore: Disposer;
  private disposed = false;

  constructor(private readonly options: SessionPeersOptions) {
    this.unsubscribeStore = options.store.subscribe((s) => this.sync(s.session));
    this.sync(options.store.getState().session);
  }

  /** The current session's link, or null; stable between changes (for useSyncExternalStore). */
  readonly current = (): PeerLink | null => this.link;

  /** The current session's tools link, or null; changes with `current()`. */
  readonly currentTools = (): ToolsLink | null => this.tools;

  /** Called whenever `current()` changes. */
  readonly subscribe = (listener: () => void): Disposer => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.unsubscribeStore();
    this.replace(null);
    this.listeners.clear();
  }

  private sync(session: SessionState | null): void {
    // Store updates made below (peer status) call back in here: only a new session object matters.
    if (session === this.seen || this.disposed) return;
    this.seen = session;
    const live = session && session.status !== 'ended' ? session : null;
    if ((live?.requestId ?? null) !== this.requestId) this.replace(live?.requestId ?? null);
    this.link?.setWanted(live !== null && live.status === 'active' && live.agentOnline);
  }

  private replace(requestId: string | null): void {
    const old = this.link;
    if (old) {
      for (const d of this.linkDisposers) d();
      this.linkDisposers = [];
      this.link = null;
      this.tools?.dispose();
      this.tools = null;
      old.dispose();
    }
    this.requestId = requestId;
    const actions = this.options.store.getState();
    if (requestId) {
      const link = new PeerLink({ api: this.options.api, requestId, createPeer: this.options.createPeer, ...this.options.link });
      const tools = new ToolsLink({ peer: link, log: this.options.link?.log });
      this.linkDisposers = [
        tools.onOpenChanged((open) => actions.toolsChanged(open)),
        link.onStatus((s) => {
          actions.peerChanged(s);
          if (s === 'connected') this.sendChoices(link);
        }),
        link.onMessage((m) => {
          if (m.kind !== 'control' || !isAgentReport(m.msg)) return;
          actions.agentReported(m.msg);
          if (m.msg.t === 'clipboard' && m.msg.selection === 'clipboard') this.copyLocally(m.msg.text);
        }),
      ];
      this.link = link;
      this.tools = tools;
    }
    if (old) {
      actions.peerChanged('idle');
      actions.toolsChanged(false);
    }
    for (const l of [...this.listeners]) l();
  }

  private sendChoices(link: PeerLink): void {
    const { monitor, quality } = this.options.store.getState().screenChoice;
    if (monitor !== null) link.send({ t: 'monitor', id: monitor });
    if (quality !== null) link.send({ t: 'quality', mode: quality });
  }

  private copyLocally(text: string): void {
    const { remoteClipboardCopied } = this.options.store.getState();
    const clipboard = this.options.clipboard;
    if (!clipboard) return remoteClipboardCopied(text, false);
    // Refused without focus or permission; the text stays on screen to copy by hand.
    clipboard.writeText(text).then(
      () => remoteClipboardCopied(text, true),
      () => remoteClipboardCopied(text, false),
    );
  }
}

const REPORTS: ReadonlySet<string> = new Set<AgentReport['t']>(['screen', 'consent', 'error', 'monitors', 'quality-changed', 'clipboard']);

function isAgentReport(msg: ControlMessage): msg is AgentReport {
  return REPORTS.has(msg.t);
}
