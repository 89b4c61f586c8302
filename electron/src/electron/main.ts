/**
 * Electron main process: windows, IPC and desktop integration only.
 * Everything the console does lives in the console core; every security
 * setting lives in security.ts; every decision worth testing in desktop.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, net, Notification, protocol, safeStorage, screen, session, shell, Tray,
} from 'electron';
import electronUpdater from 'electron-updater';
import type { EmitEvent } from '../../../shared/console-contract.js';
import type { QueueItem } from '../../../shared/protocol.js';
import { createConsoleCore } from '../core/console-core.js';
import { DEEP_LINK_SCHEME, deepLinkFromArgv, isOpenableExternally, newlyWaiting, parseDeepLink, restoreBounds, trayLabel, type DeepLink } from './desktop.js';
import { registerIpcHandlers } from './ipc.js';
import { APP_ORIGIN, APP_SCHEME, CSP, isPermissionAllowed, originOf, secureWebPreferences } from './security.js';
import { createSafeTokenStore } from './token-store.js';

const appDir = app.getAppPath();
const rendererDir = path.join(appDir, 'dist/renderer');
const serverUrl = process.env.LIFELINE_SERVER ?? 'http://127.0.0.1:8080';
const stateFile = () => path.join(app.getPath('userData'), 'window-state.json');

// Every renderer runs in Chromium's OS sandbox, including any we forget to configure.
app.enableSandbox();
// The renderer is served from a privileged custom scheme, never file://, so it has a real origin for CSP and checks.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

let win: BrowserWindow | null = null;
let tray: Tray | null = null;
let pendingLink: DeepLink | null = deepLinkFromArgv(process.argv);
let emitToRenderer: EmitEvent | null = null;

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME);
  app.on('second-instance', (_e, argv) => {
    showWindow();
    openLink(deepLinkFromArgv(argv));
  });
  // macOS delivers lifeline:// links here.
  app.on('open-url', (e, url) => {
    e.preventDefault();
    openLink(parseDeepLink(url));
  });
  app.on('web-contents-created', (_e, contents) => hardenContents(contents));
  app.on('window-all-closed', () => app.quit());
  void app.whenReady().then(start);
}

function start(): void {
  protocol.handle(APP_SCHEME, serveRenderer);
  session.defaultSession.setPermissionRequestHandler((wc, permission, callback) => callback(isPermissionAllowed(permission, wc.getURL())));
  session.defaultSession.setPermissionCheckHandler((_wc, permission, origin) => isPermissionAllowed(permission, origin));
  createWindow();
  createTray();
  if (app.isPackaged) {
    // Updates come from the customer's own server (generic provider, set at packaging time).
    void electronUpdater.autoUpdater.checkForUpdatesAndNotify().catch(() => undefined);
  }
}

function createWindow(): void {
  const saved = readJson(stateFile());
  const bounds = restoreBounds(saved, screen.getAllDisplays().map((d) => d.workArea));
  win = new BrowserWindow({ ...bounds, title: 'Lifeline Console', show: false, webPreferences: secureWebPreferences(path.join(appDir, 'dist/electron/preload.cjs')) });
  const w = win;
  let waiting = new Set<string>();
  const forward: EmitEvent = (event, payload) => {
    if (event === 'queue:changed') {
      const items = (payload as { items: QueueItem[] }).items;
      notifyNew(newlyWaiting(waiting, items));
      waiting = new Set(items.filter((i) => i.status === 'waiting').map((i) => i.requestId));
      tray?.setToolTip(trayLabel(items));
      if (process.platform === 'darwin') tray?.setTitle(waiting.size ? String(waiting.size) : '');
      app.setBadgeCount(waiting.size);
    }
    if (!w.isDestroyed()) w.webContents.send(event, payload);
  };
  emitToRenderer = forward;
  const core = createConsoleCore({ serverUrl, emit: forward, tokenStore: createSafeTokenStore(safeStorage, path.join(app.getPath('userData'), 'session.bin')) });
  const disposeIpc = registerIpcHandlers(ipcMain, core.handlers, APP_ORIGIN);

  const saveBounds = () => {
    if (!w.isDestroyed() && !w.isMinimized() && !w.isFullScreen()) fs.writeFileSync(stateFile(), JSON.stringify(w.getBounds()));
  };
  w.on('close', saveBounds);
  w.on('closed', () => {
    disposeIpc();
    core.dispose();
    emitToRenderer = null;
    win = null;
  });
  w.once('ready-to-show', () => w.show());
  w.webContents.on('did-finish-load', () => openLink(pendingLink));
  void w.loadURL(`${APP_ORIGIN}/index.html`);
}

function createTray(): void {
  const icon = nativeImage.createFromPath(path.join(appDir, 'build/icons/tray.png'));
  tray = new Tray(icon);
  tray.setToolTip(trayLabel([]));
  tray.setContextMenu(Menu.buildFromTemplate([
    { label: 'Show Lifeline Console', click: showWindow },
    { type: 'separator' },
    { label: 'Quit', click: () => app.quit() },
  ]));
  tray.on('click', showWindow);
}

function notifyNew(items: QueueItem[]): void {
  if (!Notification.isSupported()) return;
  for (const item of items) {
    const n = new Notification({ title: 'New support request', body: `${item.customerName} is waiting in your queue.` });
    n.on('click', showWindow);
    n.show();
  }
}

function openLink(link: DeepLink | null): void {
  if (!link) return;
  if (!emitToRenderer || !win || win.webContents.isLoading()) {
    pendingLink = link;
    return;
  }
  pendingLink = null;
  showWindow();
  emitToRenderer('deep-link:opened', link);
}

function showWindow(): void {
  if (!win) return createWindow();
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}

/** Deny by default: no navigation away from the app, no new windows, no webviews. */
function hardenContents(contents: Electron.WebContents): void {
  const stayInApp = (e: Electron.Event, url: string) => {
    if (originOf(url) !== APP_ORIGIN) e.preventDefault();
  };
  contents.on('will-navigate', stayInApp);
  contents.on('will-redirect', stayInApp);
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isOpenableExternally(url)) void confirmExternal(url);
    return { action: 'deny' };
  });
}

async function confirmExternal(url: string): Promise<void> {
  const options = {
    type: 'question' as const,
    buttons: ['Open in browser', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    message: 'Open this link in your web browser?',
    detail: `${url}\n\nLinks in chat come from the remote user. Open only what you trust.`,
  };
  const { response } = win ? await dialog.showMessageBox(win, options) : await dialog.showMessageBox(options);
  if (response === 0) await shell.openExternal(url);
}

async function serveRenderer(req: Request): Promise<Response> {
  const rel = decodeURIComponent(new URL(req.url).pathname);
  const file = path.resolve(rendererDir, `.${rel === '/' ? '/index.html' : rel}`);
  if (!file.startsWith(rendererDir + path.sep)) return new Response('Not found', { status: 404 });
  const res = await net.fetch(pathToFileURL(file).toString());
  const headers = new Headers(res.headers);
  headers.set('content-security-policy', CSP);
  headers.set('x-content-type-options', 'nosniff');
  return new Response(res.body, { status: res.status, headers });
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}
