import { describe, expect, it } from 'vitest';
import { CONSOLE_REQUESTS, type ConsoleApi, type ConsoleHandlers, type RequestChannel } from '../../../shared/console-contract.js';
import {
  createEventForwarder, exposeConsoleApi, registerIpcHandlers, type ContextBridgeLike, type InvokeEvent, type IpcMainLike, type IpcRendererLike,
  type RendererWindowLike,
} from './ipc.js';

const ORIGIN = 'lifeline-app://console';

/**
 * A stand-in for Electron's ipcMain/ipcRenderer/contextBridge trio: invoke()
 * reaches the handle()d listener with the sending frame, and the preload runs
 * exposeConsoleApi, so `api` is what the page gets as window.lifeline.
 */
function fakeIpc(frameUrl = `${ORIGIN}/index.html`, frameKind: 'main' | 'sub' | 'gone' = 'main') {
  const handlers = new Map<string, (e: InvokeEvent, p: unknown) => Promise<unknown>>();
  const listeners = new Map<string, Set<(e: unknown, p: unknown) => void>>();
  const invoked: string[] = [];
  const frame = { url: frameUrl };
  const event: InvokeEvent = { senderFrame: frameKind === 'gone' ? null : frame, sender: { mainFrame: frameKind === 'main' ? frame : { url: frameUrl } } };
  const ipcMain: IpcMainLike = {
    handle: (c, l) => void handlers.set(c, l),
    removeHandler: (c) => void handlers.delete(c),
  };
  const ipcRenderer: IpcRendererLike = {
    invoke: async (c, p) => {
      invoked.push(c);
      const h = handlers.get(c);
      if (!h) throw new Error(`No handler registered for '${c}'`);
      return h(event, p);
    },
    on: (c, l) => void (listeners.get(c) ?? listeners.set(c, new Set()).get(c)!).add(l),
    removeListener: (c, l) => void listeners.get(c)?.delete(l),
  };
  const send = (c: string, p: unknown) => listeners.get(c)?.forEach((l) => l({}, p));
  const exposed = new Map<string, unknown>();
  const contextBridge: ContextBridgeLike = { exposeInMainWorld: (key, value) => void exposed.set(key, value) };
  exposeConsoleApi(contextBridge, ipcRenderer);
  const api = exposed.get('lifeline') as ConsoleApi;
  return { ipcMain, ipcRenderer, handlers, send, exposed, api, invoked, listeners };
}

const technician = { id: 1, username: 'ann', displayName: 'Ann', role: 'technician' as const };
const handlers = {
  'auth:status': async () => ({ technician }),
  'queue:accept': async ({ requestId }: { requestId: string }) => {
    if (requestId === 'taken') throw new Error('should not matter');
    return {};
  },
} as unknown as ConsoleHandlers;

describe('Electron IPC wiring generated from the console contract', () => {
  it('registers exactly one handler per contract channel and removes them on dispose', () => {
    const ipc = fakeIpc();
    const dispose = registerIpcHandlers(ipc.ipcMain, handlers, ORIGIN);
    expect([...ipc.handlers.keys()].sort()).toEqual(Object.keys(CONSOLE_REQUESTS).sort());
    dispose();
    dispose();
    expect(ipc.handlers.size).toBe(0);
  });

  it('passes a valid request through to the core and returns its answer', async () => {
    const ipc = fakeIpc();
    registerIpcHandlers(ipc.ipcMain, handlers, ORIGIN);
    const { api } = ipc;
    await expect(api.invoke('auth:status', {})).resolves.toEqual({ technician });
  });

  it('refuses a channel that is not in the contract', async () => {
    const ipc = fakeIpc();
    registerIpcHandlers(ipc.ipcMain, handlers, ORIGIN);
    const { api } = ipc;
    await expect(api.invoke('fs:read' as never, {} as never)).rejects.toMatchObject({ code: 'ERR_UNKNOWN_TYPE' });
    // Even a renderer that bypasses the preload finds no handler for it.
    await expect(ipc.ipcRenderer.invoke('fs:read', {})).rejects.toThrow(/No handler/);
  });

  it('refuses a bad payload with a typed error before it reaches the core', async () => {
    const ipc = fakeIpc();
    let called = false;
    registerIpcHandlers(ipc.ipcMain, { ...handlers, 'queue:accept': async () => { called = true; return {}; } } as ConsoleHandlers, ORIGIN);
    const { api } = ipc;
    await expect(api.invoke('queue:accept', { requestId: 42 } as never)).rejects.toMatchObject({ code: 'ERR_BAD_MESSAGE' });
    expect(called).toBe(false);
  });

  it('refuses messages from another origin, from a subframe, or from a frame already gone', async () => {
    for (const ipc of [fakeIpc('https://evil.example/index.html'), fakeIpc(`${ORIGIN}/index.html`, 'sub'), fakeIpc(`${ORIGIN}/index.html`, 'gone')]) {
      registerIpcHandlers(ipc.ipcMain, handlers, ORIGIN);
      const { api } = ipc;
      await expect(api.invoke('auth:status', {})).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    }
  });

  it('exposes window.lifeline alone, whose calls go through ipcRenderer.invoke on the contract\'s channels only', async () => {
    const ipc = fakeIpc();
    registerIpcHandlers(ipc.ipcMain, handlers, ORIGIN);
    expect([...ipc.exposed.keys()]).toEqual(['lifeline']);
    expect(Object.keys(ipc.api).sort()).toEqual(['invoke', 'on']);
    for (const channel of Object.keys(CONSOLE_REQUESTS) as RequestChannel[]) {
      // Each contract channel reaches its handler (here most answer with a bad-payload or not-implemented error, which is fine).
      await ipc.api.invoke(channel, {} as never).catch(() => undefined);
    }
    await ipc.api.invoke('shell:exec' as never, {} as never).catch(() => undefined);
    expect(ipc.invoked).toEqual(Object.keys(CONSOLE_REQUESTS));
  });

  it('forwards contract events to renderer listeners, drops malformed ones, and disposes idempotently', () => {
    const ipc = fakeIpc();
    const { api } = ipc;
    const got: unknown[] = [];
    const off = api.on('connection:changed', (p) => got.push(p));
    ipc.send('connection:changed', { state: 'online' });
    ipc.send('connection:changed', { state: 'nonsense' });
    off();
    off();
    ipc.send('connection:changed', { state: 'offline' });
    expect(got).toEqual([{ state: 'online' }]);
    expect(() => api.on('made:up' as never, () => undefined)).toThrow(/Unknown console event/);
  });

  it('sends the core\'s events only to windows that are still open', () => {
    const sent: string[] = [];
    const window = (name: string, destroyed = false, contentsDestroyed = false): RendererWindowLike => ({
      isDestroyed: () => destroyed,
      webContents: { isDestroyed: () => contentsDestroyed, send: (c, p) => void sent.push(`${name} ${c} ${JSON.stringify(p)}`) },
    });
    let windows: RendererWindowLike[] = [];
    const emit = createEventForwarder(() => windows);
    emit('connection:changed', { state: 'online' });
    expect(sent).toEqual([]);
    windows = [window('open'), window('closed', true), window('crashed', false, true)];
    emit('connection:changed', { state: 'offline' });
    expect(sent).toEqual(['open connection:changed {"state":"offline"}']);
  });
});
