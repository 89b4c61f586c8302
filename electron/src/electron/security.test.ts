/**
 * The console's security settings are what the design promises: read from
 * the one function that builds windows and from the packaging config.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { ALLOWED_PERMISSIONS, APP_ORIGIN, CSP, isPermissionAllowed, secureWebPreferences } from './security.js';

const root = path.resolve(import.meta.dirname, '../../..');
const builderConfig = JSON.parse(fs.readFileSync(path.join(root, 'build/electron-builder.json'), 'utf8'));

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

describe('packaging config', () => {
  it('sets every Electron fuse explicitly, each to its safe value', () => {
    expect(builderConfig.electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
      loadBrowserProcessSpecificV8Snapshot: false,
    });
    expect(builderConfig.asar).toBe(true);
  });
  it('builds AppImage, deb, NSIS and dmg, registers lifeline:// and updates from the self-hosted server', () => {
    expect(builderConfig.linux.target).toEqual(['AppImage', 'deb']);
    expect(builderConfig.win.target).toEqual(['nsis']);
    expect(builderConfig.mac.target).toEqual(['dmg']);
    expect(builderConfig.protocols).toEqual([{ name: 'Lifeline', schemes: ['lifeline'] }]);
    expect(builderConfig.linux.desktop.entry.MimeType).toBe('x-scheme-handler/lifeline;');
    expect(builderConfig.publish).toEqual([{ provider: 'generic', url: '${env.LIFELINE_UPDATE_URL}' }]);
    for (const icon of ['icon.png', 'tray.png', '512x512.png']) expect(fs.existsSync(path.join(root, 'build/icons', icon))).toBe(true);
  });
  it('is accepted by electron-builder\'s own schema', async () => {
    const { validateConfiguration } = createRequire(import.meta.url)('app-builder-lib/out/util/config/config.js') as {
      validateConfiguration(c: unknown, logger: { isEnabled: boolean; add(): void }): Promise<void>;
    };
    const { $comment: _comment, ...config } = builderConfig;
    await expect(validateConfiguration(config, { isEnabled: false, add: () => undefined })).resolves.toBeUndefined();
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
