import { useEffect, useMemo, useRef, useState } from 'react';
import type { JumpChange, JumpClientSummary, JumpGroupSummary } from '../../../../shared/jump.js';
import { useActions, useApi, useAppState } from '../../app/context.js';
import { useAction } from '../../app/use-action.js';
import { useNow } from '../../app/use-now.js';
import { formatClock } from '../../app/clock.js';
import { errorSentence } from '../../bridge/index.js';
import { jumpOsChoices, visibleJumpGroups, type JumpFilter } from '../../store/jump.js';
import { formatLastSeen } from './format.js';
import './jump.css';

/**
 * The jump clients this technician may access (the server sends no others),
 * by jump group, with live presence; one click starts a session, which then
 * opens like an accepted request.
 */
export function JumpView() {
  const api = useApi();
  const { jumpChanged, jumpFilterChanged } = useActions();
  const groups = useAppState((s) => s.jumpGroups);
  const clients = useAppState((s) => s.jumpClients);
  const loaded = useAppState((s) => s.jumpLoaded);
  const filter = useAppState((s) => s.jumpFilter);
  const selected = useAppState((s) => s.jumpSelected);
  const [error, setError] = useState<string | null>(null);
  const now = useNow(10_000);

  useEffect(() => {
    let live = true;
    // Subscribes this console to changes too; they arrive as `jump:changed` for as long as it is signed in.
    api.invoke('jump:list', {}).then(
      (list) => live && jumpChanged(list),
      (e: unknown) => live && setError(errorSentence(e)),
    );
    return () => {
      live = false;
    };
  }, [api, jumpChanged]);

  const visible = useMemo(() => visibleJumpGroups(groups, clients, filter), [groups, clients, filter]);
  const osChoices = useMemo(() => jumpOsChoices(clients), [clients]);
  const online = clients.filter((c) => c.online).length;

  return (
    <main className="queue-page jump-page">
      <section className="card" aria-label="Jump clients">
        <header className="queue-head">
          <h2>Jump clients</h2>
          <span className="count" data-testid="jump-count" title={`${online} online`}>{clients.length}</span>
          <span className="spacer" />
          <JumpFilters filter={filter} osChoices={osChoices} onChange={jumpFilterChanged} />
        </header>
        {error && <p className="form-error jump-error" role="alert">{error}</p>}
        {!loaded ? (
          <p className="empty muted">Loading the jump clients…</p>
        ) : clients.length === 0 ? (
          <p className="empty muted" data-testid="jump-empty">
            No jump clients you may access. An administrator decides per jump group who may.
          </p>
        ) : visible.length === 0 ? (
          <p className="empty muted">No jump client matches the filter.</p>
        ) : (
          visible.map(({ group, clients: list }) => (
            <section key={group.id} className="jump-group" data-testid="jump-group" aria-label={`Jump group ${group.name}`}>
              <h3 className="jump-group-name">
                {group.name} <span className="muted small">{list.length}</span>
              </h3>
              <ul className="queue-list">
                {list.map((c) => <JumpRow key={c.id} client={c} group={group} groups={groups} now={now} selected={c.id === selected} />)}
              </ul>
            </section>
          ))
        )}
      </section>
    </main>
  );
}

function JumpFilters({ filter, osChoices, onChange }: { filter: JumpFilter; osChoices: string[]; onChange: (patch: Partial<JumpFilter>) => void }) {
  return (
    <div className="jump-filters">
      <input
        type="search"
        aria-label="Search jump clients"
        placeholder="Search name, host, user, OS"
        data-testid="jump-search"
        value={filter.search}
        onChange={(e) => onChange({ search: e.target.value })}
      />
      <select aria-label="Status" data-testid="jump-filter-status" value={filter.status} onChange={(e) => onChange({ status: e.target.value as JumpFilter['status'] })}>
        <option value="all">Online and offline</option>
        <option value="online">Online</option>
        <option value="offline">Offline</option>
      </select>
      <select aria-label="Operating system" data-testid="jump-filter-os" value={filter.os} onChange={(e) => onChange({ os: e.target.value })}>
        <option value="">Every OS</option>
        {osChoices.map((os) => <option key={os} value={os}>{os}</option>)}
      </select>
    </div>
  );
}

function JumpRow({ client, group, groups, now, selected }: { client: JumpClientSummary; group: JumpGroupSummary; groups: JumpGroupSummary[]; now: number; selected: boolean }) {
  const api = useApi();
  const row = useRef<HTMLLIElement>(null);
  // A lifeline://jump link pointed at this client.
  useEffect(() => {
    if (selected) row.current?.scrollIntoView({ block: 'nearest' });
  }, [selected]);
  const isAdmin = useAppState((s) => s.technician?.role === 'admin');
  const [managing, setManaging] = useState(false);
  const start = useAction(() => api.invoke('jump:start', { clientId: client.id }));
  // A passive client cannot be reached now: the session waits for its next check-in.
  const reachable = client.online || client.mode === 'passive';
  const startable = reachable && group.mayStart;
  const status = client.online ? 'online' : client.mode === 'passive' ? 'passive' : 'offline';

  return (
    <li
      ref={row}
      className={selected ? 'queue-item jump-client highlighted' : 'queue-item jump-client'}
      aria-current={selected || undefined}
      data-testid="jump-client"
      data-client-id={client.id}
      data-status={status}
    >
      <div className="queue-item-main">
        <span className="customer">{client.name}</span>
        <span className="muted small">
          {client.user}@{client.hostname} · {client.os}
          {client.elevated ? ' · runs as administrator' : ''}
        </span>
        {start.error && <span className="form-error small" role="alert">{start.error}</span>}
        {managing && <JumpManage client={client} groups={groups} onDone={() => setManaging(false)} />}
      </div>
      <span
        className={client.online ? 'badge ok' : 'badge'}
        data-testid="jump-client-status"
        title={client.mode === 'passive' ? 'Passive: checks in on a schedule instead of staying connected' : 'Whether the jump client is connected now'}
      >
        {status}
      </span>
      <span className="jump-seen muted small" title={client.lastSeenAt ? `Last seen ${formatClock(client.lastSeenAt)}` : undefined}>
        {formatLastSeen(client.online, client.lastSeenAt, now)}
      </span>
      <button
        className="button primary"
        data-testid="jump-start"
        disabled={start.pending || !startable}
        title={!group.mayStart ? 'The jump group\'s policy does not include you' : reachable ? undefined : 'The jump client is offline'}
        onClick={() => void start.run()}
      >
        {start.pending ? 'Starting…' : 'Start session'}
      </button>
      {isAdmin && (
        <button className="button" data-testid="jump-manage" aria-expanded={managing} onClick={() => setManaging((m) => !m)}>
          Manage
        </button>
      )}
    </li>
  );
}

/** An administrator's rename, move and remove for one client; the list updates from the server's answer. */
function JumpManage({ client, groups, onDone }: { client: JumpClientSummary; groups: JumpGroupSummary[]; onDone: () => void }) {
  const api = useApi();
  const [name, setName] = useState(client.name);
  const [groupId, setGroupId] = useState(client.groupId);
  const change = useAction(async (c: JumpChange) => {
    await api.invoke('jump:manage', { clientId: client.id, change: c });
    onDone();
  });
  const remove = () => {
    const ask = `Remove the jump client "${client.name}"?\n\nIts credential stops working at once and it uninstalls itself when it next reaches the server. Reinstalling needs a new install token.`;
    if (window.confirm(ask)) void change.run({ action: 'remove' });
  };
  return (
    <div className="jump-manage" data-testid="jump-manage-panel">
      <form
        className="jump-manage-row"
        onSubmit={(e) => {
          e.preventDefault();
          void change.run({ action: 'rename', name });
        }}
      >
        <input aria-label="Name" data-testid="jump-rename-input" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />
        <button className="button" data-testid="jump-rename" disabled={change.pending || !name.trim() || name.trim() === client.name}>Rename</button>
      </form>
      <div className="jump-manage-row">
        <select aria-label="Jump group" data-testid="jump-move-group" value={groupId} onChange={(e) => setGroupId(Number(e.target.value))}>
          {groups.map((g) => <option key={g.id} value={g.id}>{g.name}</option>)}
        </select>
        <button className="button" data-testid="jump-move" disabled={change.pending || groupId === client.groupId} onClick={() => void change.run({ action: 'move', groupId })}>
          Move
        </button>
        <span className="spacer" />
        <button className="button danger" data-testid="jump-remove" disabled={change.pending} onClick={remove}>Remove…</button>
      </div>
      {change.error && <span className="form-error small" role="alert">{change.error}</span>}
    </div>
  );
}

/** Switches what the console shows when no session is open: the queue or the jump clients. */
export function HomeNav() {
  const home = useAppState((s) => s.home);
  const { homeChanged } = useActions();
  return (
    <nav className="home-nav" aria-label="Views">
      <button className="home-tab" aria-pressed={home === 'queue'} data-testid="nav-queue" onClick={() => homeChanged('queue')}>
        Queue
      </button>
      <button className="home-tab" aria-pressed={home === 'jump'} data-testid="nav-jump" onClick={() => homeChanged('jump')}>
        Jump clients
      </button>
    </nav>
  );
}
