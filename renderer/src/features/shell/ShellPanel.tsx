/**
 * The Shell tab: one remote shell at a time in a terminal, plain or as
 * administrator, each offered only while the account may and the user allows
 * it. Output flows from the tools link into xterm without React; React holds
 * the status. When the user withdraws consent the shell is closed here as
 * well as on the agent, and the terminal stops taking input; what it showed
 * stays readable. Works without the screen: the peer and the tools channel do
 * not depend on screen viewing.
 */
import { useEffect, useLayoutEffect, useRef, useState, type MouseEvent } from 'react';
import type { SessionState } from '../../../../shared/protocol.js';
import { useAppState } from '../../app/context.js';
import { capability, type Availability } from '../tools/availability.js';
import { ConnectionBanner } from '../tools/ConnectionBanner.js';
import type { ToolsLink } from '../tools/tools-link.js';
import { ShellSession, shellStatusText, type ShellStatus } from './shell-session.js';
import { ShellTerminal } from './terminal.js';

export function ShellPanel({ session, tools }: { session: SessionState; tools: ToolsLink | null }) {
  const toolsOpen = useAppState((s) => s.toolsOpen);
  const elementRef = useRef<HTMLDivElement>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const menuRef = useRef<HTMLDivElement>(null);
  const terminalRef = useRef<ShellTerminal | null>(null);
  const shellRef = useRef<ShellSession | null>(null);
  const [status, setStatus] = useState<ShellStatus | null>(null);
  const [elevated, setElevated] = useState(false);
  const [note, setNote] = useState<string | null>(null);
  const [menu, setMenu] = useState<{ x: number; y: number; selection: boolean } | null>(null);

  const plain = capability(session, 'shell');
  const admin = capability(session, 'shell_elevated');
  const current = elevated ? admin : plain;
  const refusal = current.ok ? null : current.reason;
  const live = status?.state === 'opening' || status?.state === 'running';
  const usable = session.status === 'active' && toolsOpen && tools !== null;

  useEffect(() => {
    const terminal = new ShellTerminal({
      element: elementRef.current!,
      onInput: (data) => {
        const shell = shellRef.current;
        if (shell?.current.state === 'running' && !shell.input(data)) {
          setNote('Not sent: the connection to the remote computer is down or too far behind.');
        }
      },
      onResize: (cols, rows) => shellRef.current?.resize(cols, rows),
      onClipboardProblem: setNote,
    });
    terminalRef.current = terminal;
    return () => {
      shellRef.current?.close();
      shellRef.current = null;
      terminal.dispose();
      terminalRef.current = null;
    };
  }, []);

  // Consent can go at any moment; the agent closes the shell too, this stops input at once.
  useEffect(() => {
    if (refusal) shellRef.current?.close(refusal);
  }, [refusal]);

  useLayoutEffect(() => {
    const el = menuRef.current;
    if (!el || !menu) return;
    el.style.left = `${menu.x}px`;
    el.style.top = `${menu.y}px`;
    const close = (e: Event) => {
      if (!(e.target instanceof Node && el.contains(e.target))) setMenu(null);
    };
    const escape = (e: KeyboardEvent) => {
      if (e.key === 'Escape') setMenu(null);
    };
    document.addEventListener('mousedown', close);
    document.addEventListener('keydown', escape);
    return () => {
      document.removeEventListener('mousedown', close);
      document.removeEventListener('keydown', escape);
    };
  }, [menu]);

  const open = (asAdmin: boolean) => {
    const terminal = terminalRef.current;
    if (!tools || !terminal) return;
    shellRef.current?.close();
    terminal.reset();
    setNote(null);
    setElevated(asAdmin);
    const shell: ShellSession = new ShellSession({
      tools,
      terminal,
      elevated: asAdmin,
      cols: terminal.cols,
      rows: terminal.rows,
      onStatus: (s) => {
        if (shellRef.current !== shell) return;
        setStatus(s);
        terminal.setInputEnabled(s.state === 'running');
      },
    });
    shellRef.current = shell;
    void shell.start();
    terminal.focus();
  };

  const openMenu = (e: MouseEvent) => {
    e.preventDefault();
    const box = wrapRef.current!.getBoundingClientRect();
    setMenu({ x: e.clientX - box.left, y: e.clientY - box.top, selection: terminalRef.current?.hasSelection() ?? false });
  };

  // Keys go back to the terminal after a menu action (the menu's button had the focus).
  const menuDone = (action: (t: ShellTerminal) => void) => {
    setMenu(null);
    const terminal = terminalRef.current;
    if (!terminal) return;
    action(terminal);
    terminal.focus();
  };

  const pasteFromClipboard = () => {
    menuDone(() => {});
    const refused = 'The browser does not let the console read your clipboard here; press Ctrl+Shift+V to paste.';
    const clipboard = navigator.clipboard as Clipboard | undefined;
    if (!clipboard) return setNote(refused);
    clipboard.readText().then((text) => terminalRef.current?.paste(text), () => setNote(refused));
  };

  return (
    <div className="shell-pane">
      <div className="shell-toolbar" role="toolbar" aria-label="Shell">
        <OpenButton testId="shell-open" label="Shell" what={plain} usable={usable && !live} onOpen={() => open(false)}
          hint="Open a command shell as the signed-in user" />
        <OpenButton testId="shell-open-elevated" label="Administrator shell" what={admin} usable={usable && !live} onOpen={() => open(true)}
          hint="Open a command shell with administrator rights; every command is recorded in the session log" />
        {live && (
          <button className="button small danger" data-testid="shell-close" onClick={() => shellRef.current?.close()}>
            Close
          </button>
        )}
        <span className="tool-separator" />
        {status && elevated && <span className="badge admin">Administrator</span>}
        <span className="shell-state">
          <span className="tool-label">Status</span> <span data-testid="shell-status">{shellStatusText(status)}</span>
        </span>
        {status?.state === 'closed' && (status.reason ?? refusal) && (
          // The agent may close the shell before the new consent reaches the console: the refusal says why.
          <span className="muted small shell-reason" title={status.reason ?? refusal ?? undefined}>
            {status.reason ?? refusal}
          </span>
        )}
        <span className="spacer" />
        <span className="muted small">Ctrl+Shift+C copies · Ctrl+Shift+V pastes</span>
      </div>
      <ConnectionBanner active={session.status === 'active'} agentOnline={session.agentOnline} />
      {note && (
        <p className="banner error" role="alert">
          <span>{note}</span>
          <button className="link-button" onClick={() => setNote(null)}>
            Dismiss
          </button>
        </p>
      )}
      <div className="shell-terminal-wrap" ref={wrapRef} onContextMenu={openMenu}>
        <div className="shell-terminal" data-testid="shell-terminal" ref={elementRef} />
        {!status && (
          <div className="shell-overlay" aria-hidden="true">
            <span>Open a shell to use the remote computer's command line.</span>
          </div>
        )}
        {menu && (
          <div className="menu context-menu" role="menu" ref={menuRef}>
            <button className="menu-item" role="menuitem" disabled={!menu.selection} onClick={() => menuDone((t) => t.copySelection())}>
              Copy
            </button>
            <button className="menu-item" role="menuitem" disabled={status?.state !== 'running'} onClick={pasteFromClipboard}>
              Paste
            </button>
            <button className="menu-item" role="menuitem" onClick={() => menuDone((t) => t.selectAll())}>
              Select all
            </button>
          </div>
        )}
      </div>
    </div>
  );
}

function OpenButton(props: { testId: string; label: string; what: Availability; usable: boolean; hint: string; onOpen(): void }) {
  const { testId, label, what, usable, hint, onOpen } = props;
  return (
    <button className="button small" data-testid={testId} disabled={!what.ok || !usable} title={what.ok ? hint : what.reason} onClick={onOpen}>
      {label}
    </button>
  );
}
