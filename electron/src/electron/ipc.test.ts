import { describe, expect, it } from 'vitest';
import { CONSOLE_REQUESTS, type ConsoleHandlers } from '../../../shared/console-contract.js';
import { createPreloadApi, registerIpcHandlers, type InvokeEvent, type IpcMainLike, type IpcRendererLike } from './ipc.js';

const ORIGIN = 'lifeline-app://console';

/** A stand-in for Electron's ipcMain/ipcRenderer pair: routes invoke() to handle()d listeners. */
function fakeIpc(frameUrl = `${ORIGIN}/index.html`, mainFrame = true) {
  const handlers = new Map<string, (e: InvokeEvent, p: unknown) => Promise<unknown>>();
  const listeners = new Map<string, Set<(e: unknown, p: unknown) => void>>();
  const frame = { url: frameUrl };
  const event: InvokeEvent = { senderFrame: frame, sender: { mainFrame: mainFrame ? frame : { url: frameUrl } } };
  const ipcMain: IpcMainLike = {
    handle: (c, l) => void handlers.set(c, l),
    removeHandler: (c) => void handlers.delete(c),
  };
  const ipcRenderer: IpcRendererLike = {
    invoke: async (c, p) => {
      const h = handlers.get(c);
      if (!h) throw new Error(`No handler registered for '${c}'`);
      return h(event, p);
    },
    on: (c, l) => void (listeners.get(c) ?? listeners.set(c, new Set()).get(c)!).add(l),
    removeListener: (c, l) => void listeners.get(c)?.delete(l),
  };
  const send = (c: string, p: unknown) => listeners.get(c)?.forEach((l) => l({}, p));
  return { ipcMain, ipcRenderer, handlers, send };
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
    const api = createPreloadApi(ipc.ipcRenderer);
    await expect(api.invoke('auth:status', {})).resolves.toEqual({ technician });
  });

  it('refuses a channel that is not in the contract', async () => {
    const ipc = fakeIpc();
    registerIpcHandlers(ipc.ipcMain, handlers, ORIGIN);
    const api = createPreloadApi(ipc.ipcRenderer);
    await expect(api.invoke('fs:read' as never, {} as never)).rejects.toMatchObject({ code: 'ERR_UNKNOWN_TYPE' });
    // Even a renderer that bypasses the preload finds no handler for it.
    await expect(ipc.ipcRenderer.invoke('fs:read', {})).rejects.toThrow(/No handler/);
  });

  it('refuses a bad payload with a typed error before it reaches the core', async () => {
    const ipc = fakeIpc();
    let called = false;
    registerIpcHandlers(ipc.ipcMain, { ...handlers, 'queue:accept': async () => { called = true; return {}; } } as ConsoleHandlers, ORIGIN);
    const api = createPreloadApi(ipc.ipcRenderer);
    await expect(api.invoke('queue:accept', { requestId: 42 } as never)).rejects.toMatchObject({ code: 'ERR_BAD_MESSAGE' });
    expect(called).toBe(false);
  });

  it('refuses messages from another origin or from a subframe', async () => {
    for (const ipc of [fakeIpc('https://evil.example/index.html'), fakeIpc(`${ORIGIN}/index.html`, false)]) {
      registerIpcHandlers(ipc.ipcMain, handlers, ORIGIN);
      const api = createPreloadApi(ipc.ipcRenderer);
      await expect(api.invoke('auth:status', {})).rejects.toMatchObject({ code: 'ERR_PERMISSION' });
    }
  });

  it('forwards contract events to renderer listeners, drops malformed ones, and disposes idempotently', () => {
    const ipc = fakeIpc();
    const api = createPreloadApi(ipc.ipcRenderer);
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
});
