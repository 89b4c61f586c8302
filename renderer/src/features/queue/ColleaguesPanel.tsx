import { useMemo } from 'react';
import { useAppState } from '../../app/context.js';
import { presenceLabel } from './sections.js';

/** The other technicians and their status, live. */
export function ColleaguesPanel() {
  const presence = useAppState((s) => s.presence);
  const me = useAppState((s) => s.technician?.id ?? null);
  const others = useMemo(() => presence.filter((p) => p.id !== me), [presence, me]);

  return (
    <section className="card colleagues" aria-label="Colleagues" data-testid="colleagues">
      <header className="queue-head">
        <h2>Colleagues</h2>
      </header>
      {others.length === 0 ? (
        <p className="empty muted">No other technicians yet.</p>
      ) : (
        <ul className="colleague-list">
          {others.map((p) => (
            <li key={p.id} className="colleague" data-testid="colleague" data-status={p.status}>
              <span className={`presence-dot ${p.status}`} aria-hidden="true" />
              <span className="colleague-name">{p.displayName}</span>
              <span className="muted small" data-testid="colleague-status">{presenceLabel(p)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
