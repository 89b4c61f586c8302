/**
 * Where the renderer gets its ConsoleApi: the Electron preload exposes one as
 * `window.lifeline`; in a plain browser the web host offers the same contract
 * over a WebSocket at /bridge on the page's own origin.
 */
import type { ConsoleApi, Disposer } from '../../../shared/console-contract.js';
import { guardApi } from './validate.js';
import { WsBridge, type LinkState } from './ws-bridge.js';

export type { LinkState } from './ws-bridge.js';
export { errorSentence } from './validate.js';

declare global {
  interface Window {
    lifeline?: ConsoleApi;
  }
}

export interface ConsoleConnection {
  api: ConsoleApi;
  /** The link to the console core; calls back with the current state at once. */
  onLinkChanged(listener: (state: LinkState) => void): Disposer;
  dispose(): void;
}

export function connectConsole(): ConsoleConnection {
  if (window.lifeline) {
    // IPC to the main process cannot drop while the window exists.
    return {
      api: guardApi(window.lifeline),
      onLinkChanged: (listener) => {
        listener('open');
        return () => {};
      },
      dispose: () => {},
    };
  }
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const bridge = new WsBridge({ url: `${scheme}//${location.host}/bridge` });
  return { api: bridge, onLinkChanged: (l) => bridge.onLinkChanged(l), dispose: () => bridge.dispose() };
}
