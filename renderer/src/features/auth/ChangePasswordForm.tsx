/**
 * Choosing a new password: required right after signing in with a one-time
 * password (the server refuses everything else until then), or asked for from
 * the top bar later. The server checks the same rules again.
 */
import { useState, type FormEvent } from 'react';
import { createPortal } from 'react-dom';
import { LifelineError } from '../../../../shared/errors.js';
import type { Technician } from '../../../../shared/protocol.js';
import { useAction } from '../../app/use-action.js';
import { useApi } from '../../app/context.js';

const MIN_PASSWORD_CHARS = 12;

interface Props {
  /** The one-time password he has just signed in with: not asked again. */
  oneTimePassword?: string;
  onChanged(technician: Technician): void;
  onCancel(): void;
}

export function ChangePasswordForm({ oneTimePassword, onChanged, onCancel }: Props) {
  const api = useApi();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const change = useAction(async () => {
    const currentPassword = oneTimePassword ?? current;
    if (!currentPassword) throw new LifelineError('ERR_PASSWORD_REJECTED', 'Enter your current password.');
    if (next.length < MIN_PASSWORD_CHARS) {
      throw new LifelineError('ERR_PASSWORD_REJECTED', `The new password needs at least ${MIN_PASSWORD_CHARS} characters.`);
    }
    if (next === currentPassword) throw new LifelineError('ERR_PASSWORD_REJECTED', 'The new password must differ from the current one.');
    if (next !== again) throw new LifelineError('ERR_PASSWORD_REJECTED', 'The two new passwords are not the same.');
    const { technician } = await api.invoke('auth:change-password', { currentPassword, newPassword: next });
    onChanged(technician);
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void change.run();
  };

  return (
    <form className="card login-card" onSubmit={submit} noValidate data-testid="password-form">
      {oneTimePassword === undefined ? (
        <h2>Change your password</h2>
      ) : (
        <>
          <h2>Choose your password</h2>
          <p className="muted">You signed in with a one-time password. Choose your own before you continue.</p>
        </>
      )}
      {oneTimePassword === undefined && (
        <label className="field">
          <span>Current password</span>
          <input
            data-testid="password-current"
            type="password"
            autoComplete="current-password"
            autoFocus
            maxLength={1000}
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
          />
        </label>
      )}
      <label className="field">
        <span>New password (at least {MIN_PASSWORD_CHARS} characters)</span>
        <input
          data-testid="password-new"
          type="password"
          autoComplete="new-password"
          autoFocus={oneTimePassword !== undefined}
          maxLength={1000}
          value={next}
          onChange={(e) => setNext(e.target.value)}
        />
      </label>
      <label className="field">
        <span>New password again</span>
        <input
          data-testid="password-again"
          type="password"
          autoComplete="new-password"
          maxLength={1000}
          value={again}
          onChange={(e) => setAgain(e.target.value)}
        />
      </label>
      {change.error && (
        <p className="form-error" role="alert" data-testid="password-error">
          {change.error}
        </p>
      )}
      <button className="button primary" type="submit" data-testid="password-submit" disabled={change.pending}>
        {change.pending ? 'Saving…' : 'Save the new password'}
      </button>
      <button className="button" type="button" data-testid="password-cancel" onClick={onCancel} disabled={change.pending}>
        {oneTimePassword === undefined ? 'Cancel' : 'Sign out'}
      </button>
    </form>
  );
}

/** The top bar's "Change password": the form in a dialog (on the page, not styled as the top bar), then a confirmation. */
export function ChangePasswordButton() {
  const [open, setOpen] = useState(false);
  const [changed, setChanged] = useState(false);
  const close = () => {
    setOpen(false);
    setChanged(false);
  };
  return (
    <>
      <button className="button small" data-testid="password-change-open" onClick={() => setOpen(true)}>
        Change password
      </button>
      {open && createPortal(
        <div className="login password-dialog" role="dialog" aria-label="Change password">
          {changed ? (
            <div className="card login-card">
              <p data-testid="password-changed">Your password has been changed. Your other sign-ins have ended.</p>
              <button className="button primary" onClick={close} autoFocus>
                Close
              </button>
            </div>
          ) : (
            <ChangePasswordForm onChanged={() => setChanged(true)} onCancel={close} />
          )}
        </div>,
        document.body,
      )}
    </>
  );
}
