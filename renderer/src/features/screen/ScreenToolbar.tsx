/**
 * The remote screen's toolbar: view (scale, full screen), what the agent
 * streams (monitor, quality), input (view-only, special keys), and the
 * frame-rate / throughput line, which RemoteScreen writes directly.
 */
import { useEffect, useId, useRef, useState, type RefObject } from 'react';
import { QualityMode, type Monitor } from '../../../../shared/channel.js';
import { useActions, useAppState } from '../../app/context.js';
import type { PeerLink } from '../session/peer-link.js';
import type { ScaleMode } from './geometry.js';
import { SPECIAL_KEYS } from './special-keys.js';
import type { Fullscreen } from './use-fullscreen.js';
import type { ScreenQuality } from '../../store/session.js';

export interface ScreenToolbarProps {
  link: PeerLink | null;
  scaleMode: ScaleMode;
  onScaleMode(mode: ScaleMode): void;
  fullscreen: Fullscreen;
  onViewOnly(on: boolean): void;
  onSpecialKey(keysyms: readonly number[]): void;
  statsRef: RefObject<HTMLSpanElement | null>;
}

const QUALITY_LABELS: Record<QualityMode, string> = {
  auto: 'Automatic',
  best: 'Best quality',
  low: 'Low bandwidth',
  grey: 'Grey-scale',
};

const SCALE_LABELS: Record<ScaleMode, string> = { fit: 'Fit to window', '1:1': '1:1 (scroll)' };

export function ScreenToolbar({ link, scaleMode, onScaleMode, fullscreen, onViewOnly, onSpecialKey, statsRef }: ScreenToolbarProps) {
  const viewOnly = useAppState((s) => s.viewOnly);
  const live = useAppState((s) => s.session?.status === 'active');
  const id = useId();

  return (
    <div className="screen-toolbar" role="toolbar" aria-label="Remote screen">
      <label className="tool" htmlFor={`${id}-scale`}>
        <span className="tool-label">View</span>
        <select id={`${id}-scale`} data-testid="scale-mode" value={scaleMode} onChange={(e) => onScaleMode(e.target.value as ScaleMode)}>
          {(['fit', '1:1'] as const).map((m) => (
            <option key={m} value={m}>
              {SCALE_LABELS[m]}
            </option>
          ))}
        </select>
      </label>
      <button
        className="button small"
        data-testid="fullscreen-toggle"
        aria-pressed={fullscreen.active}
        disabled={!fullscreen.available}
        onClick={fullscreen.toggle}
        title={fullscreen.active ? 'Leave full screen (or hold Esc)' : 'Show the remote screen on the whole display'}
      >
        {fullscreen.active ? 'Exit full screen' : 'Full screen'}
      </button>
      <span className="tool-separator" />
      <MonitorSelect link={link} id={`${id}-monitor`} />
      <QualitySelect link={link} id={`${id}-quality`} disabled={!live} />
      <span className="tool-separator" />
      <label className="tool check">
        <input type="checkbox" data-testid="view-only-toggle" checked={viewOnly} onChange={(e) => onViewOnly(e.target.checked)} />
        View only
      </label>
      <SpecialKeysMenu disabled={viewOnly || !live} onPick={onSpecialKey} />
      <span className="spacer" />
      <span className="screen-stats muted" data-testid="screen-stats" ref={statsRef} title="Screen updates received per second" />
    </div>
  );
}

function monitorLabel(m: Monitor): string {
  return `${m.name || m.id} (${m.width}×${m.height})${m.primary ? ' · primary' : ''}`;
}

function MonitorSelect({ link, id }: { link: PeerLink | null; id: string }) {
  const monitors = useAppState((s) => s.monitors);
  const { monitorChosen } = useActions();
  const choose = (choice: string) => {
    monitorChosen(choice);
    link?.send({ t: 'monitor', id: choice });
  };
  return (
    <label className="tool" htmlFor={id}>
      <span className="tool-label">Monitor</span>
      <select
        id={id}
        data-testid="monitor-select"
        value={monitors?.selected ?? ''}
        disabled={!monitors}
        onChange={(e) => choose(e.target.value)}
      >
        {!monitors && <option value="">—</option>}
        {monitors?.list.map((m) => (
          <option key={m.id} value={m.id}>
            {monitorLabel(m)}
          </option>
        ))}
        {monitors && <option value="all">All monitors</option>}
      </select>
    </label>
  );
}

export function effectiveQuality(q: ScreenQuality | null): string {
  if (!q) return '—';
  if (q.effective === 'lossless') return 'lossless';
  return `${q.effective === 'grey' ? 'grey' : 'JPEG'} ${q.jpegQuality}`;
}

function QualitySelect({ link, id, disabled }: { link: PeerLink | null; id: string; disabled: boolean }) {
  const quality = useAppState((s) => s.quality);
  const chosen = useAppState((s) => s.screenChoice.quality);
  const { qualityChosen } = useActions();
  const choose = (mode: QualityMode) => {
    qualityChosen(mode);
    // Not connected yet: the choice goes to the next peer (SessionPeers).
    link?.send({ t: 'quality', mode });
  };
  return (
    <label className="tool" htmlFor={id}>
      <span className="tool-label">Quality</span>
      <select
        id={id}
        data-testid="quality-select"
        value={quality?.mode ?? chosen ?? 'auto'}
        disabled={disabled}
        onChange={(e) => choose(QualityMode.parse(e.target.value))}
      >
        {QualityMode.options.map((m) => (
          <option key={m} value={m}>
            {QUALITY_LABELS[m]}
          </option>
        ))}
      </select>
      <span className="quality-effective muted" data-testid="quality-effective" data-effective={quality?.effective ?? ''} title="What the support client sends now">
        {effectiveQuality(quality)}
      </span>
    </label>
  );
}

function SpecialKeysMenu({ disabled, onPick }: { disabled: boolean; onPick(keysyms: readonly number[]): void }) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const menuId = useId();

  useEffect(() => {
    if (!open) return;
    const outside = (e: PointerEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    const escape = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setOpen(false);
    };
    document.addEventListener('pointerdown', outside);
    document.addEventListener('keydown', escape);
    return () => {
      document.removeEventListener('pointerdown', outside);
      document.removeEventListener('keydown', escape);
    };
  }, [open]);

  return (
    <div className="menu-root" ref={root}>
      <button
        className="button small"
        data-testid="special-keys"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={menuId}
        disabled={disabled}
        onClick={() => setOpen((o) => !o)}
      >
        Special keys ▾
      </button>
      {open && !disabled && (
        <div className="menu" role="menu" id={menuId}>
          {SPECIAL_KEYS.map((k) => (
            <button
              key={k.id}
              role="menuitem"
              className="menu-item"
              data-testid={`special-key-${k.id}`}
              onClick={() => {
                setOpen(false);
                onPick(k.keys);
              }}
            >
              {k.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
