/**
 * The console core: everything the console's main process does, with no
 * `electron` import. It signs the technician in (the token never reaches the
 * renderer), holds the live connection to the support server, keeps the queue
 * and session state, relays WebRTC signalling, and delivers chat reliably.
 * The Electron adapter keeps one core for the app's lifetime (the window may
 * close and come back); the web host wires one per browser connection.
 */
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { LifelineError, type ErrorCode } from '../../../shared/errors.js';
import type { ConsoleHandlers, EmitEvent } from '../../../shared/console-contract.js';
import {
  ApiError, CodeResponse, LoginResponse, ScriptSummary, ServerToConsole,
  type ChatMessage, type IceServer, type QueueItem, type SessionState, type Technician,
} from '../../../shared/protocol.js';
import { ServerConnection, type SocketLike } from '../../../shared/server-connection.js';
import { createJumpCore } from './jump-core.js';
import { TeamChatHistoryResponse } from '../../../shared/team-chat.js';
import type { TeamRef, TechnicianPresence } from '../../../shared/desk.js';
import { z } from 'zod';

/** Where the console keeps its sign-in between runs. The web host keeps none. */
export interface TokenStore {
  load(): string | null;
  save(token: string | null): void;
}

export interface ConsoleCoreOptions {
  /** The support server, e.g. https://support.example.com */
  serverUrl: string;
  emit: EmitEvent;
  tokenStore?: TokenStore;
  log?: (msg: string) => void;
}

export interface ConsoleCore {
  handlers: ConsoleHandlers;
  dispose(): void;
}

interface Outgoing {
  requestId: string;
  text: string;
  clientId: string;
}

export function createConsoleCore(opts: ConsoleCoreOptions): ConsoleCore {
  const base = opts.serverUrl.replace(/\/+$/, '');
  const wsUrl = `${base.replace(/^http/, 'ws')}/ws`;
  const log = opts.log ?? (() => undefined);

  let token: string | null = opts.tokenStore?.load() ?? null;
  let technician: Technician | null = null;
  // Signed in with a one-time password: the token may only change it, so it is neither connected nor kept until then.
  let changingPassword: Technician | null = null;
  // Resolved when a stored sign-in is confirmed (welcome) or refused by the server.
  let restoring: { promise: Promise<void>; done: () => void } | null = null;
  let iceServers: IceServer[] = [];
  let conn: ServerConnection<ServerToConsole> | null = null;
  let queue: QueueItem[] = [];
  // The technician's teams (their queues show even when empty) and everyone's presence.
  let teams: TeamRef[] = [];
  let presence: TechnicianPresence[] = [];
  const sessions = new Map<string, SessionState>();
  const chats = new Map<string, ChatMessage[]>();
  // Chat typed while the server is unreachable waits here; the server stores
  // each clientId once, so re-sending after a reconnect never duplicates.
  let outbox: Outgoing[] = [];
  const jump = createJumpCore({ emit: opts.emit, connection: () => requireConn(), log });

  /** A REST call: POST with a JSON body, or GET when `body` is null. */
  async function rest<S extends z.ZodType>(path: string, body: unknown, schema: S): Promise<z.infer<S>> {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
        method: body === null ? 'GET' : 'POST',
        headers: { ...(body === null ? {} : { 'content-type': 'application/json' }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
        ...(body === null ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new LifelineError('ERR_NOT_CONNECTED');
    }
    const json: unknown = await res.json().catch(() => null);
    if (!res.ok) {
      const err = ApiError.safeParse(json);
      throw err.success ? new LifelineError(err.data.error.code, err.data.error.message) : new LifelineError('ERR_INTERNAL');
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new LifelineError('ERR_BAD_MESSAGE', 'The server sent an unexpected answer.');
    return parsed.data;
  }

  function onServerMessage(msg: ServerToConsole): void {
    switch (msg.type) {
      case 'welcome':
        iceServers = msg.iceServers;
        technician = msg.technician;
        restoring?.done();
        flushOutbox();
        jump.reconnected();
        return;
      case 'queue:snapshot':
        queue = msg.items;
        teams = msg.teams ?? teams;
        opts.emit('queue:changed', { items: queue, teams });
        return;
      case 'presence:snapshot':
        presence = msg.technicians;
        opts.emit('presence:changed', { technicians: presence });
        return;
      case 'session:state':
        sessions.set(msg.state.requestId, msg.state);
        if (msg.state.status === 'ended') outbox = outbox.filter((o) => o.requestId !== msg.state.requestId);
        opts.emit('session:changed', { state: msg.state });
        return;
      case 'chat:history':
        chatStored(msg.requestId, msg.messages);
        opts.emit('chat:history-loaded', { requestId: msg.requestId, messages: msg.messages });
        return;
      case 'chat:message':
        // A message stored as the history was read comes live too: show it once.
        if (chatStored(msg.message.requestId, [msg.message])) opts.emit('chat:received', { message: msg.message });
        return;
      case 'jump:snapshot':
      case 'jump:client':
      case 'jump:removed':
        jump.onServer(msg);
        return;
      case 'session:transferred':
        // No longer his: forget it, so a reloaded renderer does not show it again.
        sessions.delete(msg.requestId);
        chats.delete(msg.requestId);
        outbox = outbox.filter((o) => o.requestId !== msg.requestId);
        opts.emit('session:transferred', { requestId: msg.requestId, to: msg.to, note: msg.note });
        return;
      case 'team-chat:message':
        opts.emit('team-chat:received', { message: msg.message });
        return;
      case 'signal':
        opts.emit('signal:received', { requestId: msg.requestId, data: msg.data });
        return;
      case 'script:started':
        opts.emit('script:started', { requestId: msg.requestId, runId: msg.runId, name: msg.name });
        return;
      case 'script:output':
        opts.emit('script:output-received', { requestId: msg.requestId, runId: msg.runId, chunk: msg.chunk });
        return;
      case 'script:exit':
        opts.emit('script:exited', { requestId: msg.requestId, runId: msg.runId, code: msg.code, ...(msg.error ? { error: msg.error } : {}) });
        return;
      case 'error':
        log(`server error ${msg.code}${msg.cause ? ` (${msg.cause})` : ''}`);
        // The server ended this sign-in (password changed elsewhere or reset): back to the sign-in page now.
        if (msg.code === 'ERR_NOT_AUTHENTICATED') signOut();
        opts.emit('error:raised', { code: msg.code, message: msg.message });
        return;
      case 'ack':
        return;
    }
  }

  /** Adds stored messages to the request's chat (oldest first, once each); true when one was new. */
  function chatStored(requestId: string, messages: readonly ChatMessage[]): boolean {
    const byId = new Map((chats.get(requestId) ?? []).map((m) => [m.id, m]));
    const before = byId.size;
    for (const m of messages) byId.set(m.id, m);
    chats.set(requestId, [...byId.values()].sort((a, b) => a.id - b.id));
    const stored = new Set(messages.map((m) => m.clientId));
    outbox = outbox.filter((o) => !stored.has(o.clientId));
    return byId.size > before;
  }

  /** Sends one outbox message; the server's ack means it is stored (now or before a lost ack), a refusal that it never will be. */
  function deliver(c: ServerConnection<ServerToConsole>, item: Outgoing): Promise<void> {
    return c.request({ type: 'chat:send', requestId: item.requestId, text: item.text, clientId: item.clientId }).then(
      () => { outbox = outbox.filter((o) => o !== item); },
      (e: unknown) => {
        // Offline again: it stays for the next reconnect.
        if (e instanceof LifelineError && e.code === 'ERR_NOT_CONNECTED') return;
        outbox = outbox.filter((o) => o !== item);
        throw e;
      },
    );
  }

  function flushOutbox(): void {
    const c = conn;
    if (!c) return;
    for (const item of outbox) {
      deliver(c, item).catch((e: unknown) => {
        const err = e instanceof LifelineError ? e : new LifelineError('ERR_INTERNAL');
        opts.emit('error:raised', { code: err.code, message: `A message could not be delivered: ${err.message}` });
      });
    }
  }

  function connect(): void {
    conn?.stop();
    conn = new ServerConnection<ServerToConsole>({
      url: wsUrl,
      socket: (url) => new WebSocket(url) as unknown as SocketLike,
      schema: ServerToConsole,
      hello: () => ({ type: 'hello', role: 'console', token }),
      onMessage: onServerMessage,
      onState: (state) => opts.emit('connection:changed', { state }),
      fatalCodes: ['ERR_NOT_AUTHENTICATED', 'ERR_PASSWORD_CHANGE_REQUIRED'],
      onFatal: (code: ErrorCode, message: string) => {
        signOut();
        opts.emit('error:raised', { code, message: message || 'Your sign-in has expired. Please sign in again.' });
      },
      onInvalid: (reason) => log(`ignored a server message: ${reason}`),
    });
    conn.start();
  }

  function signOut(): void {
    conn?.stop();
    conn = null;
    if (token) opts.tokenStore?.save(null);
    token = null;
    restoring?.done();
    technician = null;
    changingPassword = null;
    queue = [];
    teams = [];
    presence = [];
    sessions.clear();
    chats.clear();
    outbox = [];
    jump.reset();
    opts.emit('connection:changed', { state: 'signed-out' });
  }

  function requireConn(): ServerConnection<ServerToConsole> {
    if (!conn || !token) throw new LifelineError('ERR_NOT_AUTHENTICATED');
    return conn;
  }

  const handlers: ConsoleHandlers = {
    ...jump.handlers,
    async 'auth:login'({ username, password }) {
      const r = await rest('/api/login', { username, password }, LoginResponse);
      signOut();
      token = r.token;
      if (r.mustChangePassword) {
        changingPassword = r.technician;
        return { technician: r.technician, mustChangePassword: true };
      }
      technician = r.technician;
      opts.tokenStore?.save(r.token);
      connect();
      return { technician: r.technician };
    },
    async 'auth:change-password'({ currentPassword, newPassword }) {
      const who = changingPassword ?? technician;
      if (!token || !who) throw new LifelineError('ERR_NOT_AUTHENTICATED');
      await rest('/api/password', { currentPassword, newPassword }, z.object({}));
      if (changingPassword) {
        technician = changingPassword;
        changingPassword = null;
        opts.tokenStore?.save(token);
        connect();
      }
      return { technician: who };
    },
    async 'auth:logout'() {
      if (token) await rest('/api/logout', {}, z.object({})).catch(() => undefined);
      signOut();
      return {};
    },
    async 'auth:status'() {
      if (restoring) await restoring.promise;
      // A renderer that reloads gets the current picture again.
      if (technician) {
        opts.emit('connection:changed', { state: conn?.online ? 'online' : 'connecting' });
        opts.emit('queue:changed', { items: queue, teams });
        opts.emit('presence:changed', { technicians: presence });
        for (const state of sessions.values()) opts.emit('session:changed', { state });
        for (const [requestId, messages] of chats) opts.emit('chat:history-loaded', { requestId, messages });
        jump.replay();
      }
      return { technician };
    },
    async 'code:create'() {
      requireConn();
      return rest('/api/codes', {}, CodeResponse);
    },
    async 'queue:accept'({ requestId }) {
      await requireConn().request({ type: 'queue:accept', requestId });
      return {};
    },
    async 'presence:set'({ status }) {
      await requireConn().request({ type: 'presence:set', status });
      return {};
    },
    async 'session:end'({ requestId }) {
      await requireConn().request({ type: 'session:end', requestId });
      return {};
    },
    async 'chat:send'({ requestId, text }) {
      const c = requireConn();
      const item: Outgoing = { requestId, text, clientId: randomUUID() };
      outbox.push(item);
      // Offline: it waits in the outbox for the reconnect. Refused: the renderer tells.
      if (c.online) await deliver(c, item);
      return {};
    },
    async 'signal:send'({ requestId, data }) {
      await requireConn().request({ type: 'signal', requestId, data });
      return {};
    },
    async 'config:get'() {
      return { iceServers };
    },
    async 'scripts:list'() {
      requireConn();
      return rest('/api/scripts', null, z.object({ scripts: z.array(ScriptSummary) }));
    },
    async 'session:transfer'({ requestId, to, note }) {
      await requireConn().request({ type: 'session:transfer', requestId, to, note });
      return {};
    },
    async 'session:invite'({ requestId, technicianId }) {
      await requireConn().request({ type: 'session:invite', requestId, technicianId });
      return {};
    },
    async 'session:handover'({ requestId, technicianId }) {
      await requireConn().request({ type: 'session:handover', requestId, technicianId });
      return {};
    },
    async 'session:leave'({ requestId }) {
      await requireConn().request({ type: 'session:leave', requestId });
      return {};
    },
    async 'team-chat:send'({ to, text }) {
      await requireConn().request({ type: 'team-chat:send', to, text, clientId: randomUUID() });
      return {};
    },
    async 'team-chat:history'({ with: peer }) {
      requireConn();
      return rest('/api/team-chat/history', { with: peer }, TeamChatHistoryResponse);
    },
    async 'script:run'({ requestId, scriptId }) {
      await requireConn().request({ type: 'script:run', requestId, scriptId });
      return {};
    },
  };

  if (token) {
    // A sign-in kept from the last run: reconnect with it; the server says whether it still holds.
    let done!: () => void;
    const promise = new Promise<void>((r) => (done = r));
    restoring = { promise, done: () => { restoring = null; done(); } };
    connect();
  }

  return { handlers, dispose: () => { conn?.stop(); conn = null; restoring?.done(); } };
}
