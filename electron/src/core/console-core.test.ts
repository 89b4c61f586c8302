/**
 * The console core's chat outbox across reconnects: the real core and its real
 * ServerConnection talk WebSocket to a scripted server in this process, which
 * stores chat once per clientId as the real server does (the e2e test
 * chat-reconnect.spec.ts covers the real server).
 */
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventName, EventOf } from '../../../shared/console-contract.js';
import type { ChatMessage } from '../../../shared/protocol.js';
import { createConsoleCore, type ConsoleCore } from './console-core.js';

const REQUEST = 'r1';
const TECHNICIAN = { id: 1, username: 'ann', displayName: 'Ann', role: 'technician' as const };

interface ChatSend { type: 'chat:send'; requestId: string; text: string; clientId: string; ref?: number }

/** A support server reduced to chat: a hello gets a welcome and the history; chat is stored once per clientId. */
class ScriptedServer {
  readonly wss = new WebSocketServer({ port: 0, path: '/ws' });
  readonly sockets = new Set<WebSocket>();
  readonly stored: ChatMessage[] = [];
  /** Every chat:send that reached the server, re-sends included. */
  readonly received: ChatSend[] = [];
  /** While down, every connection is cut as it opens. */
  down = false;
  /** Store the next message, then cut the connection before its ack or its broadcast leave. */
  cutAfterNextStore = false;
  /** Refuse chat with this error code. */
  refuse: string | null = null;
  /** Stored before the next history is read, broadcast after it is sent: the race a reconnect has on the real server. */
  private racing: ChatMessage | null = null;

  constructor() {
    this.wss.on('connection', (ws) => {
      if (this.down) return ws.terminate();
      this.sockets.add(ws);
      ws.on('close', () => this.sockets.delete(ws));
      ws.on('message', (data) => this.receive(ws, JSON.parse(String(data)) as { type: string }));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  private receive(ws: WebSocket, msg: { type: string }): void {
    if (msg.type === 'hello') {
      ws.send(JSON.stringify({ type: 'welcome', technician: TECHNICIAN, iceServers: [] }));
      ws.send(JSON.stringify({ type: 'chat:history', requestId: REQUEST, messages: this.stored }));
      if (this.racing) this.broadcast(this.racing);
      this.racing = null;
      return;
    }
    if (msg.type !== 'chat:send') return;
    const send = msg as ChatSend;
    this.received.push(send);
    if (this.refuse) {
      ws.send(JSON.stringify({ type: 'error', code: this.refuse, message: 'The session has ended.', ref: send.ref }));
      return;
    }
    if (!this.stored.some((m) => m.clientId === send.clientId)) {
      this.store('technician', send.text, send.clientId);
      if (this.cutAfterNextStore) {
        this.cutAfterNextStore = false;
        ws.terminate();
        return;
      }
      this.broadcast(this.stored.at(-1)!);
    }
    if (send.ref !== undefined) ws.send(JSON.stringify({ type: 'ack', ref: send.ref }));
  }

  private store(from: ChatMessage['from'], text: string, clientId: string | null): ChatMessage {
    const message: ChatMessage = { id: this.stored.length + 1, requestId: REQUEST, from, author: from, text, at: Date.now(), clientId };
    this.stored.push(message);
    return message;
  }

  private broadcast(message: ChatMessage): void {
    for (const s of this.sockets) s.send(JSON.stringify({ type: 'chat:message', message }));
  }

  /** The user writes (from the portal). */
  userWrites(text: string): void {
    this.broadcast(this.store('user', text, null));
  }

  /** The user writes just as the console reconnects: the message is in the history and comes live too. */
  userWritesAsConsoleReconnects(text: string): void {
    this.racing = this.store('user', text, null);
  }

  /** The network drops every open connection. */
  cut(): void {
    for (const s of this.sockets) s.terminate();
  }

  close(): Promise<void> {
    this.cut();
    return new Promise((r) => this.wss.close(() => r()));
  }
}

type Seen = { [E in EventName]: { event: E; payload: EventOf<E> } }[EventName];

let server: ScriptedServer;
let core: ConsoleCore;
let events: Seen[];

async function start(): Promise<void> {
  server = new ScriptedServer();
  events = [];
  core = createConsoleCore({
    serverUrl: server.url,
    emit: (event, payload) => events.push({ event, payload } as Seen),
    tokenStore: { load: () => 'a-token', save: () => undefined },
  });
  await core.handlers['auth:status']({});
}

const states = () => events.flatMap((e) => (e.event === 'connection:changed' ? [e.payload.state] : []));
const onlineCount = () => states().filter((s) => s === 'online').length;

/** What a freshly loaded renderer is given: the core's whole chat for the request. */
async function chatShown(): Promise<string[]> {
  events = [];
  await core.handlers['auth:status']({});
  const loaded = events.flatMap((e) => (e.event === 'chat:history-loaded' && e.payload.requestId === REQUEST ? e.payload.messages : []));
  return loaded.map((m) => m.text);
}

/** Cuts the connection and keeps the server unreachable; resolves once the core knows it is offline. */
async function goOffline(): Promise<void> {
  server.down = true;
  server.cut();
  await vi.waitFor(() => expect(states().at(-1)).not.toBe('online'));
}

async function comeBack(): Promise<void> {
  const before = onlineCount();
  server.down = false;
  await vi.waitFor(() => expect(onlineCount()).toBeGreaterThan(before), { timeout: 15_000 });
}

const send = (text: string) => core.handlers['chat:send']({ requestId: REQUEST, text });

afterEach(async () => {
  core.dispose();
  await server.close();
});

describe('the console core keeps chat across reconnects', () => {
  it('sends a message typed while the server is unreachable once, with its clientId, when the connection comes back', async () => {
    await start();
    await goOffline();
    await send('typed while offline');
    expect(server.received).toEqual([]);

    await comeBack();
    await vi.waitFor(() => expect(server.stored.map((m) => m.text)).toEqual(['typed while offline']));
    expect(server.received).toHaveLength(1);
    expect(server.received[0]!.clientId).toBe(server.stored[0]!.clientId);
    await vi.waitFor(async () => expect(await chatShown()).toEqual(['typed while offline']));
  });

  it('re-sends a message whose ack never came with the same clientId; stored once, it shows once', async () => {
    await start();
    server.cutAfterNextStore = true;
    await send('stored, but the ack was lost');
    await comeBack();

    await vi.waitFor(() => expect(server.received).toHaveLength(2));
    expect(server.received[1]!.clientId).toBe(server.received[0]!.clientId);
    expect(server.stored.map((m) => m.text)).toEqual(['stored, but the ack was lost']);
    await vi.waitFor(async () => expect(await chatShown()).toEqual(['stored, but the ack was lost']));
  });

  it('forgets a re-sent message once the server has it: a later reconnect does not send it again', async () => {
    await start();
    server.cutAfterNextStore = true;
    await send('sent twice at most');
    await comeBack();
    await vi.waitFor(() => expect(server.received).toHaveLength(2));

    server.cut();
    await comeBack();
    await send('a later message');
    await vi.waitFor(() => expect(server.stored.map((m) => m.text)).toEqual(['sent twice at most', 'a later message']));
    expect(server.received.map((m) => m.text)).toEqual(['sent twice at most', 'sent twice at most', 'a later message']);
  });

  it('merges the history sent after a reconnect with the chat it holds, without duplicates', async () => {
    await start();
    server.userWrites('hello from the user');
    await send('hello from the technician');
    await vi.waitFor(async () => expect(await chatShown()).toEqual(['hello from the user', 'hello from the technician']));

    await goOffline();
    server.userWrites('written while the console was away');
    await comeBack();
    await vi.waitFor(async () =>
      expect(await chatShown()).toEqual(['hello from the user', 'hello from the technician', 'written while the console was away']),
    );

    server.cut();
    server.userWritesAsConsoleReconnects('live and in the history');
    await comeBack();
    // Its own message comes back after the racing broadcast: by then both copies have arrived.
    await send('after the race');
    await vi.waitFor(async () => expect(await chatShown()).toEqual([
      'hello from the user', 'hello from the technician', 'written while the console was away', 'live and in the history', 'after the race',
    ]));
  });

  it('keeps the order of messages typed across an outage', async () => {
    await start();
    await send('one');
    await goOffline();
    await send('two');
    await send('three');
    server.userWrites('the user, while the console was away');
    await comeBack();
    await send('four');

    await vi.waitFor(() => expect(server.stored).toHaveLength(5));
    expect(server.stored.map((m) => m.text)).toEqual(['one', 'the user, while the console was away', 'two', 'three', 'four']);
    expect(await chatShown()).toEqual(['one', 'the user, while the console was away', 'two', 'three', 'four']);
  });

  it('drops a re-sent message the server refuses and says so, instead of re-sending it on every reconnect', async () => {
    await start();
    await goOffline();
    await send('too late');
    server.refuse = 'ERR_SESSION_ENDED';
    await comeBack();
    await vi.waitFor(() => expect(events.some((e) => e.event === 'error:raised' && e.payload.code === 'ERR_SESSION_ENDED')).toBe(true));

    server.refuse = null;
    server.cut();
    await comeBack();
    await send('after');
    await vi.waitFor(() => expect(server.stored.map((m) => m.text)).toEqual(['after']));
    expect(server.received.map((m) => m.text)).toEqual(['too late', 'after']);
  });
});

describe('the console core follows the server on sign-ins', () => {
  it('goes back to the sign-in page, keeping no token, when the server ends its sign-in on an open connection', async () => {
    server = new ScriptedServer();
    events = [];
    const saved: (string | null)[] = [];
    core = createConsoleCore({
      serverUrl: server.url,
      emit: (event, payload) => events.push({ event, payload } as Seen),
      tokenStore: { load: () => 'a-token', save: (t) => saved.push(t) },
    });
    await core.handlers['auth:status']({});
    await vi.waitFor(() => expect(onlineCount()).toBeGreaterThan(0));

    for (const s of server.sockets) s.send(JSON.stringify({ type: 'error', code: 'ERR_NOT_AUTHENTICATED', message: 'Your sign-in has ended: sign in again.' }));
    await vi.waitFor(() => expect(states().at(-1)).toBe('signed-out'));
    expect(saved).toEqual([null]);
    expect(events).toContainEqual({ event: 'error:raised', payload: { code: 'ERR_NOT_AUTHENTICATED', message: 'Your sign-in has ended: sign in again.' } });
  });
});
