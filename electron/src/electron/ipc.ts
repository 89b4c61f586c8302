/**
 * Generic IPC wiring between the console contract and Electron. Nothing here
 * is written per channel: handlers and the preload API are generated from
 * CONSOLE_REQUESTS / CONSOLE_EVENTS. Takes Electron's objects as parameters
 * (structurally typed) so it is unit-tested without the Electron binary.
 */
import {
  CONSOLE_EVENTS, CONSOLE_REQUESTS, dispatchRequest, isEventName, isRequestChannel,
  type ConsoleApi, type ConsoleHandlers, type DispatchResult, type Disposer, type EmitEvent, type EventName,
} from '../../../shared/console-contract.js';
import { LifelineError, type WireError } from '../../../shared/errors.js';
import { originOf } from './security.js';

export interface SenderFrame {
  url: string;
}
export interface InvokeEvent {
  senderFrame: SenderFrame | null;
  sender: { mainFrame: SenderFrame };
}
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEvent, payload: unknown) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}
export interface ContextBridgeLike {
  exposeInMainWorld(apiKey: string, api: unknown): void;
}
/** A window the core's events go to. */
export interface RendererWindowLike {
  isDestroyed(): boolean;
  webContents: { isDestroyed(): boolean; send(channel: string, payload: unknown): void };
}
export interface IpcRendererLike {
  invoke(channel: string, payload: unknown): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: unknown) => void): void;
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): void;
}

/** Only the top frame of a page served from the app's own origin may call the core. */
export function isTrustedSender(event: InvokeEvent, appOrigin: string): boolean {
  const frame = event.senderFrame;
  if (!frame || frame !== event.sender.mainFrame) return false;
  return originOf(frame.url) === appOrigin;
}

/** Registers one ipcMain handler per contract channel. Returns a disposer. */
export function registerIpcHandlers(ipcMain: IpcMainLike, handlers: ConsoleHandlers, appOrigin: string): Disposer {
  const channels = Object.keys(CONSOLE_REQUESTS);
  for (const channel of channels) {
    ipcMain.handle(channel, async (event, payload): Promise<DispatchResult> => {
      if (!isTrustedSender(event, appOrigin)) {
        return { ok: false, error: { code: 'ERR_PERMISSION', message: 'This page may not use the console.' } };
      }
      return dispatchRequest(handlers, channel, payload);
    });
  }
  let disposed = false;
  return () => {
    if (disposed) return;
    disposed = true;
    for (const channel of channels) ipcMain.removeHandler(channel);
  };
}

/**
 * The core's events, sent to each console window that is still open. The
 * core outlives its windows (the console keeps running in the tray), so a
 * window closed meanwhile is skipped, not an error.
 */
export function createEventForwarder(windows: () => Iterable<RendererWindowLike>): EmitEvent {
  return (event, payload) => {
    for (const w of windows()) {
      if (!w.isDestroyed() && !w.webContents.isDestroyed()) w.webContents.send(event, payload);
    }
  };
}

/**
 * contextBridge copies only an Error's message into the page's world, so
 * rejections are plain `{ code, message }` objects the renderer turns back
 * into typed errors.
 */
function rejectWith(error: WireError): Promise<never> {
  return Promise.reject({ code: error.code, message: error.message });
}

/** The ConsoleApi the preload exposes to the renderer as `window.lifeline`. */
export function createPreloadApi(ipcRenderer: IpcRendererLike): ConsoleApi {
  return {
    async invoke(channel, payload) {
      if (!isRequestChannel(channel)) return rejectWith({ code: 'ERR_UNKNOWN_TYPE', message: `Unknown console channel "${String(channel)}".` });
      const result = (await ipcRenderer.invoke(channel, payload)) as DispatchResult;
      if (!result.ok) return rejectWith(result.error);
      return result.value as never;
    },
    on(event, listener) {
      if (!isEventName(event)) throw new LifelineError('ERR_UNKNOWN_TYPE', `Unknown console event "${String(event)}".`);
      const schema = CONSOLE_EVENTS[event as EventName];
      const wrapped = (_e: unknown, payload: unknown) => {
        const parsed = schema.safeParse(payload);
        if (parsed.success) listener(parsed.data as never);
      };
      ipcRenderer.on(event, wrapped);
      let disposed = false;
      return () => {
        if (disposed) return;
        disposed = true;
        ipcRenderer.removeListener(event, wrapped);
      };
    },
  };
}

/** All the preload does: the console contract as `window.lifeline`, and nothing else. */
export function exposeConsoleApi(contextBridge: ContextBridgeLike, ipcRenderer: IpcRendererLike): void {
  contextBridge.exposeInMainWorld('lifeline', createPreloadApi(ipcRenderer));
}
