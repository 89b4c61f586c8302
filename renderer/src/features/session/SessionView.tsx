import type { SessionState } from '../../../../shared/protocol.js';
import { useActions, useApi, useAppState } from '../../app/context.js';
import { useAction } from '../../app/use-action.js';
import { ChatPanel } from '../chat/ChatPanel.js';
import { ClipboardPanel } from '../clipboard/ClipboardPanel.js';
import { RemoteScreen } from '../screen/RemoteScreen.js';
import { useSessionLink } from './use-session-link.js';

const allowed = (yes: boolean) => (yes ? 'allowed' : 'not allowed');

export function SessionView({ session }: { session: SessionState }) {
  const api = useApi();
  const { sessionDismissed, chatForgotten, agentErrorDismissed } = useActions();
  const peer = useAppState((s) => s.peer);
  const agentConsent = useAppState((s) => s.agentConsent);
  const agentError = useAppState((s) => s.agentError);
  const remoteScreen = useAppState((s) => s.remoteScreen);
  const ended = session.status === 'ended';
  const link = useSessionLink();
  const end = useAction(() => api.invoke('session:end', { requestId: session.requestId }));
  const confirmEnd = () => {
    // Ending stops the user's support client; getting back needs the user's help.
    if (window.confirm(`End the session with ${session.customerName}?`)) void end.run();
  };

  const { consent } = session;
  // The agent is where consent is enforced; say so when it still differs from the user's choice.
  const agentLags =
    agentConsent !== null && (agentConsent.view !== consent.view || agentConsent.control !== consent.control);

  const placeholder = ended
    ? 'The session has ended.'
    : !session.agentOnline
      ? 'The support client is not connected.'
      : !consent.view
        ? 'The user has not allowed screen viewing yet.'
        : null;

  const dismiss = () => {
    chatForgotten(session.requestId);
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
        ) : (
          <button className="button danger" data-testid="session-end" disabled={end.pending} onClick={confirmEnd}>
            {end.pending ? 'Ending…' : 'End session'}
          </button>
        )}
      </header>
      {ended && (
        <p className="banner" role="status">
          The session has ended{session.endedReason ? `: ${session.endedReason}` : '.'}
        </p>
      )}
      {end.error && <p className="banner error" role="alert">{end.error}</p>}
      {agentError && !ended && (
        <p className="banner error" role="alert">
          <span>{agentError}</span>
          <button className="link-button" onClick={agentErrorDismissed}>
            Dismiss
          </button>
        </p>
      )}
      <div className="session-body">
        <RemoteScreen link={link} placeholder={placeholder} />
        <aside className="side">
          {consent.control && !ended && <ClipboardPanel link={link} />}
          <ChatPanel requestId={session.requestId} open={!ended} />
        </aside>
      </div>
    </main>
  );
}
