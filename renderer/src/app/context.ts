import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { ConsoleApi } from '../../../shared/console-contract.js';
import type { SessionPeers } from '../features/session/session-peers.js';
import type { AppState, AppStore } from '../store/index.js';

export interface AppServices {
  api: ConsoleApi;
  store: AppStore;
  peers: SessionPeers;
}

export const ServicesContext = createContext<AppServices | null>(null);

export function useServices(): AppServices {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('ServicesContext is missing');
  return services;
}

export function useApi(): ConsoleApi {
  return useServices().api;
}

/** Select primitives or existing objects: a selector that builds a new object re-renders forever. */
export function useAppState<T>(selector: (s: AppState) => T): T {
  return useStore(useServices().store, selector);
}

/** Store actions for event handlers, without subscribing to state. */
export function useActions(): AppState {
  return useServices().store.getState();
}
