/**
 * Electron main process: windows, the tray and notifications only.
 * Everything the console does lives in the console core; every security
 * setting lives in security.ts; the IPC wiring in ipc.ts; every desktop
 * decision worth testing in desktop.ts; update checks in updates.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, net, Notification, protocol, safeStorage, screen, session, shell, Tray,
} from 'electron';
import electronUpdater from 'electron-updater';
import type { EmitEvent, EventOf } from '../../../shared/console-contract.js';
import type { QueueItem } from '../../../shared/protocol.js';
import { createConsoleCore, type ConsoleCore } from '../core/console-core.js';
import {
  createLinkDelivery, createQueueWatch, DEEP_LINK_SCHEME, deepLinkFromArgv, devProtocolClient, parseDeepLink, restoreBounds, trayMenu, trayTooltip, waitingCount,
} from './desktop.js';
import { createEventForwarder, registerIpcHandlers } from './ipc.js';
import { APP_ENTRY_URL, APP_ORIGIN, applySecurityDefaults, secureWebPreferences } from './security.js';
import { createSafeTokenStore } from './token-store.js';
import { scheduleUpdateChecks } from './updates.js';

const appDir = app.getAppPath();
const serverUrl = process.env.LIFELINE_SERVER ?? 'http://127.0.0.1:8080';
const stateFile = () => path.join(app.getPath('userData'), 'window-state.json');
const log = (line: string) => process.stderr.write(`${new Date().toISOString()} lifeline-console: ${line}\n`);

let win: BrowserWindow | null = null;
let tray: Tray | null = null;
let core: ConsoleCore | null = null;
let shownCount: number | null = null;
let stopUpdates: (() => void) | null = null;
const forward = createEventForwarder(() => (win ? [win] : []));
const links = createLinkDelivery((link) => {
  showWindow();
  forward('deep-link:opened', link);
});
const queueWatch = createQueueWatch();

const secured = applySecurityDefaults({
  app, protocol, session,
  confirmExternal: (url) => void confirmExternal(url),
  rendererDir: path.join(appDir, 'dist/renderer'),
  fetchFile: (url) => net.fetch(url),
});

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  links.push(deepLinkFromArgv(process.argv));
  const dev = devProtocolClient(process);
  if (dev) app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME, dev.execPath, dev.args);
  else app.setAsDefaultProtocolClient(DEEP_LINK_SCHEME);
  // Windows and Linux start a second instance with the link among its arguments.
  app.on('second-instance', (_e, argv) => {
    showWindow();
    links.push(deepLinkFromArgv(argv));
  });
  // macOS delivers lifeline:// links here, possibly before the app is ready.
  app.on('open-url', (e, url) => {
    e.preventDefault();
    showWindow();
    links.push(parseDeepLink(url));
  });
  app.on('activate', showWindow);
  // With its window closed the console lives on in the tray, still counting and announcing requests, until Quit.
  app.on('window-all-closed', () => {
    if (!tray) app.quit();
  });
  app.on('will-quit', () => {
    stopUpdates?.();
    core?.dispose();
  });
  void secured.then(start);
}

function start(): void {
  // One core for the app's lifetime: the window may close and come back, the sign-in and the queue stay.
  core = createConsoleCore({ serverUrl, emit, log, tokenStore: createSafeTokenStore(safeStorage, path.join(app.getPath('userData'), 'session.bin')) });
  registerIpcHandlers(ipcMain, core.handlers, APP_ORIGIN);
  createTray();
  createWindow();
  // Updates come from the customer's own server (generic provider, set at packaging time).
  if (app.isPackaged) stopUpdates = scheduleUpdateChecks(electronUpdater.autoUpdater, log);
}

/** Every core event goes to the window; the queue also drives the tray and notifications. */
const emit: EmitEvent = (event, payload) => {
  if (event === 'queue:changed') {
    const { items } = payload as EventOf<'queue:changed'>;
    notifyNew(queueWatch.changed(items));
    showCount(waitingCount(items));
  }
  if (event === 'connection:changed' && (payload as EventOf<'connection:changed'>).state === 'signed-out') {
    queueWatch.signedOut();
    showCount(0);
  }
  forward(event, payload);
};

function createWindow(): void {
  const bounds = restoreBounds(readJson(stateFile()), screen.getAllDisplays().map((d) => d.workArea));
  const w = new BrowserWindow({ ...bounds, title: 'Lifeline Console', show: false, webPreferences: secureWebPreferences(path.join(appDir, 'dist/electron/preload.cjs')) });
  win = w;
  w.on('close', () => {
    if (!w.isMinimized() && !w.isFullScreen()) fs.writeFileSync(stateFile(), JSON.stringify(w.getBounds()));
  });
  w.on('closed', () => {
    win = null;
    links.rendererGone();
  });
  w.once('ready-to-show', () => w.show());
  // The renderer subscribes to events while its scripts run, so a finished load means it listens.
  w.webContents.on('did-start-loading', () => links.rendererGone());
  w.webContents.on('did-finish-load', () => links.rendererReady());
  void w.loadURL(APP_ENTRY_URL);
}

function createTray(): void {
  tray = new Tray(nativeImage.createFromPath(path.join(appDir, 'build/icons/tray.png')));
  tray.on('click', showWindow);
  showCount(0);
}

function showCount(waiting: number): void {
  if (!tray || waiting === shownCount) return;
  shownCount = waiting;
  tray.setToolTip(trayTooltip(waiting));
  // Linux reads a tray menu only when it is set, so a changed count means a new menu.
  tray.setContextMenu(Menu.buildFromTemplate(trayMenu(waiting, { open: showWindow, quit: () => app.quit() })));
  if (process.platform === 'darwin') tray.setTitle(waiting ? String(waiting) : '');
  app.setBadgeCount(waiting);
}

/** Shown notifications, kept referenced: one collected by the garbage collector loses its click handler. */
const shownNotifications = new Set<Notification>();

function notifyNew(items: QueueItem[]): void {
  if (!Notification.isSupported()) return;
  for (const item of items) {
    const n = new Notification({ title: 'New support request', body: `${item.customerName} is waiting in your queue.` });
    const forget = () => shownNotifications.delete(n);
    n.on('click', () => {
      forget();
      showWindow();
    });
    n.on('close', forget);
    shownNotifications.add(n);
    n.show();
  }
}

function showWindow(): void {
  // Links and second instances may come before the app is ready; start() opens the window then.
  if (!core) return;
  if (!win) return createWindow();
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
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

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}
