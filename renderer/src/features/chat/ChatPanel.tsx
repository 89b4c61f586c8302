/**
 * Chat with the user. Every message text and author name came from another
 * machine: they are rendered as React text children only, never as HTML.
 */
import { useLayoutEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { LIMITS } from '../../../../shared/limits.js';
import type { ChatMessage } from '../../../../shared/protocol.js';
import { formatClock, isoTime } from '../../app/clock.js';
import { useApi, useAppState } from '../../app/context.js';
import { openChatLink, splitLinks } from './links.js';
import { useAction } from '../../app/use-action.js';

const NO_MESSAGES: ChatMessage[] = [];

export function ChatPanel({ requestId, open }: { requestId: string; open: boolean }) {
  const api = useApi();
  const messages = useAppState((s) => s.chat[requestId] ?? NO_MESSAGES);
  const [text, setText] = useState('');
  const send = useAction(async (t: string) => {
    await api.invoke('chat:send', { requestId, text: t });
    setText('');
  });
  const listRef = useRef<HTMLOListElement>(null);
  const stickToBottom = useRef(true);

  useLayoutEffect(() => {
    const list = listRef.current;
    if (list && stickToBottom.current) list.scrollTop = list.scrollHeight;
  }, [messages]);

  const submit = (e?: FormEvent) => {
    e?.preventDefault();
    const t = text.trim();
    if (!t || send.pending || !open) return;
    void send.run(t);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  };

  return (
    <section className="chat" aria-label="Chat">
      <h2 className="panel-title">Chat</h2>
      <ol
        className="chat-log"
        ref={listRef}
        onScroll={(e) => {
          const el = e.currentTarget;
          stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {messages.length === 0 && <li className="muted small chat-empty">No messages yet.</li>}
        {messages.map((m) => (
          <li key={m.id} className={`chat-message from-${m.from}`} data-testid="chat-message">
            <div className="chat-meta">
              <span className="chat-author">{m.author}</span>
              <time dateTime={isoTime(m.at)}>{formatClock(m.at)}</time>
            </div>
            <p className="chat-text">
              {splitLinks(m.text).map((part, i) =>
                part.kind === 'text' ? (
                  part.text
                ) : (
                  <a key={i} href={part.href} rel="noopener noreferrer" onClick={(e) => { e.preventDefault(); openChatLink(part.href); }}>
                    {part.text}
                  </a>
                ),
              )}
            </p>
          </li>
        ))}
      </ol>
      <form className="chat-compose" onSubmit={submit}>
        <textarea
          data-testid="chat-input"
          rows={2}
          maxLength={LIMITS.chatTextChars}
          placeholder={open ? 'Message to the user (Enter to send)' : 'The session has ended.'}
          disabled={!open}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            if (send.error) send.clearError();
          }}
          onKeyDown={onKeyDown}
        />
        <button className="button primary" type="submit" data-testid="chat-send" disabled={!open || send.pending || !text.trim()}>
          Send
        </button>
      </form>
      {send.error && <p className="form-error small" role="alert">{send.error}</p>}
    </section>
  );
}
