import type { QueueItem } from '../../../../shared/protocol.js';
import { useActions } from '../../app/context.js';
import { formatClock } from '../../app/clock.js';
import { ChatPanel } from '../chat/ChatPanel.js';

/**
 * A waiting request beside the queue: what the user wrote on the portal and
 * the chat, which the technician may answer before accepting. After the
 * accept the same conversation continues in the session view.
 */
export function QueueDetail({ item }: { item: QueueItem }) {
  const { requestSelected } = useActions();
  const agent = item.agentOnline && item.agent ? item.agent : null;
  return (
    <aside className="card queue-detail" aria-label={`Request from ${item.customerName}`} data-testid="queue-detail" data-request-id={item.requestId}>
      <header className="queue-head">
        <h2>{item.customerName}</h2>
        <span className="spacer" />
        <button className="link-button" data-testid="queue-detail-close" onClick={() => requestSelected(null)}>
          Close
        </button>
      </header>
      <dl className="queue-detail-facts small">
        {item.issueType && (
          <>
            <dt>Issue</dt>
            <dd>{item.issueType}</dd>
          </>
        )}
        {item.description && (
          <>
            <dt>Problem</dt>
            <dd data-testid="queue-detail-description">{item.description}</dd>
          </>
        )}
        <dt>Client</dt>
        <dd>{agent ? `${agent.user}@${agent.hostname} · ${agent.os}` : 'not running yet'}</dd>
        <dt>Waiting since</dt>
        <dd>{formatClock(item.createdAt)}</dd>
      </dl>
      <ChatPanel requestId={item.requestId} open />
    </aside>
  );
}
