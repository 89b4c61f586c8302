import { LoginView } from '../features/auth/LoginView.js';
import { ChangePasswordButton } from '../features/auth/ChangePasswordForm.js';
import { QueueView } from '../features/queue/QueueView.js';
import { AlertsBell, ArrivalBanner, PresenceControl } from '../features/queue/DeskControls.js';
import { SessionView } from '../features/session/SessionView.js';
import { HandedOverBanner } from '../features/session/Transfer.js';
import { HomeNav, JumpView } from '../features/jump/JumpView.js';
import { TeamChatDock } from '../features/team-chat/TeamChat.js';
import { useActions, useApi, useAppState } from './context.js';
import { useAction } from './use-action.js';

export function App() {
  const phase = useAppState((s) => s.phase);
  const session = useAppState((s) => s.session);
  const home = useAppState((s) => s.home);

  return (
    <div className="app">
      <TopBar />
      <LinkBanner />
      <NoticeBanner />
      {phase === 'signed-in' && <ArrivalBanner />}
      {phase === 'signed-in' && <HandedOverBanner />}
      {phase === 'signed-in' && <TeamChatDock />}
      {phase === 'restoring' ? (
        <main className="centered muted">Connecting to the console…</main>
      ) : phase === 'signed-out' ? (
        <LoginView />
      ) : session ? (
        <SessionView key={session.requestId} session={session} />
      ) : (
        <>
          <HomeNav />
          {home === 'jump' ? <JumpView /> : <QueueView />}
        </>
      )}
    </div>
  );
}

const SERVER_STATE = {
  'signed-out': 'signed out',
  connecting: 'connecting…',
  online: 'online',
  offline: 'offline, reconnecting…',
} as const;

function TopBar() {
  const api = useApi();
  const { signedOut } = useActions();
  const technician = useAppState((s) => s.technician);
  const connection = useAppState((s) => s.connection);
  const logout = useAction(async () => {
    await api.invoke('auth:logout', {});
    signedOut();
  });

  return (
    <header className="topbar">
      <span className="brand">Lifeline</span>
      {technician && (
        <>
          {connection && (
            <span className={`server-state ${connection}`} data-testid="server-status">
              Server {SERVER_STATE[connection]}
            </span>
          )}
          <span className="spacer" />
          <PresenceControl />
          <AlertsBell />
          <span className="who">{technician.displayName}</span>
          <ChangePasswordButton />
          <button className="button small" onClick={() => void logout.run()} disabled={logout.pending}>
            Sign out
          </button>
          {logout.error && <span className="form-error small">{logout.error}</span>}
        </>
      )}
    </header>
  );
}

function LinkBanner() {
  const link = useAppState((s) => s.link);
  const phase = useAppState((s) => s.phase);
  if (link === 'open' || phase === 'restoring') return null;
  return (
    <p className="banner error" role="alert">
      Lost the connection to the console host. Reconnecting…
    </p>
  );
}

function NoticeBanner() {
  const notice = useAppState((s) => s.notice);
  const { noticeDismissed } = useActions();
  if (!notice) return null;
  return (
    <p className="banner error" role="alert" data-testid="notice">
      <span>{notice.message}</span>
      <button className="link-button" onClick={noticeDismissed}>
        Dismiss
      </button>
    </p>
  );
}
