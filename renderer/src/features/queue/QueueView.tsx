import { useEffect, useMemo, useRef } from 'react';
import type { QueueItem } from '../../../../shared/protocol.js';
import { toLifelineError } from '../../bridge/validate.js';
import { useActions, useApi, useAppState } from '../../app/context.js';
import { useAction } from '../../app/use-action.js';
import { useNow } from '../../app/use-now.js';
import { formatClock } from '../../app/clock.js';
import { ColleaguesPanel } from './ColleaguesPanel.js';
import { QueueDetail } from './QueueDetail.js';
import { formatWaiting } from './format.js';
import { isForMe } from '../../store/desk.js';
import { queueSections, type QueueSection } from './sections.js';
import { SessionCodePanel } from './SessionCodePanel.js';
import './queue.css';

const EMPTY: Record<QueueSection['kind'], string> = {
  personal: 'No one is waiting for you. Requests made with your session codes appear here.',
  team: 'No one is waiting in this team\'s queue.',
  general: 'No one is waiting in the general queue.',
};

export function QueueView() {
  const queue = useAppState((s) => s.queue);
  const teams = useAppState((s) => s.teams);
  const me = useAppState((s) => s.technician?.id ?? null);
  const sections = useMemo(() => queueSections(queue, teams, me), [queue, teams, me]);
  const selectedId = useAppState((s) => s.selected);
  const selected = queue.find((i) => i.requestId === selectedId && i.status === 'waiting') ?? null;
  const now = useNow();

  return (
    <main className={selected ? 'queue-page with-detail' : 'queue-page'}>
      <SessionCodePanel />
      <div className={selected ? 'desk-layout with-detail' : 'desk-layout'}>
        <div className="desk-queues">
          {sections.map((section) => (
            <section
              key={section.key}
              className="card queue"
              aria-label={section.kind === 'team' ? `${section.title} team queue` : section.title}
              data-testid="queue-section"
              data-queue={section.kind}
            >
              <header className="queue-head">
                <h2>{section.kind === 'team' ? `Team ${section.title}` : section.title}</h2>
                <span className="count">{section.items.length}</span>
              </header>
              {section.items.length === 0 ? (
                <p className="empty muted">{EMPTY[section.kind]}</p>
              ) : (
                <ul className="queue-list">
                  {section.items.map((item) => (
                    <QueueRow key={item.requestId} item={item} now={now} forMe={isForMe(item, me)} selected={item.requestId === selectedId} />
                  ))}
                </ul>
              )}
            </section>
          ))}
        </div>
        {selected && <QueueDetail key={selected.requestId} item={selected} />}
        <ColleaguesPanel />
      </div>
    </main>
  );
}

function QueueRow({ item, now, forMe, selected }: { item: QueueItem; now: number; forMe: boolean; selected: boolean }) {
  const api = useApi();
  const { noticeRaised, requestSelected } = useActions();
  const messages = useAppState((s) => s.chat[item.requestId]?.filter((m) => m.from === 'user').length ?? 0);
  const row = useRef<HTMLLIElement>(null);
  useEffect(() => {
    if (selected) row.current?.scrollIntoView({ block: 'nearest' });
  }, [selected]);
  const accept = useAction(async () => {
    try {
      await api.invoke('queue:accept', { requestId: item.requestId });
    } catch (e) {
      // A request someone else took leaves the list with the next snapshot,
      // and this row with it: the sentence goes where it stays visible.
      const err = toLifelineError(e);
      noticeRaised(err.code, err.message);
      throw err;
    }
  });
  const agent = item.agentOnline && item.agent ? item.agent : null;
  const classes = ['queue-item', 'selectable', selected && 'highlighted', forMe && 'for-me'].filter(Boolean).join(' ');

  return (
    // A click anywhere on the row opens it too; the Chat button is the way for the keyboard.
    <li ref={row} className={classes} data-testid="queue-item" data-request-id={item.requestId} onClick={() => requestSelected(item.requestId)}>
      <div className="queue-item-main">
        <span className="customer">
          {item.customerName}
          {forMe && <span className="badge for-you" data-testid="queue-for-you" title="Routing assigned this request to you">For you</span>}
        </span>
        {(item.issueType || item.description) && (
          <span className="small description" data-testid="queue-description">
            {item.issueType && <strong>{item.issueType}: </strong>}
            {item.description}
          </span>
        )}
        <span className="muted small">
          {agent ? `${agent.hostname} · ${agent.os}` : 'Client not running yet'}
          {item.routedTo && !forMe && <span data-testid="queue-routed-to"> · assigned to {item.routedTo.displayName}</span>}
        </span>
      </div>
      <span className={item.agentOnline ? 'badge ok' : 'badge'} title="Whether the user's support client is connected">
        {item.agentOnline ? 'client online' : 'client offline'}
      </span>
      <span className="waiting" data-testid="queue-waiting" title={`Waiting since ${formatClock(item.createdAt)}`}>
        {formatWaiting(now - item.createdAt)}
      </span>
      <button
        className="button"
        data-testid="queue-chat"
        aria-expanded={selected}
        title="The request's details and chat: you may answer before accepting"
        onClick={(e) => {
          e.stopPropagation();
          requestSelected(selected ? null : item.requestId);
        }}
      >
        Chat{messages > 0 && <span className="count" data-testid="queue-chat-count">{messages}</span>}
      </button>
      <button
        className="button primary"
        data-testid="queue-accept"
        disabled={accept.pending}
        onClick={(e) => {
          e.stopPropagation(); // accepting is not selecting the row
          void accept.run();
        }}
      >
        {accept.pending ? 'Accepting…' : 'Accept'}
      </button>
    </li>
  );
}
