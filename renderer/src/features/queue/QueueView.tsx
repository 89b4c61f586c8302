import { useEffect, useMemo, useRef } from 'react';
import type { QueueItem } from '../../../../shared/protocol.js';
import { useApi, useAppState } from '../../app/context.js';
import { useAction } from '../../app/use-action.js';
import { useNow } from '../../app/use-now.js';
import { formatClock } from '../../app/clock.js';
import { waitingRequests } from '../../store/queue.js';
import { formatWaiting } from './format.js';
import { SessionCodePanel } from './SessionCodePanel.js';

export function QueueView() {
  const queue = useAppState((s) => s.queue);
  const waiting = useMemo(() => waitingRequests(queue), [queue]);
  const highlighted = useAppState((s) => s.highlighted);
  const now = useNow();

  return (
    <main className="queue-page">
      <SessionCodePanel />
      <section className="card queue" aria-label="Support queue">
        <header className="queue-head">
          <h2>Waiting</h2>
          <span className="count">{waiting.length}</span>
        </header>
        {waiting.length === 0 ? (
          <p className="empty muted">No one is waiting. New requests appear here as they arrive.</p>
        ) : (
          <ul className="queue-list">
            {waiting.map((item) => (
              <QueueRow key={item.requestId} item={item} now={now} highlighted={item.requestId === highlighted} />
            ))}
          </ul>
        )}
      </section>
    </main>
  );
}

function QueueRow({ item, now, highlighted }: { item: QueueItem; now: number; highlighted: boolean }) {
  const api = useApi();
  const row = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (highlighted) row.current?.scrollIntoView({ block: 'nearest' });
  }, [highlighted]);
  const accept = useAction(() => api.invoke('queue:accept', { requestId: item.requestId }));
  const agent = item.agentOnline && item.agent ? item.agent : null;

  return (
    <li ref={row} className={highlighted ? 'queue-item highlighted' : 'queue-item'} data-testid="queue-item" data-request-id={item.requestId}>
      <div className="queue-item-main">
        <span className="customer">{item.customerName}</span>
        <span className="muted small">
          {agent ? `${agent.hostname} · ${agent.os}` : 'Client not running yet'}
        </span>
        {accept.error && <span className="form-error small" role="alert">{accept.error}</span>}
      </div>
      <span className={item.agentOnline ? 'badge ok' : 'badge'} title="Whether the user's support client is connected">
        {item.agentOnline ? 'client online' : 'client offline'}
      </span>
      <span className="waiting" title={`Waiting since ${formatClock(item.createdAt)}`}>
        {formatWaiting(now - item.createdAt)}
      </span>
      <button className="button primary" data-testid="queue-accept" disabled={accept.pending} onClick={() => void accept.run()}>
        {accept.pending ? 'Accepting…' : 'Accept'}
      </button>
    </li>
  );
}
