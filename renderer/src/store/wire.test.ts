import { describe, expect, it, vi } from 'vitest';
import type { JumpClientSummary } from '../../../shared/jump.js';
import type { Technician } from '../../../shared/protocol.js';
import type { LinkState } from '../bridge/ws-bridge.js';
import { chatMessage, FakeApi, queueItem, sessionState, technician } from '../test/fixtures.js';
import { LINK_GONE } from './deep-link.js';
import { createAppStore } from './index.js';
import { initialJump } from './jump.js';
import { wireStore } from './wire.js';

function setup(restored: Technician | null = technician) {
  const api = new FakeApi();
  api.handlers['auth:status'] = () => ({ technician: restored });
  const store = createAppStore();
  let setLink: (s: LinkState) => void = () => {};
  const dispose = wireStore(api, store, {
    onLinkChanged: (l) => {
      setLink = l;
      l('connecting');
      return () => {
        setLink = () => {};
      };
    },
    log: { warn: vi.fn() },
  });
  return { api, store, dispose, setLink: (s: LinkState) => setLink(s) };
}

async function signedInSetup() {
  const wired = setup();
  wired.setLink('open');
  await vi.waitFor(() => expect(wired.store.getState().phase).toBe('signed-in'));
  return wired;
}

const jumpClient = (id: number): JumpClientSummary => ({
  id, groupId: 1, name: `host-${id}`, hostname: `host-${id}.lan`, user: 'dana', os: 'Debian GNU/Linux 12', mode: 'active', elevated: false, online: true, lastSeenAt: null,
});

describe('wireStore', () => {
  it('restores the signed-in technician each time the link opens', async () => {
    const { api, store, setLink } = setup();
    expect(api.calls).toHaveLength(0);
    setLink('open');
    await vi.waitFor(() => expect(store.getState().phase).toBe('signed-in'));
    setLink('closed');
    setLink('open');
    expect(api.calls.filter((c) => c.channel === 'auth:status')).toHaveLength(2);
    expect(store.getState().link).toBe('open');
  });

  it('lands every core event in the store', () => {
    const { api, store } = setup();
    api.emit('connection:changed', { state: 'online' });
    api.emit('queue:changed', { items: [queueItem()] });
    api.emit('session:changed', { state: sessionState() });
    api.emit('chat:history-loaded', { requestId: 'r1', messages: [chatMessage(1)] });
    api.emit('chat:received', { message: chatMessage(2) });
    api.emit('error:raised', { code: 'ERR_INTERNAL', message: 'Something broke.' });
    api.emit('script:started', { requestId: 'r1', runId: 4, name: 'Flush DNS' });
    api.emit('script:output-received', { requestId: 'r1', runId: 4, chunk: 'done\n' });
    api.emit('script:exited', { requestId: 'r1', runId: 4, code: 0 });
    const s = store.getState();
    expect(s.connection).toBe('online');
    expect(s.queue).toHaveLength(1);
    expect(s.session?.requestId).toBe('r1');
    expect(s.chat['r1']?.map((m) => m.id)).toEqual([1, 2]);
    expect(s.notice?.message).toBe('Something broke.');
    expect(s.scriptRuns).toEqual([{ requestId: 'r1', runId: 4, name: 'Flush DNS', output: 'done\n', dropped: 0, exit: { code: 0, error: null } }]);
  });

  it('its disposer unsubscribes everything and can be called twice', () => {
    const { api, store, dispose } = setup();
    dispose();
    dispose();
    expect(api.listenerCount()).toBe(0);
    api.emit('queue:changed', { items: [queueItem()] });
    expect(store.getState().queue).toHaveLength(0);
  });

  it('a session link from a cold start waits through sign-in and the first queue snapshot, then selects the request in the queue', async () => {
    const { api, store, setLink } = setup(null);
    api.emit('deep-link:opened', { target: 'session', id: 'r7' });
    setLink('open');
    await vi.waitFor(() => expect(store.getState().phase).toBe('signed-out'));
    store.getState().signedIn(technician);
    store.getState().homeChanged('jump');
    expect(store.getState()).toMatchObject({ notice: null, selected: null, pendingLink: { target: 'session', id: 'r7' } });
    api.emit('queue:changed', { items: [queueItem({ requestId: 'r6' }), queueItem({ requestId: 'r7' })] });
    expect(store.getState()).toMatchObject({ notice: null, selected: 'r7', home: 'queue', pendingLink: null });
  });

  it('says a linked request is gone only once the queue has loaded without it', async () => {
    const { api, store } = await signedInSetup();
    api.emit('deep-link:opened', { target: 'session', id: 'gone' });
    expect(store.getState().notice).toBeNull();
    api.emit('queue:changed', { items: [queueItem()] });
    expect(store.getState().notice?.message).toBe(LINK_GONE.session);
    expect(store.getState()).toMatchObject({ selected: null, pendingLink: null });
  });

  it('a link to the session on screen keeps it on screen', async () => {
    const { api, store } = await signedInSetup();
    api.emit('queue:changed', { items: [queueItem({ status: 'active' })] });
    api.emit('session:changed', { state: sessionState() });
    api.emit('deep-link:opened', { target: 'session', id: 'r1' });
    expect(store.getState()).toMatchObject({ notice: null, selected: null, pendingLink: null });
    expect(store.getState().session?.requestId).toBe('r1');
  });

  it('a jump link opens the jump list and, once it has loaded, highlights that client with no filter hiding it', async () => {
    const { api, store } = await signedInSetup();
    store.getState().jumpFilterChanged({ search: 'kiosk', status: 'offline' });
    api.emit('deep-link:opened', { target: 'jump', id: '7' });
    expect(store.getState()).toMatchObject({ home: 'jump', jumpSelected: null, pendingLink: { target: 'jump', id: '7' } });
    api.emit('jump:changed', { groups: [{ id: 1, name: 'Servers', mayStart: true }], clients: [jumpClient(3), jumpClient(7)] });
    expect(store.getState()).toMatchObject({ jumpSelected: 7, jumpFilter: initialJump.jumpFilter, pendingLink: null, notice: null });
  });

  it('a jump link whose list never loads opens the jump view once: going back to the queue gives it up', async () => {
    const { api, store } = await signedInSetup();
    api.emit('deep-link:opened', { target: 'jump', id: '7' });
    expect(store.getState().home).toBe('jump');
    // jump:list failed (offline, say): the technician goes back to his queue and stays there.
    store.getState().homeChanged('queue');
    api.emit('queue:changed', { items: [] });
    expect(store.getState()).toMatchObject({ home: 'queue', pendingLink: null });
  });

  it('a jump link to a client this technician may not see says so once the list has loaded', async () => {
    const { api, store } = await signedInSetup();
    api.emit('jump:changed', { groups: [{ id: 1, name: 'Servers', mayStart: true }], clients: [jumpClient(3)] });
    api.emit('deep-link:opened', { target: 'jump', id: '9' });
    expect(store.getState()).toMatchObject({ home: 'jump', jumpSelected: null, pendingLink: null });
    expect(store.getState().notice?.message).toBe(LINK_GONE.jump);
  });
});
