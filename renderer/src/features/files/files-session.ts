/**
 * One FilesLink and one TransferManager per session, next to the session's
 * ToolsLink: created as soon as the session's PeerLink exists (so the files
 * channel is there on its first peer), kept across tab switches and dropped
 * peers, and disposed — every unfinished transfer abandoned — when the
 * session ends or another replaces it. Lives outside React for the same
 * reason as SessionPeers: a re-render or a remount must never reset a
 * transfer.
 */
import type { Disposer } from '../../../../shared/console-contract.js';
import type { PeerLink } from '../session/peer-link.js';
import { opfsDownloadStore } from './download-store.js';
import { FilesLink } from './files-link.js';
import { saveToDownloads } from './handoff.js';
import { TransferManager } from './transfers.js';

export interface FilesSession {
  readonly link: FilesLink;
  readonly transfers: TransferManager;
}

/** The session peers, as far as this needs them (SessionPeers). */
export interface PeersSource {
  subscribe(listener: () => void): Disposer;
  current(): PeerLink | null;
}

export type CreateFilesSession = (peer: PeerLink) => FilesSession;

const createFilesSession: CreateFilesSession = (peer) => {
  const link = new FilesLink({ peer });
  const transfers = new TransferManager({ link, store: opfsDownloadStore(), save: saveToDownloads });
  return { link, transfers };
};

export class FilesSessions {
  private peer: PeerLink | null = null;
  private session: FilesSession | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly peers: PeersSource,
    private readonly create: CreateFilesSession = createFilesSession,
  ) {
    peers.subscribe(() => this.sync());
    this.sync();
  }

  /** The files of the session on screen, or null; stable between changes (for useSyncExternalStore). */
  readonly current = (): FilesSession | null => this.session;

  readonly subscribe = (listener: () => void): Disposer => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  private sync(): void {
    const peer = this.peers.current();
    if (peer === this.peer) return;
    const old = this.session;
    this.peer = peer;
    this.session = peer ? this.create(peer) : null;
    if (old) {
      // Transfers first: their cancels can still go out on the channel.
      old.transfers.dispose();
      old.link.dispose();
    }
    for (const l of [...this.listeners]) l();
  }
}

const byPeers = new WeakMap<PeersSource, FilesSessions>();

/** The page's FilesSessions for these session peers, created on first use. */
export function filesSessionsFor(peers: PeersSource): FilesSessions {
  let sessions = byPeers.get(peers);
  if (!sessions) {
    sessions = new FilesSessions(peers);
    byPeers.set(peers, sessions);
  }
  return sessions;
}
