import type { StateCreator } from 'zustand';
import type { ControlMessage, Monitor, QualityMode } from '../../../shared/channel.js';
import type { Consent, SessionState } from '../../../shared/protocol.js';
import type { AppState } from './index.js';

/**
 * `idle`: no peer wanted (session not active or agent offline);
 * `reconnecting`: the last peer closed or failed and a new one is due.
 */
export type PeerStatus = 'idle' | 'connecting' | 'connected' | 'reconnecting';

export type AgentReport = Extract<ControlMessage, { t: 'screen' | 'consent' | 'error' | 'monitors' | 'quality-changed' | 'clipboard' }>;

export type ScreenQuality = Omit<Extract<ControlMessage, { t: 'quality-changed' }>, 't'>;

export interface RemoteClipboard {
  text: string;
  /** Whether it also went to the technician's own clipboard (browsers may refuse). */
  copied: 'pending' | 'copied' | 'not-copied';
}

export interface SessionData {
  /** The one session this console shows; stays after it ends until dismissed. */
  session: SessionState | null;
  peer: PeerStatus;
  /** Whether the tools channel (shells, system information) is open on the current peer. */
  toolsOpen: boolean;
  /** What the agent says it enforces; null until it tells us. */
  agentConsent: Consent | null;
  /** The agent's last error, as a sentence. */
  agentError: string | null;
  remoteScreen: { width: number; height: number } | null;
  /** The remote machine's monitors and which one is streamed (`all` for every one). */
  monitors: { list: Monitor[]; selected: string } | null;
  /** The quality the agent streams at, as it last said. */
  quality: ScreenQuality | null;
  /** What the technician picked, sent again to every new peer (a reconnect must not undo it). */
  screenChoice: { monitor: string | null; quality: QualityMode | null };
  /** The last text the remote clipboard sent. */
  remoteClipboard: RemoteClipboard | null;
  /** No input of any kind goes to the remote machine. */
  viewOnly: boolean;
  /** The last session this console handed on (transfer), for the message on the way back to the queue. */
  handedOver: HandedOver | null;
}

export interface HandedOver {
  requestId: string;
  customerName: string;
  /** Who or which queue has it now, in words. */
  to: string;
  note: string;
}

/** What belongs to the agent on the other end of the peer. */
const agentReports = { agentConsent: null, monitors: null, quality: null } as const;
const noPeer = { peer: 'idle', toolsOpen: false, agentError: null, remoteScreen: null, ...agentReports } as const;
/** What the technician did in one session. */
const freshSession = { screenChoice: { monitor: null, quality: null }, remoteClipboard: null, viewOnly: false } as const;

export const initialSession: SessionData = { session: null, ...noPeer, ...freshSession, handedOver: null };

/** `me`: the signed-in technician; a shared session that no longer lists him (he left) leaves this console. */
export function sessionChanged(data: SessionData, next: SessionState, me: number | null = null): SessionData {
  const current = data.session;
  const left = me !== null && next.status === 'active' && next.participants !== undefined && !next.participants.some((p) => p.technicianId === me);
  if (!current || current.requestId !== next.requestId) {
    // A session opens when accepted: the core also reports requests still
    // waiting in the queue (e.g. one made with this technician's code) and
    // late `ended`s of sessions already dismissed. The UI holds one session;
    // another may replace it only once it has ended.
    const free = !current || current.status === 'ended';
    return free && next.status === 'active' && !left ? { ...data, ...noPeer, ...freshSession, session: next } : data;
  }
  if (left) return { ...data, ...noPeer, ...freshSession, session: null };
  if (next.status === 'ended') return { ...data, ...noPeer, remoteScreen: data.remoteScreen, session: next };
  // What the agent reported (the consent it enforces, its monitors, its quality) is about the agent that just left.
  const agentGone = current.agentOnline && !next.agentOnline;
  // An agent error is nearly always a refusal under the old consent.
  const consentMoved = current.consent.view !== next.consent.view || current.consent.control !== next.consent.control;
  return {
    ...data,
    session: next,
    ...(agentGone ? agentReports : {}),
    ...(consentMoved ? { agentError: null } : {}),
  };
}

/** The server moved the session to another queue: it leaves this console, peer and all. */
export function sessionTransferred(data: SessionData, t: { requestId: string; to: string; note: string }): SessionData {
  if (data.session?.requestId !== t.requestId) return data;
  const handedOver = { requestId: t.requestId, customerName: data.session.customerName, to: t.to, note: t.note };
  return { ...data, ...noPeer, ...freshSession, session: null, handedOver };
}

export function handedOverDismissed(data: SessionData): SessionData {
  return data.handedOver ? { ...data, handedOver: null } : data;
}

export function sessionDismissed(data: SessionData): SessionData {
  return data.session?.status === 'ended' ? { ...data, ...noPeer, ...freshSession, session: null } : data;
}

export function peerChanged(data: SessionData, peer: PeerStatus): SessionData {
  return { ...data, peer };
}

export function toolsChanged(data: SessionData, toolsOpen: boolean): SessionData {
  return data.toolsOpen === toolsOpen ? data : { ...data, toolsOpen };
}

export function agentReported(data: SessionData, msg: AgentReport): SessionData {
  switch (msg.t) {
    case 'screen':
      return { ...data, remoteScreen: { width: msg.width, height: msg.height } };
    case 'consent':
      return { ...data, agentConsent: { view: msg.view, control: msg.control } };
    case 'error':
      return { ...data, agentError: msg.message };
    case 'monitors':
      return { ...data, monitors: { list: msg.monitors, selected: msg.selected } };
    case 'quality-changed':
      return { ...data, quality: { mode: msg.mode, effective: msg.effective, jpegQuality: msg.jpegQuality } };
    case 'clipboard':
      // The X primary selection changes with every text selection; only an explicit copy is the clipboard.
      return msg.selection === 'clipboard' ? { ...data, remoteClipboard: { text: msg.text, copied: 'pending' } } : data;
  }
}

export function remoteClipboardCopied(data: SessionData, text: string, copied: boolean): SessionData {
  // A newer text may have arrived while the browser was writing this one.
  if (data.remoteClipboard?.text !== text) return data;
  return { ...data, remoteClipboard: { text, copied: copied ? 'copied' : 'not-copied' } };
}

/** Shown at once; the agent's next report confirms or corrects it. */
export function monitorChosen(data: SessionData, id: string): SessionData {
  return {
    ...data,
    screenChoice: { ...data.screenChoice, monitor: id },
    monitors: data.monitors && { ...data.monitors, selected: id },
  };
}

export function qualityChosen(data: SessionData, mode: QualityMode): SessionData {
  return {
    ...data,
    screenChoice: { ...data.screenChoice, quality: mode },
    quality: data.quality && { ...data.quality, mode },
  };
}

export function viewOnlyChanged(data: SessionData, viewOnly: boolean): SessionData {
  return { ...data, viewOnly };
}

export function agentErrorDismissed(data: SessionData): SessionData {
  return { ...data, agentError: null };
}

export interface SessionSlice extends SessionData {
  sessionChanged(state: SessionState): void;
  sessionDismissed(): void;
  peerChanged(peer: PeerStatus): void;
  toolsChanged(open: boolean): void;
  agentReported(msg: AgentReport): void;
  agentErrorDismissed(): void;
  remoteClipboardCopied(text: string, copied: boolean): void;
  monitorChosen(id: string): void;
  qualityChosen(mode: QualityMode): void;
  viewOnlyChanged(viewOnly: boolean): void;
  sessionTransferred(t: { requestId: string; to: string; note: string }): void;
  handedOverDismissed(): void;
}

export const createSessionSlice: StateCreator<AppState, [], [], SessionSlice> = (set) => ({
  ...initialSession,
  sessionChanged: (state) => set((s) => sessionChanged(s, state, s.technician?.id ?? null)),
  sessionDismissed: () => set((s) => sessionDismissed(s)),
  peerChanged: (peer) => set((s) => peerChanged(s, peer)),
  toolsChanged: (open) => set((s) => toolsChanged(s, open)),
  agentReported: (msg) => set((s) => agentReported(s, msg)),
  agentErrorDismissed: () => set((s) => agentErrorDismissed(s)),
  remoteClipboardCopied: (text, copied) => set((s) => remoteClipboardCopied(s, text, copied)),
  monitorChosen: (id) => set((s) => monitorChosen(s, id)),
  qualityChosen: (mode) => set((s) => qualityChosen(s, mode)),
  viewOnlyChanged: (viewOnly) => set((s) => viewOnlyChanged(s, viewOnly)),
  sessionTransferred: (t) => set((s) => sessionTransferred(s, t)),
  handedOverDismissed: () => set((s) => handedOverDismissed(s)),
});
