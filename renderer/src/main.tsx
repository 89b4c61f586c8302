// Order matters: both must run before any module that defines zod schemas or loads simple-peer.
import './platform/zod-jitless.js';
import './platform/node-globals.js';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.js';
import { ServicesContext } from './app/context.js';
import { connectConsole } from './bridge/index.js';
import { filesSessionsFor } from './features/files/files-session.js';
import { createSimplePeer } from './features/session/create-peer.js';
import { SessionPeers } from './features/session/session-peers.js';
import { createAppStore } from './store/index.js';
import { wireStore } from './store/wire.js';
import './styles.css';

const connection = connectConsole();
const store = createAppStore();
// Wired once for the page's lifetime, outside React, so no event is missed while components mount.
wireStore(connection.api, store, { onLinkChanged: (l) => connection.onLinkChanged(l) });
const peers = new SessionPeers({
  api: connection.api,
  store,
  createPeer: createSimplePeer,
  // Absent on an insecure origin (a browser console reached over plain http from another machine).
  clipboard: navigator.clipboard ?? null,
});
// Follows the session peers from the start, so the files channel exists on a session's first peer.
filesSessionsFor(peers);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ServicesContext.Provider value={{ api: connection.api, store, peers }}>
      <App />
    </ServicesContext.Provider>
  </StrictMode>,
);
