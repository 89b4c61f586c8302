/**
 * Preload (sandboxed, context-isolated): exposes the console contract as
 * `window.lifeline` and nothing else. Bundled with its imports at build time
 * (scripts/build-electron.mjs), since a sandboxed preload cannot require project files.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { z } from 'zod';
import { exposeConsoleApi } from './ipc.js';

// zod compiles validators with `new Function` unless told not to; the page's CSP allows no eval.
z.config({ jitless: true });
exposeConsoleApi(contextBridge, ipcRenderer);
