/** Every security setting of the console's windows, in one place. */
export const APP_SCHEME = 'lifeline-app';
export const APP_ORIGIN = `${APP_SCHEME}://console`;

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
 * WebRTC data channels need no camera, microphone or screen permission.
 */
export const ALLOWED_PERMISSIONS: ReadonlySet<string> = new Set(['fullscreen', 'keyboardLock', 'clipboard-sanitized-write']);

export function isPermissionAllowed(permission: string, requestingUrl: string): boolean {
  return ALLOWED_PERMISSIONS.has(permission) && originOf(requestingUrl) === APP_ORIGIN;
}

export function secureWebPreferences(preload: string) {
  return {
    preload,
    // The renderer shows hostile input (remote chat, file names); it gets no Node and its own JS world.
    contextIsolation: true,
    nodeIntegration: false,
    sandbox: true,
    webSecurity: true,
    webviewTag: false,
    allowRunningInsecureContent: false,
    spellcheck: false,
  } as const;
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
