import { formatSessionCode } from '../../../../shared/session-code.js';
import { useActions, useApi, useAppState } from '../../app/context.js';
import { useAction } from '../../app/use-action.js';
import { useNow } from '../../app/use-now.js';
import { formatClock } from '../../app/clock.js';
import { formatExpiry } from './format.js';

export function SessionCodePanel() {
  const api = useApi();
  const { codeCreated } = useActions();
  const code = useAppState((s) => s.sessionCode);
  const now = useNow();
  const create = useAction(async () => codeCreated(await api.invoke('code:create', {})));
  const expired = code !== null && code.expiresAt <= now;

  return (
    <section className="card code-panel" aria-label="Session code">
      <div className="code-panel-text">
        <h2>Invite a user</h2>
        <p className="muted">Read the code to the user; they enter it on the support portal.</p>
      </div>
      {code && (
        <div className={expired ? 'code expired' : 'code'}>
          <span className="code-value" data-testid="code-value">
            {formatSessionCode(code.code)}
          </span>
          <span className="muted small" title={`Valid until ${formatClock(code.expiresAt)}`}>
            {formatExpiry(code.expiresAt, now)} · until {formatClock(code.expiresAt)}
          </span>
        </div>
      )}
      <button className="button" data-testid="code-create" disabled={create.pending} onClick={() => void create.run()}>
        {create.pending ? 'Generating…' : code ? 'New code' : 'Generate session code'}
      </button>
      {create.error && <p className="form-error" role="alert">{create.error}</p>}
    </section>
  );
}
