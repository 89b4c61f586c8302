/**
 * The console's security settings are what the design promises: read from
 * the one function that builds windows.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ALLOWED_PERMISSIONS, APP_ORIGIN, CSP, isPermissionAllowed, secureWebPreferences } from './security.js';

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

describe('preload bundle', () => {
  it('is one CommonJS file that requires nothing but electron (a sandboxed preload can load nothing else)', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'preload-')), 'preload.cjs');
    await build({ entryPoints: [path.join(root, 'electron/src/electron/preload.ts')], outfile: out, bundle: true, platform: 'node', format: 'cjs', external: ['electron'], logLevel: 'silent' });
    const requires = new Set([...fs.readFileSync(out, 'utf8').matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]));
    expect([...requires]).toEqual(['electron']);
  });
});
