import { useState, type FormEvent } from 'react';
import { LifelineError } from '../../../../shared/errors.js';
import { useAction } from '../../app/use-action.js';
import { useActions, useApi, useAppState } from '../../app/context.js';
import { ChangePasswordForm } from './ChangePasswordForm.js';

export function LoginView() {
  const api = useApi();
  const { signedIn } = useActions();
  const link = useAppState((s) => s.link);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  // Signed in with a one-time password: nothing else until he has chosen his own.
  const [oneTimePassword, setOneTimePassword] = useState<string | null>(null);
  const login = useAction(async () => {
    if (!username.trim() || !password) throw new LifelineError('ERR_LOGIN_FAILED', 'Enter your user name and password.');
    const { technician, mustChangePassword } = await api.invoke('auth:login', { username: username.trim(), password });
    if (mustChangePassword) setOneTimePassword(password);
    else signedIn(technician);
  });
  const signOut = () => {
    setOneTimePassword(null);
    setPassword('');
    void api.invoke('auth:logout', {}).catch(() => undefined);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void login.run();
  };

  if (oneTimePassword !== null) {
    return (
      <main className="login">
        <ChangePasswordForm oneTimePassword={oneTimePassword} onChanged={signedIn} onCancel={signOut} />
      </main>
    );
  }

  return (
    <main className="login">
      <form className="card login-card" onSubmit={submit} noValidate>
        <h1 className="brand brand-large">Lifeline</h1>
        <p className="muted">Sign in to the support console.</p>
        <label className="field">
          <span>User name</span>
          <input
            data-testid="login-username"
            autoComplete="username"
            autoFocus
            maxLength={100}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label className="field">
          <span>Password</span>
          <input
            data-testid="login-password"
            type="password"
            autoComplete="current-password"
            maxLength={1000}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {login.error && (
          <p className="form-error" role="alert" data-testid="login-error">
            {login.error}
          </p>
        )}
        <button
          className="button primary"
          type="submit"
          data-testid="login-submit"
          disabled={login.pending || link !== 'open'}
        >
          {login.pending ? 'Signing in…' : 'Sign in'}
        </button>
        {link !== 'open' && <p className="muted small">Connecting to the console…</p>}
      </form>
    </main>
  );
}
