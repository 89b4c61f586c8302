/**
 * The Files tab: a two-pane browser of the remote machine (places and the
 * folders of the current path on the left, the current folder on the right)
 * with new folder, rename, delete, download and upload (button or drop), and
 * the session's transfers below. Every name in it came from the remote
 * machine: React text only, never HTML. The transfers belong to the session
 * (files-session.ts), so they go on while another tab is shown.
 */
import { useCallback, useEffect, useId, useMemo, useRef, useState, useSyncExternalStore, type DragEvent, type KeyboardEvent } from 'react';
import { LifelineError } from '../../../../shared/errors.js';
import { checkName, checkRelativePath, joinPath, parentPath, type FileEntry, type FileRoot, type Listing } from '../../../../shared/files.js';
import { errorSentence } from '../../bridge/index.js';
import type { Availability } from '../tools/availability.js';
import { takeDropped, uploadFolder } from './drop.js';
import type { FilesLink } from './files-link.js';
import type { FilesSession } from './files-session.js';
import { formatEta, formatSize, formatSpeed } from './format.js';
import { isFinal, type Transfer, type TransferManager, type TransferState } from './transfers.js';

export interface FilesPanelProps {
  files: FilesSession | null;
  /** Whether the technician may transfer files (grant and consent). */
  allowed: Availability;
  /** The session is active (not ended). */
  active: boolean;
  agentOnline: boolean;
}

export function FilesPanel({ files, allowed, active, agentOnline }: FilesPanelProps) {
  const link = files?.link ?? null;
  const subscribeOpen = useCallback((cb: () => void) => (link ? link.onOpenChanged(cb) : () => undefined), [link]);
  const isOpen = () => link?.isOpen ?? false;
  const open = useSyncExternalStore(subscribeOpen, isOpen, isOpen);

  return (
    <div className="files" data-testid="files-panel">
      {!active ? (
        <p className="banner" role="status">The session has ended; its transfers were stopped.</p>
      ) : !open && allowed.ok ? (
        <p className="banner" role="status" data-testid="files-connection">
          {agentOnline ? 'Waiting for the connection to the remote computer…' : 'The support client is not connected.'}
        </p>
      ) : null}
      {files && allowed.ok && active && <Browser link={files.link} transfers={files.transfers} open={open} />}
      {files && <Transfers transfers={files.transfers} />}
    </div>
  );
}

// ---------- the browser ----------

type Editing = null | { kind: 'new' } | { kind: 'rename'; name: string };

interface Where {
  root: string;
  path: string;
}

const byName = new Intl.Collator(undefined, { sensitivity: 'base', numeric: true });
const folderFirst = (a: FileEntry, b: FileEntry) => Number(b.kind === 'dir') - Number(a.kind === 'dir') || byName.compare(a.name, b.name);
/** Folders the left pane lists under the current one, at most. */
const TREE_CHILDREN = 200;

/** A typed path as a relative path: '' or '/' is the root; trailing slashes go. */
export function typedPath(text: string): string {
  const t = text.trim();
  if (t === '' || t === '/') return '';
  return t.replace(/\/+$/, '');
}

function Browser({ link, transfers, open }: { link: FilesLink; transfers: TransferManager; open: boolean }) {
  const [roots, setRoots] = useState<FileRoot[] | null>(null);
  const [where, setWhere] = useState<Where | null>(null);
  const [listing, setListing] = useState<Listing | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [busy, setBusy] = useState(false);
  const [editing, setEditing] = useState<Editing>(null);
  const [confirming, setConfirming] = useState<FileEntry | null>(null);
  const [pathText, setPathText] = useState('');
  const [dragging, setDragging] = useState(false);
  const uploadInput = useRef<HTMLInputElement>(null);
  // The place on screen, for callbacks that outlive a render (a finished upload, a reconnect).
  const whereRef = useRef<Where | null>(null);
  const listSeq = useRef(0);
  // Files chosen before any folder was shown go into the first one shown.
  const pendingUploads = useRef<File[]>([]);

  /**
   * Shows `path` of `root`; on a refusal the banner says why and the current
   * folder stays. `select` picks an entry; `keep` is a refresh nobody asked
   * for (an upload finished, the connection came back): what is selected or
   * being typed stays.
   */
  const go = useCallback(
    async (root: string, path: string, select: string | null = null, keep = false) => {
      const seq = ++listSeq.current;
      setLoading(true);
      try {
        const next = await link.list(root, path);
        if (seq !== listSeq.current) return;
        const place = { root, path };
        whereRef.current = place;
        for (const f of pendingUploads.current.splice(0)) transfers.upload(f, root, path);
        const has = (name: string | null) => name !== null && next.entries.some((e) => e.name === name);
        setWhere(place);
        setListing(next);
        if (keep) {
          setSelected((current) => (has(current) ? current : null));
        } else {
          setSelected(has(select) ? select : null);
          setPathText(path);
          setEditing(null);
          setError(null);
        }
      } catch (e) {
        if (seq === listSeq.current) setError(errorSentence(e));
      } finally {
        if (seq === listSeq.current) setLoading(false);
      }
    },
    [link, transfers],
  );

  // Places and the current folder, whenever the channel opens (again: a new peer after a drop).
  useEffect(() => {
    if (!open) return;
    let live = true;
    void (async () => {
      try {
        const places = await link.roots();
        if (!live) return;
        setRoots(places);
        const here = whereRef.current;
        if (here && places.some((r) => r.id === here.root)) await go(here.root, here.path, null, true);
        else if (places[0]) await go(places[0].id, '');
        else setError('The remote computer offers no folders to browse.');
      } catch (e) {
        if (live) setError(errorSentence(e));
      }
    })();
    return () => {
      live = false;
    };
  }, [open, link, go]);

  // A finished upload into the folder on screen shows up in it.
  useEffect(
    () =>
      transfers.onUploaded((root, dir) => {
        const here = whereRef.current;
        if (here && here.root === root && here.path === dir) void go(root, dir, null, true);
      }),
    [transfers, go],
  );

  const entries = useMemo(() => (listing ? [...listing.entries].sort(folderFirst) : []), [listing]);
  const selectedEntry = entries.find((e) => e.name === selected) ?? null;
  const usable = open && where !== null;
  const root = roots?.find((r) => r.id === where?.root) ?? null;

  const act = async (what: () => Promise<void>) => {
    setBusy(true);
    try {
      await what();
    } catch (e) {
      setError(errorSentence(e));
    } finally {
      setBusy(false);
    }
  };

  const refresh = () => where && void go(where.root, where.path, selected);
  const up = () => where && where.path !== '' && void go(where.root, parentPath(where.path), where.path.split('/').at(-1) ?? null);
  const openEntry = (e: FileEntry) => {
    if (where && (e.kind === 'dir' || e.kind === 'link')) void go(where.root, joinPath(where.path, e.name));
  };

  const goTyped = () => {
    if (!where) return;
    const path = typedPath(pathText);
    const bad = checkRelativePath(path);
    if (bad) {
      setError(bad);
      return;
    }
    void go(where.root, path);
  };

  const createFolder = (name: string) => {
    if (!where) return;
    const bad = checkName(name);
    if (bad) return setError(bad);
    void act(async () => {
      await link.mkdir(where.root, joinPath(where.path, name));
      setEditing(null);
      await go(where.root, where.path, name);
    });
  };

  const rename = (from: string, to: string) => {
    if (!where) return;
    if (to === from) return setEditing(null);
    const bad = checkName(to);
    if (bad) return setError(bad);
    void act(async () => {
      await link.rename(where.root, joinPath(where.path, from), joinPath(where.path, to));
      setEditing(null);
      await go(where.root, where.path, to);
    });
  };

  const remove = (entry: FileEntry) => {
    if (!where) return;
    setConfirming(null);
    void act(async () => {
      await link.delete(where.root, joinPath(where.path, entry.name));
      await go(where.root, where.path);
    });
  };

  const download = () => {
    if (!where || !selectedEntry || selectedEntry.kind === 'other') return;
    transfers.download(where.root, joinPath(where.path, selectedEntry.name), selectedEntry.kind === 'dir' ? 'dir' : 'file');
  };

  const uploadFiles = (list: Iterable<File>) => {
    if (!where) {
      pendingUploads.current.push(...list);
      return;
    }
    for (const f of list) transfers.upload(f, where.root, where.path);
  };

  const onRowKey = (e: KeyboardEvent, entry: FileEntry) => {
    if (e.key === 'Enter') openEntry(entry);
    else if (e.key === 'F2') setEditing({ kind: 'rename', name: entry.name });
    else if (e.key === 'Delete') setConfirming(entry);
    else return;
    e.preventDefault();
  };

  // Dropping files from the technician's desktop uploads them into the folder on screen.
  const carriesFiles = (e: DragEvent) => e.dataTransfer.types.includes('Files');
  const onDragOver = (e: DragEvent) => {
    if (!usable || !carriesFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    setDragging(true);
  };
  const onDragLeave = (e: DragEvent<HTMLElement>) => {
    if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
  };
  const onDrop = (e: DragEvent) => {
    setDragging(false);
    if (!usable || !where || !carriesFiles(e)) return;
    e.preventDefault();
    const { files, folders } = takeDropped(e.dataTransfer);
    uploadFiles(files);
    if (folders.length === 0) return;
    const here = where;
    void act(async () => {
      const target = {
        mkdir: async (path: string) => {
          try {
            await link.mkdir(here.root, path);
          } catch (err) {
            if (!(err instanceof LifelineError && err.code === 'ERR_EXISTS')) throw err;
          }
        },
        upload: (file: File, dir: string) => void transfers.upload(file, here.root, dir),
      };
      for (const folder of folders) await uploadFolder(folder, here.path, target);
      const now = whereRef.current;
      if (now && now.root === here.root && now.path === here.path) await go(here.root, here.path, null, true);
    });
  };

  return (
    <div className="files-browser">
      <div className="files-toolbar">
        <button className="button small" data-testid="files-up" disabled={!usable || where?.path === '' || loading} onClick={up} title="Up one folder">
          ↑ Up
        </button>
        <button className="button small" data-testid="files-refresh" disabled={!usable || loading} onClick={refresh}>
          {loading ? 'Loading…' : 'Refresh'}
        </button>
        <form
          className="files-go"
          onSubmit={(e) => {
            e.preventDefault();
            goTyped();
          }}
        >
          <span className="muted small files-root-label">{root?.label ?? ''}</span>
          <span className="visually-hidden">Current folder: </span>
          <span className="files-path" data-testid="files-path">{where ? where.path || '/' : ''}</span>
          <input
            className="files-path-input"
            data-testid="files-path-input"
            aria-label="Go to folder (relative to the place)"
            placeholder="Go to folder…"
            value={pathText}
            disabled={!usable}
            onChange={(e) => setPathText(e.target.value)}
          />
          <button className="button small" type="submit" disabled={!usable}>
            Go
          </button>
        </form>
        <span className="spacer" />
        <button className="button small" data-testid="files-new-folder" disabled={!usable || busy} onClick={() => setEditing({ kind: 'new' })}>
          New folder
        </button>
        <button
          className="button small"
          data-testid="files-rename"
          disabled={!usable || busy || !selectedEntry}
          onClick={() => selectedEntry && setEditing({ kind: 'rename', name: selectedEntry.name })}
        >
          Rename
        </button>
        <button className="button small danger" data-testid="files-delete" disabled={!usable || busy || !selectedEntry} onClick={() => setConfirming(selectedEntry)}>
          Delete
        </button>
        <button
          className="button small"
          data-testid="files-download"
          disabled={!usable || !selectedEntry || selectedEntry.kind === 'other'}
          onClick={download}
          title={selectedEntry?.kind === 'dir' ? 'Download the folder as one .tar file' : undefined}
        >
          Download
        </button>
        <button className="button small primary" disabled={!usable} onClick={() => uploadInput.current?.click()}>
          Upload…
        </button>
        <input
          ref={uploadInput}
          type="file"
          multiple
          hidden
          data-testid="files-upload-input"
          onChange={(e) => {
            uploadFiles(e.target.files ?? []);
            e.target.value = '';
          }}
        />
      </div>
      {error && (
        <p className="banner error files-error" role="alert">
          <span data-testid="files-error">{error}</span>
          <button className="link-button" onClick={() => setError(null)}>
            Dismiss
          </button>
        </p>
      )}
      <div
        className={`files-body${dragging ? ' drag-over' : ''}`}
        data-testid="files-dropzone"
        onDragEnter={onDragOver}
        onDragOver={onDragOver}
        onDragLeave={onDragLeave}
        onDrop={onDrop}
      >
        <nav className="files-side" aria-label="Places and folders">
          <h3 className="files-side-title">Places</h3>
          <ul className="files-places">
            {(roots ?? []).map((r) => (
              <li key={r.id}>
                <button
                  className={`files-nav${r.id === where?.root ? ' current' : ''}`}
                  data-testid={`files-root-${r.id}`}
                  disabled={!open}
                  onClick={() => void go(r.id, '')}
                >
                  {r.label}
                </button>
              </li>
            ))}
          </ul>
          {where && (
            <FolderTree
              rootLabel={root?.label ?? where.root}
              path={where.path}
              folders={entries.filter((e) => e.kind === 'dir')}
              onGo={(path) => void go(where.root, path)}
            />
          )}
        </nav>
        <div className="files-main">
          <table className="data-table files-table">
            <thead>
              <tr>
                <th>Name</th>
                <th className="num">Size</th>
                <th>Modified</th>
              </tr>
            </thead>
            <tbody>
              {editing?.kind === 'new' && (
                <tr className="files-editing">
                  <td colSpan={3}>
                    <span className="files-name">
                      <KindIcon kind="dir" />
                      <NameInput testId="files-new-folder-name" initial="" label="Name of the new folder" onDone={createFolder} onCancel={() => setEditing(null)} />
                    </span>
                  </td>
                </tr>
              )}
              {entries.map((entry) => (
                <tr
                  key={entry.name}
                  data-testid="files-entry"
                  data-name={entry.name}
                  data-kind={entry.kind}
                  className={entry.name === selected ? 'selected' : undefined}
                  aria-selected={entry.name === selected}
                  tabIndex={0}
                  onClick={() => setSelected(entry.name)}
                  onDoubleClick={() => openEntry(entry)}
                  onKeyDown={(e) => {
                    if (e.target === e.currentTarget) onRowKey(e, entry);
                  }}
                  onFocus={() => setSelected(entry.name)}
                >
                  <td>
                    <span className="files-name">
                      <KindIcon kind={entry.kind} />
                      {editing?.kind === 'rename' && editing.name === entry.name ? (
                        <NameInput
                          testId="files-rename-input"
                          initial={entry.name}
                          label={`New name for ${entry.name}`}
                          onDone={(to) => rename(entry.name, to)}
                          onCancel={() => setEditing(null)}
                        />
                      ) : (
                        <span className="files-name-text">{entry.name}</span>
                      )}
                    </span>
                  </td>
                  <td className="num">{entry.kind === 'file' ? formatSize(entry.size) : ''}</td>
                  <td className="muted">{formatDate(entry.mtimeMs)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {listing && entries.length === 0 && editing?.kind !== 'new' && <p className="muted files-empty">This folder is empty.</p>}
          {listing?.truncated && (
            <p className="muted small card-note">Only the first {listing.entries.length.toLocaleString()} entries are shown.</p>
          )}
          {!listing && open && <p className="muted files-empty">{loading ? 'Asking the remote computer…' : ''}</p>}
          <p className="muted small files-drop-hint">
            Drop files or folders here to upload them into {where ? `“${where.path || '/'}”` : 'this folder'}.
          </p>
        </div>
        {dragging && (
          <div className="files-drop-overlay" aria-hidden="true">
            <span>Drop to upload into “{where?.path || '/'}”</span>
          </div>
        )}
      </div>
      {confirming && <ConfirmDelete entry={confirming} onCancel={() => setConfirming(null)} onConfirm={() => remove(confirming)} />}
    </div>
  );
}

function FolderTree({ rootLabel, path, folders, onGo }: { rootLabel: string; path: string; folders: FileEntry[]; onGo(path: string): void }) {
  const segments = path === '' ? [] : path.split('/');
  const depth = (n: number) => `depth-${Math.min(n, 8)}`;
  return (
    <>
      <h3 className="files-side-title">Folders</h3>
      <ul className="files-tree">
        <li className={depth(0)}>
          <button className={`files-nav${path === '' ? ' current' : ''}`} onClick={() => onGo('')}>
            {rootLabel}
          </button>
        </li>
        {segments.map((seg, i) => (
          <li key={`${i}-${seg}`} className={depth(i + 1)}>
            <button className={`files-nav${i === segments.length - 1 ? ' current' : ''}`} onClick={() => onGo(segments.slice(0, i + 1).join('/'))}>
              {seg}
            </button>
          </li>
        ))}
        {folders.slice(0, TREE_CHILDREN).map((c) => (
          <li key={`child-${c.name}`} className={depth(segments.length + 1)}>
            <button className="files-nav" onClick={() => onGo(joinPath(path, c.name))}>
              {c.name}
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}

/** An inline name field: Enter takes it, Escape (or leaving it) does not. */
function NameInput({ testId, initial, label, onDone, onCancel }: { testId: string; initial: string; label: string; onDone(name: string): void; onCancel(): void }) {
  const [value, setValue] = useState(initial);
  return (
    <input
      className="files-name-input"
      data-testid={testId}
      aria-label={label}
      value={value}
      autoFocus
      onFocus={(e) => {
        // Select the name without its extension, as file managers do.
        const dot = initial.lastIndexOf('.');
        e.currentTarget.setSelectionRange(0, dot > 0 ? dot : initial.length);
      }}
      onChange={(e) => setValue(e.target.value)}
      onClick={(e) => e.stopPropagation()}
      onDoubleClick={(e) => e.stopPropagation()}
      onKeyDown={(e) => {
        e.stopPropagation();
        if (e.key === 'Enter') {
          e.preventDefault();
          onDone(value);
        } else if (e.key === 'Escape') {
          e.preventDefault();
          onCancel();
        }
      }}
    />
  );
}

function ConfirmDelete({ entry, onCancel, onConfirm }: { entry: FileEntry; onCancel(): void; onConfirm(): void }) {
  const titleId = useId();
  const folder = entry.kind === 'dir';
  return (
    <div className="files-dialog-backdrop">
      <div
        className="files-dialog card"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onCancel();
        }}
      >
        <h3 id={titleId}>{folder ? 'Delete this folder?' : 'Delete this file?'}</h3>
        <p>
          {folder ? 'The folder ' : 'The file '}
          <strong className="files-dialog-name">“{entry.name}”</strong>
          {folder ? ' will be deleted on the remote computer with everything in it.' : ' will be deleted on the remote computer.'} This cannot be undone.
        </p>
        <div className="files-dialog-actions">
          <button className="button" autoFocus onClick={onCancel}>
            Cancel
          </button>
          <button className="button danger" data-testid="files-confirm-delete" onClick={onConfirm}>
            Delete
          </button>
        </div>
      </div>
    </div>
  );
}

const KIND_ICONS: Record<FileEntry['kind'], { icon: string; label: string }> = {
  dir: { icon: '📁', label: 'Folder' },
  file: { icon: '📄', label: 'File' },
  link: { icon: '🔗', label: 'Link' },
  other: { icon: '⚙', label: 'Special file' },
};

function KindIcon({ kind }: { kind: FileEntry['kind'] }) {
  const k = KIND_ICONS[kind];
  return (
    <span className="files-kind" title={k.label}>
      <span aria-hidden="true">{k.icon}</span>
      <span className="visually-hidden">{k.label}: </span>
    </span>
  );
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function formatDate(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '' : dateFormat.format(d);
}

// ---------- the transfers ----------

const STATE_TEXT: Record<TransferState, (t: Transfer) => string> = {
  queued: () => 'Queued',
  running: (t) => (t.direction === 'upload' ? 'Uploading' : 'Downloading'),
  waiting: () => 'Connection lost; resumes when it is back',
  verifying: () => 'Checking SHA-256…',
  done: () => 'Done',
  failed: () => 'Failed',
  cancelled: () => 'Cancelled',
};

/** Whole percent, 100 only when done. */
export function percentDone(t: Pick<Transfer, 'size' | 'bytesDone' | 'state'>): number {
  if (t.state === 'done') return 100;
  if (!t.size) return 0;
  return Math.min(99, Math.floor((t.bytesDone / t.size) * 100));
}

function Transfers({ transfers }: { transfers: TransferManager }) {
  const list = useSyncExternalStore(transfers.subscribe, transfers.snapshot, transfers.snapshot);
  const anyFinished = list.some((t) => isFinal(t.state));
  return (
    <section className="transfers" aria-label="Transfers">
      <header className="transfers-head">
        <h3>Transfers</h3>
        <span className="spacer" />
        {anyFinished && (
          <button className="button small" onClick={() => transfers.clearFinished()}>
            Clear finished
          </button>
        )}
      </header>
      {list.length === 0 ? (
        <p className="muted small card-note">Nothing transferred yet in this session.</p>
      ) : (
        <ul className="transfer-list">
          {list.map((t) => (
            <TransferRow key={t.id} t={t} transfers={transfers} />
          ))}
        </ul>
      )}
    </section>
  );
}

function TransferRow({ t, transfers }: { t: Transfer; transfers: TransferManager }) {
  const [saveError, setSaveError] = useState<string | null>(null);
  const pct = percentDone(t);
  const upload = t.direction === 'upload';
  return (
    <li className={`transfer ${t.state}`} data-testid="transfer" data-name={t.name} data-direction={t.direction} data-state={t.state}>
      <span className="transfer-dir" title={upload ? 'Upload to the remote computer' : 'Download from the remote computer'}>
        <span aria-hidden="true">{upload ? '↑' : '↓'}</span>
        <span className="visually-hidden">{upload ? 'Upload' : 'Download'}: </span>
      </span>
      <span className="transfer-name" title={t.path}>
        {t.name}
      </span>
      <progress
        className="transfer-bar"
        data-testid="transfer-progress"
        role="progressbar"
        max={100}
        value={pct}
        aria-valuenow={pct}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-label={`${t.name}: ${pct}%`}
      />
      <span className="transfer-bytes">
        {formatSize(t.bytesDone)}
        {t.size !== null && ` of ${formatSize(t.size)}`}
      </span>
      <span className="transfer-speed" data-testid="transfer-speed">
        {t.speed !== null ? formatSpeed(t.speed) : ''}
      </span>
      <span className="transfer-eta" data-testid="transfer-eta">
        {t.state === 'running' ? formatEta(t.eta) : ''}
      </span>
      <span className="transfer-state">{STATE_TEXT[t.state](t)}</span>
      <span className="transfer-actions">
        {t.damagedKept && (
          <button
            className="button small"
            onClick={() => {
              setSaveError(null);
              transfers.saveDamaged(t.id).catch((e: unknown) => setSaveError(e instanceof Error ? e.message : String(e)));
            }}
          >
            Save damaged file
          </button>
        )}
        {!isFinal(t.state) && (
          <button className="button small" data-testid="transfer-cancel" onClick={() => transfers.cancel(t.id)}>
            Cancel
          </button>
        )}
      </span>
      {(t.error || saveError) && (
        <p className="transfer-error" data-testid="transfer-error" role="alert">
          {t.error ?? saveError}
        </p>
      )}
    </li>
  );
}
