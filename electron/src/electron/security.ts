/**
 * Every security setting of the Electron console, in one place. Electron's
 * objects come in as parameters (structurally typed), so each setting is
 * unit-tested with fakes, without the Electron binary.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const APP_SCHEME = 'lifeline-app';
export const APP_ORIGIN = `${APP_SCHEME}://console`;
/** What every console window loads: the app's own origin, never file://. */
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** The renderer's content security policy: nothing but its own files and the bridge. */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " +
  "connect-src 'self'; worker-src 'self' blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Permissions a console page may get; every other request is refused.
 * fullscreen: the remote screen's full-screen mode; keyboardLock: in full
 * screen, keys like Alt+Tab and Escape go to the remote machine, not the
 * technician's desktop. clipboard-sanitized-write: copying the remote user's
 * clipboard text to the technician's clipboard.
 * WebRTC data channels need no camera, microphone or screen permission, and
 * notifications come from the main process, so the page gets none of those.
 */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['fullscreen', 'keyboardLock', 'clipboard-sanitized-write']);

export function isPermissionAllowed(permission: string, requestingUrl: string): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && originOf(requestingUrl) === APP_ORIGIN;
}

/** The one function that builds the webPreferences of every console window. */
export function secureWebPreferences(preload: string) {
  return {
    preload,
    // The page and the preload get separate JS worlds: the page cannot touch the preload's ipcRenderer or patch its built-ins.
    contextIsolation: true,
    // The renderer shows hostile input (remote chat, file names): an injected script must not reach require() or process.
    nodeIntegration: false,
    // Chromium's OS sandbox: a compromised renderer cannot read files or start programs.
    sandbox: true,
    // Same-origin policy and CORS stay on, so a page cannot read other origins' responses.
    webSecurity: true,
    // A <webview> is a second, separately configured browser inside the page; the console needs none.
    webviewTag: false,
    // An https page may not load http scripts or styles that anyone on the network could alter.
    allowRunningInsecureContent: false,
    // The spellchecker would download dictionaries from Google's servers; the console talks only to its own server.
    spellcheck: false,
  } as const;
}

export interface PreventableEvent {
  preventDefault(): void;
}
export interface NavigationEvent extends PreventableEvent {
  url: string;
}
/** The parts of Electron's WebContents that hardenContents uses. */
export interface ContentsLike {
  on(event: 'will-navigate', listener: (e: NavigationEvent) => void): unknown;
  on(event: 'will-redirect', listener: (e: NavigationEvent) => void): unknown;
  on(event: 'will-attach-webview', listener: (e: PreventableEvent) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

/**
 * Deny by default: no navigation away from the app, no new windows, no
 * webviews. A link opened from the page (chat links) goes to `confirmExternal`
 * only when it is plain https; the technician decides there.
 */
export function hardenContents(contents: ContentsLike, confirmExternal: (url: string) => void): void {
  const stayInApp = (e: NavigationEvent) => {
    if (originOf(e.url) !== APP_ORIGIN) e.preventDefault();
  };
  contents.on('will-navigate', stayInApp);
  contents.on('will-redirect', stayInApp);
  contents.on('will-attach-webview', (e) => e.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    if (isOpenableExternally(url)) confirmExternal(url);
    return { action: 'deny' };
  });
}

/** Links from chat come from untrusted remote users: only https may leave the app, and only after the technician confirms. */
export function isOpenableExternally(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && u.username === '' && u.password === '';
  } catch {
    return false;
  }
}

/**
 * Serves the renderer's files as lifeline-app://console/..., each response
 * with the CSP; a path that leads out of `rendererDir` is not found.
 * `fetchFile` reads a file:// URL (Electron's net.fetch).
 */
export function rendererFiles(rendererDir: string, fetchFile: (fileUrl: string) => Promise<Response>): (req: Request) => Promise<Response> {
  const root = path.resolve(rendererDir);
  return async (req) => {
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url).pathname);
    } catch {
      return new Response('Not found', { status: 404 });
    }
    const file = path.resolve(root, `.${rel === '/' ? '/index.html' : rel}`);
    if (!file.startsWith(root + path.sep)) return new Response('Not found', { status: 404 });
    const res = await fetchFile(pathToFileURL(file).toString());
    const headers = new Headers(res.headers);
    headers.set('content-security-policy', CSP);
    // Each file is used only as the type it is served with, never as a type guessed from its bytes.
    headers.set('x-content-type-options', 'nosniff');
    return new Response(res.body, { status: res.status, headers });
  };
}

export interface PrivilegedScheme {
  scheme: string;
  privileges: { standard: boolean; secure: boolean; supportFetchAPI: boolean };
}
/** The parts of Electron's app, protocol and session modules that applySecurityDefaults uses. */
export interface AppLike {
  enableSandbox(): void;
  whenReady(): Promise<unknown>;
  on(event: 'web-contents-created', listener: (e: unknown, contents: ContentsLike) => void): unknown;
}
export interface ProtocolLike {
  registerSchemesAsPrivileged(schemes: PrivilegedScheme[]): void;
  handle(scheme: string, handler: (req: Request) => Promise<Response>): void;
}
export interface SessionLike {
  setPermissionRequestHandler(handler: (wc: unknown, permission: string, callback: (granted: boolean) => void, details: { requestingUrl?: string }) => void): void;
  setPermissionCheckHandler(handler: (wc: unknown, permission: string, requestingOrigin: string) => boolean): void;
}
export interface SecurityDeps {
  app: AppLike;
  protocol: ProtocolLike;
  session: { readonly defaultSession: SessionLike };
  rendererDir: string;
  fetchFile: (fileUrl: string) => Promise<Response>;
  confirmExternal: (url: string) => void;
}

/**
 * Applies every security default. Call it before the app is ready (the
 * sandbox and the scheme's privileges can be set only then); the returned
 * promise settles once the session is locked down, so create windows after it.
 */
export function applySecurityDefaults({ app, protocol, session, rendererDir, fetchFile, confirmExternal }: SecurityDeps): Promise<void> {
  // Every renderer runs in Chromium's OS sandbox, including any window we forget to configure.
  app.enableSandbox();
  protocol.registerSchemesAsPrivileged([{
    scheme: APP_SCHEME,
    privileges: {
      // A real origin (scheme://host), so the CSP's 'self', the IPC origin check and relative URLs work as on the web.
      standard: true,
      // Treated like https: secure-context APIs (clipboard, keyboard lock) work, and no mixed content is allowed in.
      secure: true,
      // The renderer fetches its own files (workers, wasm) with fetch().
      supportFetchAPI: true,
    },
  }]);
  // Every web contents, including any a bug might create, is hardened the moment it exists.
  app.on('web-contents-created', (_e, contents) => hardenContents(contents, confirmExternal));
  return app.whenReady().then(() => {
    // The app's files come from its own scheme, never file://: a file:// page could read any local file.
    protocol.handle(APP_SCHEME, rendererFiles(rendererDir, fetchFile));
    const ses = session.defaultSession;
    // Chromium grants many permissions by default; here only the listed ones, and only to the app itself.
    ses.setPermissionRequestHandler((_wc, permission, callback, details) => callback(isPermissionAllowed(permission, details.requestingUrl ?? '')));
    // Permission checks (navigator.permissions, clipboard) get the same answer as requests.
    ses.setPermissionCheckHandler((_wc, permission, requestingOrigin) => isPermissionAllowed(permission, requestingOrigin));
  });
}

/** scheme://host of a URL. URL.origin is "null" for custom schemes outside Electron, so build it by hand. */
export function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return null;
  }
}
