import { useSyncExternalStore } from 'react';
import { useServices } from '../../app/context.js';
import { filesSessionsFor, type FilesSession } from '../files/files-session.js';
import type { ToolsLink } from '../tools/tools-link.js';
import type { PeerLink } from './peer-link.js';

/** The peer link of the session on screen (null once it has ended). */
export function useSessionLink(): PeerLink | null {
  const { peers } = useServices();
  return useSyncExternalStore(peers.subscribe, peers.current);
}

/** The tools link of the session on screen (null once it has ended). */
export function useToolsLink(): ToolsLink | null {
  const { peers } = useServices();
  return useSyncExternalStore(peers.subscribe, peers.currentTools);
}

/** The files channel and transfers of the session on screen (null once it has ended). */
export function useFilesSession(): FilesSession | null {
  const { peers } = useServices();
  // main.tsx creates it with the session peers, so it has followed them from the start.
  const sessions = filesSessionsFor(peers);
  return useSyncExternalStore(sessions.subscribe, sessions.current);
}
