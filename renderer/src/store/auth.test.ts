import { describe, expect, it } from 'vitest';
import { chatMessage, queueItem, sessionState, technician } from '../test/fixtures.js';
import { connectionChanged, initialAuth, linkChanged, signedIn } from './auth.js';
import { createAppStore, signedOut } from './index.js';

describe('auth slice', () => {
  it('starts out restoring, before the core has said who is signed in', () => {
    expect(initialAuth.phase).toBe('restoring');
    expect(initialAuth.technician).toBeNull();
  });

  it('signing in records the technician', () => {
    const s = signedIn(initialAuth, technician);
    expect(s.phase).toBe('signed-in');
    expect(s.technician).toEqual(technician);
  });

  it('records the server connection and the link state without touching who is signed in', () => {
    const s = linkChanged(connectionChanged(signedIn(initialAuth, technician), 'offline'), 'closed');
    expect(s).toMatchObject({ phase: 'signed-in', connection: 'offline', link: 'closed' });
  });

  it('signing out forgets the queue, the session, the chat and any notice', () => {
    const store = createAppStore();
    const a = store.getState();
    a.signedIn(technician);
    a.queueChanged([queueItem()]);
    a.sessionChanged(sessionState());
    a.messageReceived(chatMessage(1));
    a.noticeRaised('ERR_INTERNAL', 'Oops.');
    const out = signedOut(store.getState());
    expect(out).toMatchObject({ phase: 'signed-out', technician: null, queue: [], session: null, chat: {}, notice: null });
  });

  it('a connection:changed to signed-out signs the console out', () => {
    const store = createAppStore();
    store.getState().signedIn(technician);
    store.getState().queueChanged([queueItem()]);
    store.getState().connectionChanged('signed-out');
    expect(store.getState()).toMatchObject({ phase: 'signed-out', technician: null, queue: [], connection: 'signed-out' });
  });

  it('auth:status with nobody signed in ends the restoring phase at the login', () => {
    const store = createAppStore();
    store.getState().authRestored(null);
    expect(store.getState().phase).toBe('signed-out');
    store.getState().authRestored(technician);
    expect(store.getState().phase).toBe('signed-in');
  });
});
