import { useId, useMemo, useState } from 'react';
import type { SessionState } from '../../../../shared/protocol.js';
import { useActions, useApi, useAppState } from '../../app/context.js';
import { useAction } from '../../app/use-action.js';
import { ChatPanel } from '../chat/ChatPanel.js';
import { ClipboardPanel } from '../clipboard/ClipboardPanel.js';
import { FilesPanel } from '../files/FilesPanel.js';
import { RemoteScreen } from '../screen/RemoteScreen.js';
import { ScriptsPanel } from '../scripts/ScriptsPanel.js';
import { ShellPanel } from '../shell/ShellPanel.js';
import { SysinfoPanel } from '../sysinfo/SysinfoPanel.js';
import { capability, tabAvailability, TOOL_TABS, type Availability, type ToolTab } from '../tools/availability.js';
import { ToolTabs } from '../tools/ToolTabs.js';
import { useFilesSession, useSessionLink, useToolsLink } from './use-session-link.js';
import { TransferForm } from './Transfer.js';
import { SharingForm } from './Sharing.js';
import { heldByOther } from '../../../../shared/sharing.js';

const allowed = (yes: boolean) => (yes ? 'allowed' : 'not allowed');

export function SessionView({ session }: { session: SessionState }) {
  const api = useApi();
  const { sessionDismissed, chatForgotten, scriptRunsForgotten, agentErrorDismissed } = useActions();
  const peer = useAppState((s) => s.peer);
  const agentConsent = useAppState((s) => s.agentConsent);
  const agentError = useAppState((s) => s.agentError);
  const remoteScreen = useAppState((s) => s.remoteScreen);
  const ended = session.status === 'ended';
  const link = useSessionLink();
  const tools = useToolsLink();
  const files = useFilesSession();
  const [tab, setTab] = useState<ToolTab>('screen');
  const [form, setForm] = useState<'transfer' | 'invite' | 'handover' | null>(null);
  const toggle = (f: 'transfer' | 'invite' | 'handover') => setForm((open) => (open === f ? null : f));
  const me = useAppState((s) => s.technician?.id ?? null);
  // In a shared session another technician may hold control: this console then only watches.
  const other = heldByOther(session.participants, me);
  const shared = (session.participants?.length ?? 0) > 1;
  // A panel is built the first time its tab is shown and then kept, so a shell survives a look at the screen.
  const [visited, setVisited] = useState<ReadonlySet<ToolTab>>(() => new Set(['screen']));
  const panelIds = useId();
  const panelId = (t: ToolTab) => `${panelIds}-${t}`;
  const availability = useMemo(
    () => Object.fromEntries(TOOL_TABS.map((t) => [
      t,
      other && t !== 'screen' ? { ok: false, reason: `${other.displayName} has control; only the technician holding control can use this.` } : tabAvailability(session, t),
    ])) as Record<ToolTab, Availability>,
    [session, other],
  );
  const selectTab = (t: ToolTab) => {
    setTab(t);
    setVisited((v) => (v.has(t) ? v : new Set([...v, t])));
  };
  const end = useAction(() => api.invoke('session:end', { requestId: session.requestId }));
  const leave = useAction(() => api.invoke('session:leave', { requestId: session.requestId }));
  const confirmEnd = () => {
    // Ending stops the user's support client; getting back needs the user's help.
    if (window.confirm(`End the session with ${session.customerName}?`)) void end.run();
  };

  const { consent } = session;
  // The agent is where consent is enforced; say so when it still differs from the user's choice.
  const agentLags =
    agentConsent !== null && (agentConsent.view !== consent.view || agentConsent.control !== consent.control);

  const placeholder = ended ? 'The session has ended.' : !session.agentOnline ? 'The support client is not connected.' : null;
  const selected = availability[tab];

  const dismiss = () => {
    chatForgotten(session.requestId);
    scriptRunsForgotten(session.requestId);
    sessionDismissed();
  };

  return (
    <main className="session" data-testid="session-view">
      <header className="session-bar">
        <div className="session-who">
          <h2>{session.customerName}</h2>
          <span className="muted small">
            {session.agent ? `${session.agent.user}@${session.agent.hostname} · ${session.agent.os}` : 'No client information yet'}
            {remoteScreen && ` · ${remoteScreen.width}×${remoteScreen.height}`}
          </span>
        </div>
        <dl className="status-line">
          <div>
            <dt>Consent</dt>
            <dd data-testid="consent-status">
              view: {allowed(consent.view)} · control: {allowed(consent.control)}
            </dd>
          </div>
          {agentLags && (
            <div className="warn" title="What the support client enforces right now">
              <dt>Client enforces</dt>
              <dd data-testid="agent-consent">
                viewing {agentConsent.view ? 'on' : 'off'}, control {agentConsent.control ? 'on' : 'off'}
              </dd>
            </div>
          )}
          {(shared || other) && (
            <div>
              <dt>Control</dt>
              <dd data-testid="control-holder" className={other ? 'warn' : 'ok'} title={session.participants?.map((p) => p.displayName).join(', ')}>
                {other ? `${other.displayName} has control` : 'You have control'}
              </dd>
            </div>
          )}
          <div>
            <dt>Client</dt>
            <dd data-testid="agent-status" className={session.agentOnline ? 'ok' : 'bad'}>
              {session.agentOnline ? 'online' : 'offline'}
            </dd>
          </div>
          <div>
            <dt>Connection</dt>
            <dd data-testid="peer-status" className={peer === 'connected' ? 'ok' : undefined}>
              {peer === 'idle' ? 'not connected' : peer}
            </dd>
          </div>
        </dl>
        {ended ? (
          <button className="button" onClick={dismiss}>
            Back to queue
          </button>
        ) : other ? (
          <button className="button" data-testid="session-leave" disabled={leave.pending} onClick={() => void leave.run()}>
            {leave.pending ? 'Leaving…' : 'Leave'}
          </button>
        ) : (
          <>
            <button className="button" data-testid="session-invite" aria-expanded={form === 'invite'} onClick={() => toggle('invite')}>
              Invite
            </button>
            {shared && (
              <button className="button" data-testid="session-handover" aria-expanded={form === 'handover'} onClick={() => toggle('handover')}>
                Hand over control
              </button>
            )}
            <button className="button" data-testid="session-transfer" aria-expanded={form === 'transfer'} onClick={() => toggle('transfer')}>
              Transfer
            </button>
            <button className="button danger" data-testid="session-end" disabled={end.pending} onClick={confirmEnd}>
              {end.pending ? 'Ending…' : 'End session'}
            </button>
          </>
        )}
      </header>
      {!ended && !other && form === 'transfer' && <TransferForm requestId={session.requestId} onClose={() => setForm(null)} />}
      {!ended && !other && (form === 'invite' || form === 'handover') && (
        <SharingForm key={form} session={session} kind={form} onClose={() => setForm(null)} />
      )}
      {ended && (
        <p className="banner" role="status">
          The session has ended{session.endedReason ? `: ${session.endedReason}` : '.'}
        </p>
      )}
      {end.error && <p className="banner error" role="alert">{end.error}</p>}
      {leave.error && <p className="banner error" role="alert">{leave.error}</p>}
      {agentError && !ended && (
        <p className="banner error" role="alert">
          <span>{agentError}</span>
          <button className="link-button" onClick={agentErrorDismissed}>
            Dismiss
          </button>
        </p>
      )}
      <div className="session-body">
        <section className="tool-area" aria-label="Tools">
          <ToolTabs selected={tab} availability={availability} onSelect={selectTab} panelId={panelId} />
          {!selected.ok && (
            <p className="tool-unavailable" data-testid="tool-unavailable" role="status">
              {selected.reason}
            </p>
          )}
          {/* Hidden, not unmounted, without consent: the painter lives for the session, the last picture must not show. */}
          <div className="tool-panel" id={panelId('screen')} role="tabpanel" hidden={tab !== 'screen' || !availability.screen.ok}>
            <RemoteScreen link={link} placeholder={placeholder} />
          </div>
          {visited.has('shell') && (
            <div className="tool-panel" id={panelId('shell')} role="tabpanel" hidden={tab !== 'shell'}>
              <ShellPanel session={session} tools={tools} />
            </div>
          )}
          {visited.has('files') && (
            <div className="tool-panel" id={panelId('files')} role="tabpanel" hidden={tab !== 'files'}>
              <FilesPanel files={files} allowed={availability.files} active={!ended} agentOnline={session.agentOnline} />
            </div>
          )}
          {visited.has('sysinfo') && availability.sysinfo.ok && (
            <div className="tool-panel" id={panelId('sysinfo')} role="tabpanel" hidden={tab !== 'sysinfo'}>
              <SysinfoPanel tools={tools} kill={capability(session, 'process_kill')} active={!ended} agentOnline={session.agentOnline} />
            </div>
          )}
          {visited.has('scripts') && (
            <div className="tool-panel" id={panelId('scripts')} role="tabpanel" hidden={tab !== 'scripts'}>
              <ScriptsPanel
                requestId={session.requestId}
                customerName={session.customerName}
                allowed={availability.scripts}
                live={!ended && session.agentOnline}
              />
            </div>
          )}
        </section>
        <aside className="side">
          {consent.control && !ended && !other && <ClipboardPanel link={link} />}
          <ChatPanel requestId={session.requestId} open={!ended} />
        </aside>
      </div>
    </main>
  );
}
