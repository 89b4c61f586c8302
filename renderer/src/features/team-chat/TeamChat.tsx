/**
 * Technician chat outside sessions: a dock with a button in the corner and a
 * panel listing the technician's teams and colleagues, and the conversation
 * with the one chosen. Messages came from other machines: rendered as React
 * text only, never as HTML.
 */
import { useEffect, useLayoutEffect, useReducer, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { LIMITS } from '../../../../shared/limits.js';
import { conversationKey, type TeamChatMessage, type TeamChatPeer } from '../../../../shared/team-chat.js';
import { formatClock, isoTime } from '../../app/clock.js';
import { useApi, useAppState } from '../../app/context.js';
import { useAction } from '../../app/use-action.js';
import { historyLoaded, initialTeamChat, received, selected, totalUnread, type TeamChatState } from './conversations.js';
import './team-chat.css';

type Action =
  | { kind: 'received'; message: TeamChatMessage; me: number; open: boolean }
  | { kind: 'selected'; peer: TeamChatPeer }
  | { kind: 'history'; peer: TeamChatPeer; messages: TeamChatMessage[] };

function reduce(state: TeamChatState, a: Action): TeamChatState {
  if (a.kind === 'received') return received(state, a.message, a.me, a.open);
  if (a.kind === 'selected') return selected(state, a.peer);
  return historyLoaded(state, a.peer, a.messages);
}

const NO_MESSAGES: TeamChatMessage[] = [];

export function TeamChatDock() {
  const api = useApi();
  const me = useAppState((s) => s.technician);
  const teams = useAppState((s) => s.teams);
  const presence = useAppState((s) => s.presence);
  const [open, setOpen] = useState(false);
  const [state, dispatch] = useReducer(reduce, initialTeamChat);
  const openRef = useRef(open);
  useEffect(() => {
    openRef.current = open;
  }, [open]);
  const meId = me?.id ?? 0;

  useEffect(
    () => api.on('team-chat:received', ({ message }) => dispatch({ kind: 'received', message, me: meId, open: openRef.current })),
    [api, meId],
  );

  const load = useAction(async (peer: TeamChatPeer) => {
    const { messages } = await api.invoke('team-chat:history', { with: peer });
    dispatch({ kind: 'history', peer, messages });
  });
  const choose = (peer: TeamChatPeer) => {
    dispatch({ kind: 'selected', peer });
    void load.run(peer);
  };
  // Reopening the panel refreshes the open conversation (messages may have come while it was closed).
  useEffect(() => {
    if (open && state.selected) void load.run(state.selected);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open]);

  const colleagues = presence.filter((t) => t.id !== meId);
  const unread = totalUnread(state);
  const key = state.selected ? conversationKey(state.selected) : null;
  const title = !state.selected
    ? null
    : state.selected.kind === 'team'
      ? `Team ${teams.find((t) => t.id === state.selected!.id)?.name ?? ''}`
      : colleagues.find((t) => t.id === state.selected!.id)?.displayName ?? 'Colleague';

  return (
    <div className="team-chat-dock">
      {open && (
        <section className="team-chat" aria-label="Team chat" data-testid="team-chat">
          <nav className="team-chat-peers" aria-label="Conversations">
            {teams.length > 0 && <h3 className="small muted">Teams</h3>}
            {teams.map((t) => (
              <PeerButton key={`t${t.id}`} peer={{ kind: 'team', id: t.id }} label={t.name} state={state} onChoose={choose} />
            ))}
            <h3 className="small muted">Colleagues</h3>
            {colleagues.length === 0 && <p className="small muted">Nobody else yet.</p>}
            {colleagues.map((t) => (
              <PeerButton key={`c${t.id}`} peer={{ kind: 'technician', id: t.id }} label={t.displayName} detail={t.status} state={state} onChoose={choose} />
            ))}
          </nav>
          {state.selected && key ? (
            <Conversation key={key} title={title ?? ''} peer={state.selected} messages={state.messages[key] ?? NO_MESSAGES} meId={meId} />
          ) : (
            <p className="team-chat-empty muted small">Choose a team or a colleague.</p>
          )}
          {load.error && <p className="form-error small" role="alert">{load.error}</p>}
        </section>
      )}
      <button className="button small team-chat-toggle" data-testid="team-chat-toggle" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
        Team chat{unread > 0 && <span className="team-chat-badge" data-testid="team-chat-unread"> {unread}</span>}
      </button>
    </div>
  );
}

function PeerButton(props: { peer: TeamChatPeer; label: string; detail?: string; state: TeamChatState; onChoose: (p: TeamChatPeer) => void }) {
  const key = conversationKey(props.peer);
  const unread = props.state.unread[key] ?? 0;
  const current = props.state.selected !== null && conversationKey(props.state.selected) === key;
  return (
    <button className="team-chat-peer" data-testid="team-chat-peer" data-kind={props.peer.kind} aria-pressed={current} onClick={() => props.onChoose(props.peer)}>
      <span>{props.label}</span>
      {props.detail && <span className="small muted"> · {props.detail}</span>}
      {unread > 0 && <span className="team-chat-badge"> {unread}</span>}
    </button>
  );
}

function Conversation({ title, peer, messages, meId }: { title: string; peer: TeamChatPeer; messages: TeamChatMessage[]; meId: number }) {
  const api = useApi();
  const [text, setText] = useState('');
  const send = useAction(async (t: string) => {
    await api.invoke('team-chat:send', { to: peer, text: t });
    setText('');
  });
  const listRef = useRef<HTMLOListElement>(null);
  useLayoutEffect(() => {
    const list = listRef.current;
    if (list) list.scrollTop = list.scrollHeight;
  }, [messages]);

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    const t = text.trim();
    if (!t || send.pending) return;
    void send.run(t);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };

  return (
    <div className="team-chat-conversation">
      <h2 className="panel-title" data-testid="team-chat-title">{title}</h2>
      <ol className="chat-log" ref={listRef}>
        {messages.length === 0 && <li className="muted small chat-empty">No messages yet.</li>}
        {messages.map((m) => (
          <li key={m.id} className={`chat-message ${m.from.id === meId ? 'from-technician' : 'from-user'}`} data-testid="team-chat-message">
            <div className="chat-meta">
              <span className="chat-author">{m.from.displayName}</span>
              <time dateTime={isoTime(m.at)}>{formatClock(m.at)}</time>
            </div>
            <p className="chat-text">{m.text}</p>
          </li>
        ))}
      </ol>
      <form className="chat-compose" onSubmit={submit}>
        <textarea
          data-testid="team-chat-input"
          rows={2}
          maxLength={LIMITS.chatTextChars}
          placeholder="Message (Enter to send)"
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            if (send.error) send.clearError();
          }}
          onKeyDown={onKeyDown}
        />
        <button className="button primary" type="submit" data-testid="team-chat-send" disabled={send.pending || !text.trim()}>
          Send
        </button>
      </form>
      {send.error && <p className="form-error small" role="alert">{send.error}</p>}
    </div>
  );
}
