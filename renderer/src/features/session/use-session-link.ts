import { useSyncExternalStore } from 'react';
import { useServices } from '../../app/context.js';
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
