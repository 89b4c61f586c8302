/**
 * The Scripts tab: the server's prepared scripts, each run on the remote
 * machine after the technician confirms it. Scripts go through the server
 * (which keeps their output in the session log), not the tools channel; the
 * output arrives as core events and stays in the store for the session.
 * Script names, descriptions and output are shown as text only.
 */
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { ScriptSummary } from '../../../../shared/protocol.js';
import { useApi, useAppState } from '../../app/context.js';
import { useAction } from '../../app/use-action.js';
import type { ScriptRun } from '../../store/scripts.js';
import type { Availability } from '../tools/availability.js';
import { plainOutput } from './output.js';

export interface ScriptsPanelProps {
  requestId: string;
  customerName: string;
  allowed: Availability;
  /** Scripts can run now: the session is active and the support client online. */
  live: boolean;
}

export function ScriptsPanel({ requestId, customerName, allowed, live }: ScriptsPanelProps) {
  const api = useApi();
  const allRuns = useAppState((s) => s.scriptRuns);
  const runs = useMemo(() => allRuns.filter((r) => r.requestId === requestId).reverse(), [allRuns, requestId]);
  const [scripts, setScripts] = useState<ScriptSummary[] | null>(null);

  const load = useAction(
    useCallback(async () => {
      setScripts((await api.invoke('scripts:list', {})).scripts);
    }, [api]),
  );
  const { run: loadNow } = load;
  useEffect(() => {
    void loadNow();
  }, [loadNow]);

  const start = useAction(async (script: ScriptSummary) => api.invoke('script:run', { requestId, scriptId: script.id }));
  const confirmRun = (script: ScriptSummary) => {
    const about = script.description ? `\n\n${script.description}` : '';
    if (window.confirm(`Run "${script.name}" on ${customerName}'s computer (${script.shell})?${about}`)) void start.run(script);
  };

  const canRun = allowed.ok && live && !start.pending;
  const why = !allowed.ok ? allowed.reason : !live ? 'The support client is not connected.' : undefined;

  return (
    <div className="scripts">
      <section className="scripts-list" aria-label="Prepared scripts">
        <header className="card-head">
          <h3>Prepared scripts</h3>
          <button className="link-button small" onClick={() => void load.run()} disabled={load.pending}>
            Reload
          </button>
        </header>
        {load.error && <p className="form-error small card-note" role="alert">{load.error}</p>}
        {start.error && <p className="form-error small card-note" role="alert">{start.error}</p>}
        {scripts?.length === 0 && <p className="muted card-note">No scripts have been prepared on this server.</p>}
        <ul>
          {scripts?.map((s) => (
            <li key={s.id} className="script-item" data-testid="script-item" data-script-id={s.id}>
              <div className="script-about">
                <span className="script-name">{s.name}</span>
                {s.description && <span className="muted small">{s.description}</span>}
              </div>
              <span className="badge">{s.shell}</span>
              <button className="button small primary" data-testid="script-run" disabled={!canRun} title={why} onClick={() => confirmRun(s)}>
                Run
              </button>
            </li>
          ))}
        </ul>
      </section>
      <section className="script-runs" aria-label="Script output">
        {runs.length === 0 && <p className="muted card-note">Output of the scripts you run in this session appears here.</p>}
        {runs.map((r) => (
          <RunOutput key={r.runId} run={r} />
        ))}
      </section>
    </div>
  );
}

function RunOutput({ run }: { run: ScriptRun }) {
  const text = useMemo(() => plainOutput(run.output), [run.output]);
  const preRef = useRef<HTMLPreElement>(null);
  const follow = useRef(true);

  useLayoutEffect(() => {
    const pre = preRef.current;
    if (pre && follow.current) pre.scrollTop = pre.scrollHeight;
  }, [text]);

  const exit = run.exit;
  return (
    <article className="card script-output" data-testid="script-output" data-run-id={run.runId}>
      <header className="card-head">
        <h3>{run.name}</h3>
        {exit === null ? (
          <span className="badge" role="status">running…</span>
        ) : (
          <span className={`badge ${exit.code === 0 ? 'ok' : 'bad'}`} data-testid="script-exit">
            {exit.code === null ? 'stopped' : `exit ${exit.code}`}
          </span>
        )}
      </header>
      {exit?.error && <p className="form-error small card-note">{exit.error}</p>}
      {run.dropped > 0 && <p className="muted small card-note">The start of the output is not shown; the session log has all of it.</p>}
      <pre
        ref={preRef}
        className="script-text"
        onScroll={(e) => {
          const el = e.currentTarget;
          follow.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {text}
      </pre>
    </article>
  );
}
