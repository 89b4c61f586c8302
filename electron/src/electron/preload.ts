/**
 * Preload (sandboxed, context-isolated): exposes the console contract as
 * `window.lifeline` and nothing else. Bundled with its imports at build time,
 * since a sandboxed preload cannot require project files.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { createPreloadApi } from './ipc.js';

contextBridge.exposeInMainWorld('lifeline', createPreloadApi(ipcRenderer));
