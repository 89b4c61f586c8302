/**
 * The System tab: what the agent reports about the remote machine, fetched
 * on the tools channel when the tab is first shown and on Refresh. Every
 * string in it came from the remote machine: React text only, never HTML.
 * Mounted only while the user allows it, so nothing is kept once consent goes.
 */
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { SystemInfo } from '../../../../shared/tools.js';
import { formatClock } from '../../app/clock.js';
import { useAppState } from '../../app/context.js';
import { useAction } from '../../app/use-action.js';
import type { Availability } from '../tools/availability.js';
import { ConnectionBanner } from '../tools/ConnectionBanner.js';
import type { ToolsLink } from '../tools/tools-link.js';
import {
  DEFAULT_PROCESS_SORT, describeOs, filterByName, filterProcesses, formatBytes, formatPercent, formatUptime, parseSystemInfo,
  SHOWN_ROWS, sortProcesses, toggleSort, type ProcessInfo, type ProcessSort, type ProcessSortKey,
} from './sysinfo.js';

/** Collecting installed software can take the agent a while on a big machine. */
const SYSINFO_TIMEOUT_MS = 60_000;

export interface SysinfoPanelProps {
  tools: ToolsLink | null;
  /** Whether processes may be ended. */
  kill: Availability;
  /** The session is active (not ended). */
  active: boolean;
  agentOnline: boolean;
}

export function SysinfoPanel({ tools, kill, active, agentOnline }: SysinfoPanelProps) {
  const toolsOpen = useAppState((s) => s.toolsOpen);
  const [info, setInfo] = useState<{ data: SystemInfo; at: number } | null>(null);
  const usable = active && toolsOpen && tools !== null;

  const refresh = useAction(
    useCallback(async () => {
      if (!tools) return;
      const data = parseSystemInfo(await tools.request({ t: 'sysinfo:get' }, SYSINFO_TIMEOUT_MS));
      setInfo({ data, at: Date.now() });
    }, [tools]),
  );

  // Asked for once, when it can first be; after that only on Refresh.
  const asked = useRef(false);
  const { run } = refresh;
  useEffect(() => {
    if (!usable || asked.current) return;
    asked.current = true;
    void run();
  }, [usable, run]);

  return (
    <div className="sysinfo">
      <div className="sysinfo-bar">
        <div className="sysinfo-title">
          <h2 data-testid="sysinfo-hostname">{info?.data.os.hostname ?? 'System information'}</h2>
          {info && (
            <span className="muted small" data-testid="sysinfo-os">
              {describeOs(info.data.os)}
            </span>
          )}
        </div>
        <span className="spacer" />
        {info && <span className="muted small">Updated {formatClock(info.at)}</span>}
        <button className="button small" data-testid="sysinfo-refresh" disabled={!usable || refresh.pending} onClick={() => void refresh.run()}>
          {refresh.pending ? 'Refreshing…' : 'Refresh'}
        </button>
      </div>
      <ConnectionBanner active={active} agentOnline={agentOnline} />
      {refresh.error && (
        <p className="banner error" role="alert">
          {refresh.error}
        </p>
      )}
      {info ? (
        <SystemDetails info={info.data} tools={tools} kill={kill} active={active} onChanged={() => void refresh.run()} />
      ) : (
        <p className="muted sysinfo-empty">{refresh.pending ? 'Asking the remote computer…' : 'No information yet.'}</p>
      )}
    </div>
  );
}

function SystemDetails(props: { info: SystemInfo; tools: ToolsLink | null; kill: Availability; active: boolean; onChanged(): void }) {
  const { info } = props;
  return (
    <div className="sysinfo-body">
      <div className="sysinfo-cards">
        <Card title="System">
          <dl className="facts">
            <Fact label="Uptime">{formatUptime(info.uptimeSeconds)}</Fact>
            <Fact label="Platform">{info.os.platform}</Fact>
            <Fact label="Users">
              {info.users.length === 0 ? 'nobody logged in' : info.users.map((u) => `${u.user} (${u.terminal || '?'})`).join(', ')}
            </Fact>
          </dl>
        </Card>
        <Card title="Processor">
          <dl className="facts">
            <Fact label="Model">{info.cpu.brand}</Fact>
            <Fact label="Cores">
              {info.cpu.cores} ({info.cpu.physicalCores} physical){info.cpu.speedGHz > 0 && ` · ${info.cpu.speedGHz} GHz`}
            </Fact>
            <Fact label="Load">
              <Bar value={info.cpu.loadPercent} max={100} label={formatPercent(info.cpu.loadPercent)} />
            </Fact>
          </dl>
        </Card>
        <Card title="Memory">
          <dl className="facts">
            <Fact label="Used">
              <Bar value={info.memory.used} max={info.memory.total} label={`${formatBytes(info.memory.used)} of ${formatBytes(info.memory.total)}`} />
            </Fact>
            <Fact label="Available">{formatBytes(info.memory.available)}</Fact>
          </dl>
        </Card>
      </div>
      <Card title="Disks">
        <table className="data-table">
          <thead>
            <tr><th>Mounted at</th><th>Device</th><th>Type</th><th className="num">Size</th><th className="num">Free</th><th>Used</th></tr>
          </thead>
          <tbody>
            {info.disks.map((d, i) => (
              <tr key={`${d.mount}-${i}`}>
                <td>{d.mount}</td>
                <td className="muted">{d.fs}</td>
                <td>{d.type}</td>
                <td className="num">{formatBytes(d.size)}</td>
                <td className="num">{formatBytes(d.available)}</td>
                <td><Bar value={d.used} max={d.size} label={d.size > 0 ? formatPercent((d.used / d.size) * 100) : '–'} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
      <Card title="Network">
        <table className="data-table">
          <thead>
            <tr><th>Interface</th><th>IPv4</th><th>IPv6</th><th>MAC</th><th>State</th></tr>
          </thead>
          <tbody>
            {info.network.map((n, i) => (
              <tr key={`${n.iface}-${i}`}>
                <td>{n.iface}</td>
                <td>{n.ip4}</td>
                <td className="wrap">{n.ip6}</td>
                <td className="muted">{n.mac}</td>
                <td>{n.up ? 'up' : 'down'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
      <Processes {...props} />
      <Services services={info.services} />
      <Software software={info.software} />
    </div>
  );
}

const SORT_LABELS: Record<ProcessSortKey, string> = { name: 'Name', pid: 'PID', cpu: 'CPU', memory: 'Memory' };

function Processes({ info, tools, kill, active, onChanged }: { info: SystemInfo; tools: ToolsLink | null; kill: Availability; active: boolean; onChanged(): void }) {
  const [sort, setSort] = useState<ProcessSort>(DEFAULT_PROCESS_SORT);
  const [query, setQuery] = useState('');
  const shown = useMemo(() => sortProcesses(filterProcesses(info.processes, query), sort), [info.processes, query, sort]);
  const ending = useAction(
    useCallback(
      async (p: ProcessInfo) => {
        if (!tools) return;
        await tools.request({ t: 'process:kill', pid: p.pid });
        onChanged();
      },
      [tools, onChanged],
    ),
  );

  const end = (p: ProcessInfo) => {
    if (window.confirm(`End the process "${p.name}" (PID ${p.pid}) on the remote computer?\n\nUnsaved work in it is lost.`)) void ending.run(p);
  };

  const header = (key: ProcessSortKey, className?: string) => (
    <th className={className} aria-sort={sort.key === key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : undefined}>
      <button className="sort-button" data-testid={`sysinfo-sort-${key}`} onClick={() => setSort(toggleSort(sort, key))}>
        {SORT_LABELS[key]}
        {sort.key === key && <span aria-hidden="true">{sort.dir === 'asc' ? ' ▲' : ' ▼'}</span>}
      </button>
    </th>
  );

  return (
    <Card
      title={`Processes (${info.processes.length})`}
      tools={<Filter testId="sysinfo-process-filter" label="Filter processes" value={query} onChange={setQuery} />}
    >
      {!kill.ok && <p className="muted small card-note">Ending processes: {kill.reason}</p>}
      {ending.error && <p className="form-error small card-note" role="alert">{ending.error}</p>}
      <table className="data-table processes">
        <thead>
          <tr>
            {header('name')}
            {header('pid', 'num')}
            <th>User</th>
            {header('cpu', 'num')}
            {header('memory', 'num')}
            {kill.ok && <th><span className="visually-hidden">Actions</span></th>}
          </tr>
        </thead>
        <tbody>
          {shown.slice(0, SHOWN_ROWS).map((p) => (
            <tr key={p.pid} data-testid="sysinfo-process-row" data-pid={p.pid}>
              <td title={p.command}>{p.name}</td>
              <td className="num">{p.pid}</td>
              <td>{p.user}</td>
              <td className="num">{formatPercent(p.cpuPercent)}</td>
              <td className="num">{formatBytes(p.memoryBytes)}</td>
              {kill.ok && (
                <td className="row-actions">
                  <button className="button small danger" data-testid="sysinfo-kill" disabled={!active || ending.pending} onClick={() => end(p)}>
                    End
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <Shown shown={shown.length} what="processes" />
    </Card>
  );
}

function Services({ services }: { services: SystemInfo['services'] }) {
  const [query, setQuery] = useState('');
  const shown = useMemo(() => (services ? filterByName(services, query) : []), [services, query]);
  if (!services) {
    return (
      <Card title="Services">
        <p className="muted card-note">Not available on this system.</p>
      </Card>
    );
  }
  return (
    <Card title={`Services (${services.length})`} tools={<Filter label="Filter services" value={query} onChange={setQuery} />}>
      <table className="data-table">
        <thead>
          <tr><th>Name</th><th>State</th><th>Starts at boot</th></tr>
        </thead>
        <tbody>
          {shown.slice(0, SHOWN_ROWS).map((s, i) => (
            <tr key={`${s.name}-${i}`}>
              <td>{s.name}</td>
              <td className={s.running ? 'ok' : 'muted'}>{s.running ? 'running' : 'stopped'}</td>
              <td>{s.enabled === null ? '–' : s.enabled ? 'yes' : 'no'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Shown shown={shown.length} what="services" />
    </Card>
  );
}

function Software({ software }: { software: SystemInfo['software'] }) {
  const [query, setQuery] = useState('');
  const shown = useMemo(() => filterByName(software, query), [software, query]);
  return (
    <Card title={`Installed software (${software.length})`} tools={<Filter testId="sysinfo-software-filter" label="Filter software" value={query} onChange={setQuery} />}>
      <table className="data-table">
        <thead>
          <tr><th>Name</th><th>Version</th></tr>
        </thead>
        <tbody>
          {shown.slice(0, SHOWN_ROWS).map((s, i) => (
            <tr key={`${s.name}-${i}`} data-testid="sysinfo-software-row">
              <td>{s.name}</td>
              <td className="muted">{s.version}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Shown shown={shown.length} what="programs" />
    </Card>
  );
}

function Card({ title, tools, children }: { title: string; tools?: ReactNode; children: ReactNode }) {
  return (
    <section className="card sysinfo-card" aria-label={title}>
      <header className="card-head">
        <h3>{title}</h3>
        {tools}
      </header>
      {children}
    </section>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** A bar without inline styles (the CSP forbids them): <meter> draws itself. */
function Bar({ value, max, label }: { value: number; max: number; label: string }) {
  return (
    <span className="bar">
      <meter min={0} max={max > 0 ? max : 1} value={value} high={(max > 0 ? max : 1) * 0.9} optimum={0} />
      <span className="bar-label">{label}</span>
    </span>
  );
}

function Filter({ label, value, onChange, testId }: { label: string; value: string; onChange(v: string): void; testId?: string }) {
  return (
    <input className="filter" type="search" placeholder="Filter" aria-label={label} data-testid={testId} value={value} onChange={(e) => onChange(e.target.value)} />
  );
}

function Shown({ shown, what }: { shown: number; what: string }) {
  if (shown <= SHOWN_ROWS) return shown === 0 ? <p className="muted small card-note">No {what} match.</p> : null;
  return <p className="muted small card-note">Showing {SHOWN_ROWS} of {shown} {what}; filter to find the others.</p>;
}
