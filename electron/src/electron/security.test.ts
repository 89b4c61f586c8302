/**
 * The console's security settings are what the design promises: read from
 * the one function that builds windows, and from applySecurityDefaults run
 * against fakes of Electron's app, protocol, session and web contents.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  ALLOWED_PERMISSIONS, APP_ENTRY_URL, APP_ORIGIN, applySecurityDefaults, CSP, isOpenableExternally, isPermissionAllowed, secureWebPreferences,
  type ContentsLike, type NavigationEvent, type PreventableEvent, type PrivilegedScheme, type SecurityDeps, type SessionLike,
} from './security.js';

const root = path.resolve(import.meta.dirname, '../../..');

describe('console windows', () => {
  it('are context-isolated, sandboxed, without Node, with web security, and without webviews', () => {
    expect(secureWebPreferences('/app/preload.cjs')).toEqual({
      preload: '/app/preload.cjs', contextIsolation: true, nodeIntegration: false, sandbox: true, webSecurity: true,
      webviewTag: false, allowRunningInsecureContent: false, spellcheck: false,
    });
  });
  it('load a CSP that starts from nothing and allows no inline or eval script', () => {
    expect(CSP.startsWith("default-src 'none';")).toBe(true);
    expect(CSP).toContain("script-src 'self';");
    expect(CSP).not.toMatch(/unsafe-(inline|eval)/);
  });
  it('grant only full screen, keyboard lock and clipboard writing, and only to the app itself', () => {
    expect([...ALLOWED_PERMISSIONS].sort()).toEqual(['clipboard-sanitized-write', 'fullscreen', 'keyboardLock']);
    expect(isPermissionAllowed('fullscreen', `${APP_ORIGIN}/index.html`)).toBe(true);
    for (const p of ['media', 'geolocation', 'notifications', 'openExternal', 'display-capture']) expect(isPermissionAllowed(p, `${APP_ORIGIN}/`)).toBe(false);
    expect(isPermissionAllowed('fullscreen', 'https://evil.example/')).toBe(false);
  });
});

/** Electron's app, protocol and session as far as applySecurityDefaults uses them; records what it did. */
function fakeElectron(rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), 'renderer-'))) {
  let ready = false;
  let becomeReady!: () => void;
  const whenReady = new Promise<void>((resolve) => { becomeReady = () => { ready = true; resolve(); }; });
  const calls: string[] = [];
  const schemes: PrivilegedScheme[] = [];
  const handlers = new Map<string, (req: Request) => Promise<Response>>();
  const contentsCreated: ((e: unknown, c: ContentsLike) => void)[] = [];
  let requestHandler: Parameters<SessionLike['setPermissionRequestHandler']>[0] | null = null;
  let checkHandler: Parameters<SessionLike['setPermissionCheckHandler']>[0] | null = null;
  const confirmed: string[] = [];
  const deps: SecurityDeps = {
    app: {
      enableSandbox: () => {
        // Electron throws here once the app is ready.
        if (ready) throw new Error('app.enableSandbox() can only be called before app is ready');
        calls.push('enableSandbox');
      },
      whenReady: () => whenReady,
      on: (_event, listener) => contentsCreated.push(listener),
    },
    protocol: {
      registerSchemesAsPrivileged: (list) => {
        if (ready) throw new Error('registerSchemesAsPrivileged must be called before app is ready');
        calls.push('registerSchemesAsPrivileged');
        schemes.push(...list);
      },
      handle: (scheme, handler) => void handlers.set(scheme, handler),
    },
    session: {
      get defaultSession(): SessionLike {
        if (!ready) throw new Error('session.defaultSession is only available after app is ready');
        return {
          setPermissionRequestHandler: (h) => void (requestHandler = h),
          setPermissionCheckHandler: (h) => void (checkHandler = h),
        };
      },
    },
    rendererDir,
    fetchFile: async (url) => {
      try {
        return new Response(fs.readFileSync(new URL(url)), { headers: { 'content-type': 'text/html' } });
      } catch {
        return new Response('', { status: 404 });
      }
    },
    confirmExternal: (url) => void confirmed.push(url),
  };
  const request = (permission: string, requestingUrl: string) => {
    let granted: boolean | null = null;
    requestHandler!({}, permission, (g) => (granted = g), { requestingUrl });
    return granted;
  };
  return {
    deps, calls, schemes, handlers, confirmed, becomeReady, request,
    check: (permission: string, origin: string) => checkHandler!({}, permission, origin),
    contentsCreated: () => fakeContents(contentsCreated),
  };
}

/** A new web contents, handed to every 'web-contents-created' listener; navigate() and open() play the page's part. */
function fakeContents(created: ((e: unknown, c: ContentsLike) => void)[]) {
  const listeners = new Map<string, (e: NavigationEvent) => void>();
  let openHandler: ((d: { url: string }) => { action: 'deny' }) | null = null;
  const contents: ContentsLike = {
    on: (event: string, listener: (e: NavigationEvent) => void) => listeners.set(event, listener),
    setWindowOpenHandler: (h) => void (openHandler = h),
  };
  for (const l of created) l({}, contents);
  /** True when the listener for `event` lets it happen. */
  const happens = (event: string, url: string) => {
    let prevented = false;
    const e: NavigationEvent & PreventableEvent = { url, preventDefault: () => (prevented = true) };
    listeners.get(event)!(e);
    return !prevented;
  };
  return { happens, open: (url: string) => openHandler!({ url }) };
}

describe('the security defaults applied at start', () => {
  it('enable the sandbox and register the app\'s scheme as privileged before the app is ready, and lock the session down after', async () => {
    const e = fakeElectron();
    const secured = applySecurityDefaults(e.deps);
    expect(e.calls).toEqual(['enableSandbox', 'registerSchemesAsPrivileged']);
    expect(e.schemes).toEqual([{ scheme: 'lifeline-app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    expect(e.handlers.size).toBe(0);
    e.becomeReady();
    await secured;
    expect([...e.handlers.keys()]).toEqual(['lifeline-app']);
    expect(e.request('fullscreen', APP_ENTRY_URL)).toBe(true);
  });

  it('load the app from its own scheme, never file://', () => {
    expect(APP_ENTRY_URL).toBe('lifeline-app://console/index.html');
    expect(new URL(APP_ENTRY_URL).protocol).not.toBe('file:');
  });

  it('serve the renderer\'s files with the CSP, and nothing outside its folder', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'renderer-'));
    fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Lifeline</title>');
    fs.writeFileSync(path.join(path.dirname(dir), 'secret.txt'), 'secret');
    const e = fakeElectron(dir);
    const secured = applySecurityDefaults(e.deps);
    e.becomeReady();
    await secured;
    const serve = e.handlers.get('lifeline-app')!;
    for (const url of [APP_ENTRY_URL, `${APP_ORIGIN}/`]) {
      const res = await serve(new Request(url));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-security-policy')).toBe(CSP);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(await res.text()).toContain('<title>Lifeline</title>');
    }
    for (const url of [`${APP_ORIGIN}/..%2Fsecret.txt`, `${APP_ORIGIN}/%E0%A4%A`]) {
      const res = await serve(new Request(url));
      expect(res.status).toBe(404);
      expect(await res.text()).not.toContain('secret');
    }
  });

  it('deny every permission request and check except the listed ones for the app\'s own origin', async () => {
    const e = fakeElectron();
    const secured = applySecurityDefaults(e.deps);
    e.becomeReady();
    await secured;
    for (const p of ALLOWED_PERMISSIONS) {
      expect(e.request(p, APP_ENTRY_URL)).toBe(true);
      expect(e.check(p, APP_ORIGIN)).toBe(true);
      expect(e.request(p, 'https://evil.example/')).toBe(false);
      expect(e.check(p, 'file://')).toBe(false);
    }
    for (const p of ['media', 'display-capture', 'notifications', 'geolocation', 'openExternal', 'clipboard-read']) {
      expect(e.request(p, APP_ENTRY_URL)).toBe(false);
      expect(e.check(p, APP_ORIGIN)).toBe(false);
    }
  });

  it('keep every web contents in the app: no navigation or redirect away, no webviews, no new windows', () => {
    const e = fakeElectron();
    void applySecurityDefaults(e.deps);
    const page = e.contentsCreated();
    expect(page.happens('will-navigate', `${APP_ORIGIN}/index.html#queue`)).toBe(true);
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'lifeline-app://other/index.html']) {
      expect(page.happens('will-navigate', url)).toBe(false);
      expect(page.happens('will-redirect', url)).toBe(false);
    }
    expect(page.happens('will-attach-webview', APP_ENTRY_URL)).toBe(false);
    for (const url of ['https://example.com/help', 'http://example.com/', 'file:///etc/passwd', `${APP_ORIGIN}/index.html`]) {
      expect(page.open(url)).toEqual({ action: 'deny' });
    }
    // Only the https link goes on, to the technician's confirmation.
    expect(e.confirmed).toEqual(['https://example.com/help']);
  });
});

describe('external links from chat', () => {
  it('only plain https links may be opened', () => {
    expect(isOpenableExternally('https://example.com/help')).toBe(true);
    for (const bad of ['http://example.com', 'file:///etc/passwd', 'javascript:alert(1)', 'smb://host/share', 'https://user:pw@example.com', 'nonsense']) {
      expect(isOpenableExternally(bad)).toBe(false);
    }
  });
});

describe('preload bundle', () => {
  it('is one CommonJS file that requires nothing but electron (a sandboxed preload can load nothing else)', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'preload-')), 'preload.cjs');
    await build({ entryPoints: [path.join(root, 'electron/src/electron/preload.ts')], outfile: out, bundle: true, platform: 'node', format: 'cjs', external: ['electron'], logLevel: 'silent' });
    const requires = new Set([...fs.readFileSync(out, 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));
    expect([...requires]).toEqual(['electron']);
  });
});
