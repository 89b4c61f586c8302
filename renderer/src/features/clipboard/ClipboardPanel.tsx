/**
 * Clipboard exchange with the remote machine, offered while the user allows
 * control (the agent refuses it otherwise anyway). The remote text came from
 * another machine: it is shown as a React text child only, never as HTML.
 * Pasting into the focused remote screen sends the technician's clipboard by
 * itself (screen-input.ts); this panel is for sending text explicitly and
 * for reading what the remote side copied.
 */
import { useState, type FormEvent } from 'react';
import { useAppState } from '../../app/context.js';
import type { PeerLink } from '../session/peer-link.js';
import { clipboardMessage } from './clipboard.js';

const COPIED_NOTE = {
  pending: '',
  copied: 'Also copied to your clipboard.',
  'not-copied': 'Your browser did not let the console write to your clipboard; use Copy.',
} as const;

export function ClipboardPanel({ link }: { link: PeerLink | null }) {
  const remote = useAppState((s) => s.remoteClipboard);
  const viewOnly = useAppState((s) => s.viewOnly);
  const connected = useAppState((s) => s.peer === 'connected');
  const [text, setText] = useState('');
  const [status, setStatus] = useState<{ error: boolean; message: string } | null>(null);
  const check = text ? clipboardMessage(text) : null;
  const problem = check && !check.ok ? check.problem : null;

  const send = (e: FormEvent) => {
    e.preventDefault();
    const outcome = clipboardMessage(text);
    if (!outcome.ok) return setStatus({ error: true, message: outcome.problem });
    if (!link?.send(outcome.msg)) return setStatus({ error: true, message: 'Not sent: the connection to the remote computer is down.' });
    setStatus({ error: false, message: 'Sent to the remote clipboard.' });
  };

  const copy = () => {
    if (!remote) return;
    navigator.clipboard?.writeText(remote.text).then(
      () => setStatus({ error: false, message: 'Copied to your clipboard.' }),
      () => setStatus({ error: true, message: 'Your browser refused to copy; select the text and copy it by hand.' }),
    );
  };

  return (
    <section className="clipboard" aria-label="Clipboard">
      <h2 className="panel-title">Clipboard</h2>
      <div className="clipboard-body">
        <div className="clipboard-remote-head">
          <span className="muted small">Remote clipboard</span>
          {remote && (
            <button className="link-button small" type="button" onClick={copy}>
              Copy
            </button>
          )}
        </div>
        {/* Empty until the remote side copies something; the stylesheet shows a hint meanwhile. */}
        <pre className="clipboard-remote" data-testid="clipboard-remote">
          {remote?.text}
        </pre>
        {remote && COPIED_NOTE[remote.copied] && <p className="muted small clipboard-note">{COPIED_NOTE[remote.copied]}</p>}
        <form className="clipboard-send" onSubmit={send}>
          <textarea
            data-testid="clipboard-input"
            rows={2}
            placeholder={viewOnly ? 'View only: nothing is sent.' : 'Text for the remote clipboard'}
            aria-label="Text for the remote clipboard"
            value={text}
            disabled={viewOnly}
            onChange={(e) => {
              setText(e.target.value);
              setStatus(null);
            }}
          />
          <button className="button small" type="submit" data-testid="clipboard-send" disabled={viewOnly || !connected || !text || problem !== null}>
            Send
          </button>
        </form>
        {(problem ?? status) && (
          <p className={`small clipboard-note${problem || status?.error ? ' form-error' : ' muted'}`} role={problem || status?.error ? 'alert' : 'status'}>
            {problem ?? status?.message}
          </p>
        )}
      </div>
    </section>
  );
}
