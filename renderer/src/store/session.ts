import type { StateCreator } from 'zustand';
import type { ControlMessage } from '../../../shared/channel.js';
import type { Consent, SessionState } from '../../../shared/protocol.js';
import type { AppState } from './index.js';

/**
 * `idle`: no peer wanted (session not active or agent offline);
 * `reconnecting`: the last peer closed or failed and a new one is due.
 */
export type PeerStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting';

type AgentReport = Extract<ControlMessage, { t: 'screen' | 'consent' | 'error' }>;

export interface SessionData {
  /** The one session this console shows; stays after it ends until dismissed. */
  session: SessionState | null;
  peer: PeerStatus;
  /** What the agent says it enforces; null until it tells us. */
  agentConsent: Consent | null;
  /** The agent's last error, as a sentence. */
  agentError: string | null;
  remoteScreen: { width: number; height: number } | null;
}

const noPeer = { peer: 'idle', agentConsent: null, agentError: null, remoteScreen: null } as const;

export const initialSession: SessionData = { session: null, ...noPeer };

export function sessionChanged(data: SessionData, next: SessionState): SessionData {
  const current = data.session;
  if (!current || current.requestId !== next.requestId) {
    // A session opens when accepted: the core also reports requests still
    // waiting in the queue (e.g. one made with this technician's code) and
    // late `ended`s of sessions already dismissed. The UI holds one session;
    // another may replace it only once it has ended.
    const free = !current || current.status === 'ended';
    return free && next.status === 'active' ? { ...data, ...noPeer, session: next } : data;
  }
  if (next.status === 'ended') return { ...data, ...noPeer, remoteScreen: data.remoteScreen, session: next };
  // The agent's report of what it enforces is about the agent that just left.
  const agentGone = current.agentOnline && !next.agentOnline;
  // An agent error is nearly always a refusal under the old consent.
  const consentMoved = current.consent.view !== next.consent.view || current.consent.control !== next.consent.control;
  return {
    ...data,
    session: next,
    ...(agentGone ? { agentConsent: null } : {}),
    ...(consentMoved ? { agentError: null } : {}),
  };
}

export function sessionDismissed(data: SessionData): SessionData {
  return data.session?.status === 'ended' ? { ...data, ...noPeer, session: null } : data;
}

export function peerChanged(data: SessionData, peer: PeerStatus): SessionData {
  return { ...data, peer };
}

export function agentReported(data: SessionData, msg: AgentReport): SessionData {
  switch (msg.t) {
    case 'screen':
      return { ...data, remoteScreen: { width: msg.width, height: msg.height } };
    case 'consent':
      return { ...data, agentConsent: { view: msg.view, control: msg.control } };
    case 'error':
      return { ...data, agentError: msg.message };
  }
}

export function agentErrorDismissed(data: SessionData): SessionData {
  return { ...data, agentError: null };
}

export interface SessionSlice extends SessionData {
  sessionChanged(state: SessionState): void;
  sessionDismissed(): void;
  peerChanged(peer: PeerStatus): void;
  agentReported(msg: AgentReport): void;
  agentErrorDismissed(): void;
}

export const createSessionSlice: StateCreator<AppState, [], [], SessionSlice> = (set) => ({
  ...initialSession,
  sessionChanged: (state) => set((s) => sessionChanged(s, state)),
  sessionDismissed: () => set((s) => sessionDismissed(s)),
  peerChanged: (peer) => set((s) => peerChanged(s, peer)),
  agentReported: (msg) => set((s) => agentReported(s, msg)),
  agentErrorDismissed: () => set((s) => agentErrorDismissed(s)),
});
