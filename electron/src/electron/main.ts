/**
 * Electron main process: windows and IPC only. Everything the console does
 * lives in the console core; this file wires it to a sandboxed window.
 */
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { app, BrowserWindow, ipcMain, net, protocol, session, shell } from 'electron';
import { createConsoleCore } from '../core/console-core.js';
import { registerIpcHandlers } from './ipc.js';
import { APP_ORIGIN, APP_SCHEME, CSP, originOf, secureWebPreferences } from './security.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const rendererDir = path.resolve(here, '../../../dist/renderer');
const serverUrl = process.env.LIFELINE_SERVER ?? 'http://127.0.0.1:8080';

// Every renderer runs in Chromium's OS sandbox, including any we forget to configure.
app.enableSandbox();
// The renderer is served from a privileged custom scheme, never file://.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

if (!app.requestSingleInstanceLock()) app.quit();

function createWindow(): void {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    title: 'Lifeline Console',
    webPreferences: secureWebPreferences(path.join(here, 'preload.js')),
  });
  const core = createConsoleCore({ serverUrl, emit: (event, payload) => win.webContents.send(event, payload) });
  const disposeIpc = registerIpcHandlers(ipcMain, core.handlers, APP_ORIGIN);
  win.on('closed', () => {
    disposeIpc();
    core.dispose();
  });
  void win.loadURL(`${APP_ORIGIN}/index.html`);
}

app.on('second-instance', () => BrowserWindow.getAllWindows()[0]?.focus());

app.on('web-contents-created', (_e, contents) => {
  // Deny by default: no navigation away from the app, no new windows, no webviews.
  contents.on('will-navigate', (e, url) => {
    if (originOf(url) !== APP_ORIGIN) e.preventDefault();
  });
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    // Links arrive from untrusted remote users in chat: only https, and only after the technician confirms (renderer side).
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
});

void app.whenReady().then(() => {
  protocol.handle(APP_SCHEME, async (req) => {
    const rel = decodeURIComponent(new URL(req.url).pathname);
    const file = path.resolve(rendererDir, `.${rel}`);
    if (!file.startsWith(rendererDir + path.sep)) return new Response('Not found', { status: 404 });
    const res = await net.fetch(pathToFileURL(file).toString());
    const headers = new Headers(res.headers);
    headers.set('content-security-policy', CSP);
    return new Response(res.body, { status: res.status, headers });
  });
  // WebRTC needs no camera or microphone; every permission is refused.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  createWindow();
});

app.on('window-all-closed', () => app.quit());
