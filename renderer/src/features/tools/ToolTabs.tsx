/**
 * The session's tools: Screen, Shell, Files, System, Scripts. A tab the technician
 * cannot use stays selectable (its panel says why) but is greyed out, with
 * the reason as its tooltip; both follow grants and consent as they change.
 */
import { useRef, type KeyboardEvent } from 'react';
import { TAB_LABELS, TOOL_TABS, type Availability, type ToolTab } from './availability.js';

export interface ToolTabsProps {
  selected: ToolTab;
  availability: Record<ToolTab, Availability>;
  onSelect(tab: ToolTab): void;
  /** Ids of the panels, for aria-controls. */
  panelId(tab: ToolTab): string;
}

export function ToolTabs({ selected, availability, onSelect, panelId }: ToolTabsProps) {
  const refs = useRef(new Map<ToolTab, HTMLButtonElement>());

  // Arrow keys move between tabs, as in any tab list.
  const onKeyDown = (e: KeyboardEvent) => {
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    e.preventDefault();
    const next = TOOL_TABS[(TOOL_TABS.indexOf(selected) + step + TOOL_TABS.length) % TOOL_TABS.length]!;
    onSelect(next);
    refs.current.get(next)?.focus();
  };

  return (
    <div className="tool-tabs" role="tablist" aria-label="Tools" onKeyDown={onKeyDown}>
      {TOOL_TABS.map((tab) => {
        const a = availability[tab];
        return (
          <button
            key={tab}
            ref={(el) => {
              if (el) refs.current.set(tab, el);
              else refs.current.delete(tab);
            }}
            role="tab"
            className={`tool-tab${a.ok ? '' : ' unavailable'}`}
            data-testid={`tool-tab-${tab}`}
            aria-selected={tab === selected}
            aria-controls={panelId(tab)}
            aria-disabled={a.ok ? undefined : true}
            title={a.ok ? undefined : a.reason}
            tabIndex={tab === selected ? 0 : -1}
            onClick={() => onSelect(tab)}
          >
            {TAB_LABELS[tab]}
          </button>
        );
      })}
    </div>
  );
}
