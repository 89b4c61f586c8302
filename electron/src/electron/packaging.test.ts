/**
 * The desktop console's packaging is what the design promises: the builder
 * config as electron-builder itself reads and validates it, the afterPack hook
 * that sets every Electron fuse, the icons, and `npm run package`'s refusal to
 * build without an update server. One test packs the console for real, around
 * a stand-in Electron binary (the real one cannot be downloaded everywhere).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../../..');
const require = createRequire(import.meta.url);
const builderConfigPath = path.join(root, 'build/electron-builder.json');
const packageJson = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { author?: { name?: string; email?: string }; homepage?: string };

// The imports below are untyped JavaScript (the hook, electron-builder's internals); each gets the shape we use.
type BuilderConfig = Record<string, unknown> & {
  appId: string; productName: string; asar: boolean; afterPack: string; electronFuses?: unknown;
  protocols: { name: string; schemes: string[] }[];
  linux: { target: string[]; icon: string; executableName: string; desktop: { entry: Record<string, string> } };
  win: { target: string[]; icon: string }; mac: { target: string[]; icon: string };
  publish: { provider: string; url: string }[];
};
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string): Promise<BuilderConfig>;
  validateConfiguration(config: unknown, debugLogger: { isEnabled: boolean; add(): void }): Promise<void>;
};
type PackContext = { appOutDir: string; electronPlatformName: string; arch: number; packager: { executableName?: string; appInfo?: { productFilename: string } } };
const hook = await import(pathToFileURL(path.join(root, 'build/after-pack.mjs')).href) as {
  default(context: PackContext): Promise<void>;
  FUSES: Record<string, boolean>;
};
const fusesLib = await import('@electron/fuses');
/** Every fuse the installed @electron/fuses knows, by name (the enum's string keys). */
const fuseNames = Object.keys(fusesLib.FuseV1Options).filter((key) => Number.isNaN(Number(key)));

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const ON = 0x31, OFF = 0x30;
/** A stand-in Electron executable: some bytes, then the fuse sentinel, wire version 1, and one byte per fuse. */
function writeFakeElectron(file: string, wire: number[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, Buffer.concat([Buffer.from('#!/bin/sh\nexit 0\n'), Buffer.from(SENTINEL), Buffer.from([1, wire.length, ...wire]), Buffer.from('\n')]), { mode: 0o755 });
}
function readWire(file: string): number[] {
  const bytes = fs.readFileSync(file);
  const at = bytes.indexOf(SENTINEL) + SENTINEL.length;
  return [...bytes.subarray(at + 2, at + 2 + bytes.readUInt8(at + 1))];
}
/** Each fuse the opposite of what the hook sets, so an untouched fuse shows. */
const oppositeWire = () => fuseNames.map((name) => (hook.FUSES[name] ? OFF : ON));
const expectedWire = () => fuseNames.map((name) => (hook.FUSES[name] ? ON : OFF));
const tempDirs: string[] = [];
function tempDir(name: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `lifeline-${name}-`));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) fs.rmSync(dir, { recursive: true, force: true });
});

function pngSize(file: string): { width: number; height: number } {
  const bytes = fs.readFileSync(file);
  expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

describe('builder config', () => {
  it('is accepted, exactly as written, by electron-builder\'s own loader and schema', async () => {
    const config = await getConfig(root, builderConfigPath);
    await expect(validateConfiguration(config, { isEnabled: false, add: () => undefined })).resolves.toBeUndefined();
    // The schema is strict: a key it does not know (the old "$comment") fails packaging.
    await expect(validateConfiguration({ ...config, $comment: 'a note' }, { isEnabled: false, add: () => undefined })).rejects.toThrow(/\$comment/);
  });
  it('builds AppImage and deb, NSIS and dmg of org.lifeline.console in an asar', async () => {
    const config = await getConfig(root, builderConfigPath);
    expect(config.appId).toBe('org.lifeline.console');
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.asar).toBe(true);
    // The deb's control file needs a maintainer and a homepage (electron-builder takes them from package.json).
    expect(packageJson.author?.email).toMatch(/^[^@\s]+@[^@\s]+$/);
    expect(packageJson.homepage).toMatch(/^https:\/\//);
  });
  it('registers lifeline:// and has a desktop entry that opens it', async () => {
    const config = await getConfig(root, builderConfigPath);
    expect(config.protocols).toEqual([{ name: 'Lifeline', schemes: ['lifeline'] }]);
    const entry = config.linux.desktop.entry;
    expect(entry.MimeType?.split(';').filter(Boolean)).toEqual(config.protocols.flatMap((p) => p.schemes.map((s) => `x-scheme-handler/${s}`)));
    expect(entry).toMatchObject({ Name: config.productName, StartupWMClass: config.productName, Categories: 'Network;RemoteAccess;' });
    expect(config.linux.executableName).toBe('lifeline-console');
  });
  it('updates with electron-updater\'s generic provider from the LIFELINE_UPDATE_URL given at packaging, one byte range per request', async () => {
    const config = await getConfig(root, builderConfigPath);
    // The server's /updates/ serves single ranges (server/src/http/app.ts), not multipart ones.
    expect(config.publish).toEqual([{ provider: 'generic', url: '${env.LIFELINE_UPDATE_URL}', useMultipleRangeRequest: false }]);
  });
  it('has PNG icons of the sizes their names say, a 512 px app icon (dmg and NSIS need at least that) and a square tray icon', async () => {
    const config = await getConfig(root, builderConfigPath);
    const icons = path.join(root, config.linux.icon);
    const sized = fs.readdirSync(icons).filter((f) => /^\d+x\d+\.png$/.test(f));
    expect(sized.sort()).toEqual(['128x128.png', '256x256.png', '32x32.png', '512x512.png', '64x64.png']);
    for (const file of sized) {
      const [width, height] = file.replace('.png', '').split('x').map(Number);
      expect(pngSize(path.join(icons, file)), file).toEqual({ width, height });
    }
    for (const icon of [config.win.icon, config.mac.icon]) expect(pngSize(path.join(root, icon))).toEqual({ width: 512, height: 512 });
    const tray = pngSize(path.join(root, 'build/icons/tray.png'));
    expect(tray.width).toBe(tray.height);
  });
});

describe('Electron fuses', () => {
  it('are set in one place, the afterPack hook, for every fuse the installed @electron/fuses knows', async () => {
    const config = await getConfig(root, builderConfigPath);
    expect(config.afterPack).toBe('./build/after-pack.mjs');
    expect(config.electronFuses).toBeUndefined();
    expect(Object.keys(hook.FUSES).sort()).toEqual([...fuseNames].sort());
    expect(fuseNames).toContain('WasmTrapHandlers'); // Electron 41's newest fuse
  });
  it('have the values the design names: no run-as-node, NODE_OPTIONS or inspect; app only from an integrity-checked asar; cookies encrypted', () => {
    expect(hook.FUSES).toMatchObject({
      RunAsNode: false,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableNodeCliInspectArguments: false,
      OnlyLoadAppFromAsar: true,
      EnableEmbeddedAsarIntegrityValidation: true,
      EnableCookieEncryption: true,
      GrantFileProtocolExtraPrivileges: false,
      LoadBrowserProcessSpecificV8Snapshot: false,
      WasmTrapHandlers: true,
    });
  });
  it('are written into the Windows executable and the macOS framework by the hook', async () => {
    const dir = tempDir('fuses');
    const win = path.join(dir, 'win', 'Lifeline Console.exe');
    const mac = path.join(dir, 'mac', 'Lifeline Console.app/Contents/Frameworks/Electron Framework.framework/Electron Framework');
    writeFakeElectron(win, oppositeWire());
    writeFakeElectron(mac, oppositeWire());
    const packager = { appInfo: { productFilename: 'Lifeline Console' } };
    await hook.default({ appOutDir: path.join(dir, 'win'), electronPlatformName: 'win32', arch: 1, packager });
    await hook.default({ appOutDir: path.join(dir, 'mac'), electronPlatformName: 'darwin', arch: 1, packager });
    expect(readWire(win)).toEqual(expectedWire());
    expect(readWire(mac)).toEqual(expectedWire());
    expect(readWire(win)[fusesLib.FuseV1Options.RunAsNode]).toBe(OFF);
  });
  it('fail the packaging when the Electron binary has a fuse the hook does not set, leaving the binary as it was', async () => {
    const dir = tempDir('fuses');
    const binary = path.join(dir, 'lifeline-console');
    const wire = [...oppositeWire(), ON];
    writeFakeElectron(binary, wire);
    await expect(hook.default({ appOutDir: dir, electronPlatformName: 'linux', arch: 1, packager: { executableName: 'lifeline-console' } }))
      .rejects.toThrow(/strictlyRequireAllFuses/);
    expect(readWire(binary)).toEqual(wire);
  });
});

describe('packaging', () => {
  it('packs the console around a stand-in Electron: every fuse set in the packaged executable, the app in an asar, updates from LIFELINE_UPDATE_URL', () => {
    // A project like ours with stub build output, so the test needs no renderer build.
    const project = tempDir('package');
    fs.cpSync(path.join(root, 'build'), path.join(project, 'build'), { recursive: true });
    fs.cpSync(path.join(root, 'package.json'), path.join(project, 'package.json'));
    fs.symlinkSync(path.join(root, 'node_modules'), path.join(project, 'node_modules'));
    fs.mkdirSync(path.join(project, 'dist/electron'), { recursive: true });
    fs.mkdirSync(path.join(project, 'dist/renderer'), { recursive: true });
    fs.writeFileSync(path.join(project, 'dist/electron/main.mjs'), 'export {};\n');
    fs.writeFileSync(path.join(project, 'dist/renderer/index.html'), '<!doctype html>\n');
    const electronDist = path.join(project, 'electron-dist');
    writeFakeElectron(path.join(electronDist, 'electron'), oppositeWire());

    const result = spawnSync(process.execPath, [require.resolve('electron-builder/cli.js'), '--config', 'build/electron-builder.json', '--linux', 'dir',
      `-c.electronDist=${electronDist}`, '-c.directories.output=out'], {
      cwd: project, encoding: 'utf8', env: { ...process.env, LIFELINE_UPDATE_URL: 'https://support.example.com/updates/' },
    });
    expect(result.status, result.stdout + result.stderr).toBe(0);
    const unpacked = path.join(project, 'out/linux-unpacked');
    expect(readWire(path.join(unpacked, 'lifeline-console'))).toEqual(expectedWire());
    expect(fs.readdirSync(path.join(unpacked, 'resources')).sort()).toEqual(['app-update.yml', 'app.asar']);
    expect(fs.readFileSync(path.join(unpacked, 'resources/app-update.yml'), 'utf8')).toMatch(/^provider: generic\nurl: https:\/\/support\.example\.com\/updates\/\nuseMultipleRangeRequest: false\n/);
  });
  it('npm run package refuses in one line, with exit code 2, when LIFELINE_UPDATE_URL is not set', () => {
    const env = { ...process.env };
    delete env.LIFELINE_UPDATE_URL;
    const result = spawnSync(process.execPath, [path.join(root, 'scripts/package.mjs')], { cwd: root, encoding: 'utf8', env });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe("npm run package: set LIFELINE_UPDATE_URL to your Lifeline server's https /updates/ address, e.g. LIFELINE_UPDATE_URL=https://support.example.com/updates/ npm run package\n");
  });
  it('npm run package refuses an update URL that is not a server\'s /updates/ address', () => {
    const result = spawnSync(process.execPath, [path.join(root, 'scripts/package.mjs')], {
      cwd: root, encoding: 'utf8', env: { ...process.env, LIFELINE_UPDATE_URL: 'support.example.com' },
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^npm run package: set LIFELINE_UPDATE_URL .* \(not "support\.example\.com"\)\n$/);
  });
  it('npm run package refuses a plain-HTTP update URL except on this machine', () => {
    const refused = spawnSync(process.execPath, [path.join(root, 'scripts/package.mjs')], {
      cwd: root, encoding: 'utf8', env: { ...process.env, LIFELINE_UPDATE_URL: 'http://support.example.com/updates/' },
    });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('(not "http://support.example.com/updates/")');
  });
});
