/**
 * electron-builder's afterPack hook: sets every fuse of the packaged Electron
 * binary. electron-builder runs it after copying the app and before signing,
 * so the signature covers the flipped fuses. strictlyRequireAllFuses makes
 * packaging fail when an Electron upgrade brings a fuse this list does not
 * set, instead of shipping Electron's default for it.
 */
import path from 'node:path';
import { Arch } from 'electron-builder';
import { flipFuses, FuseV1Options, FuseVersion } from '@electron/fuses';

/** Each fuse of FuseV1Options by name, with why it has its value. */
export const FUSES = {
  // No ELECTRON_RUN_AS_NODE: the console binary must not double as a plain Node.
  RunAsNode: false,
  // Cookies on disk encrypted with the OS keychain's key.
  EnableCookieEncryption: true,
  // NODE_OPTIONS and --inspect would let anyone who starts the app run code in its main process.
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  // app.asar is checked against the hash recorded at packaging (enforced by Electron on macOS and Windows).
  EnableEmbeddedAsarIntegrityValidation: true,
  // The app loads only from app.asar, never from a loose app folder beside it.
  OnlyLoadAppFromAsar: true,
  // We ship no custom V8 snapshot for the main process.
  LoadBrowserProcessSpecificV8Snapshot: false,
  // The UI comes from the lifeline-app:// scheme; file:// needs no extra privileges.
  GrantFileProtocolExtraPrivileges: false,
  // Electron's default: V8 catches out-of-bounds WebAssembly accesses with signal handlers (no weaker checks).
  WasmTrapHandlers: true,
};

/** The file holding the fuse wire: the executable, or the framework inside a macOS bundle. */
export function electronBinaryPath({ appOutDir, electronPlatformName, packager }) {
  if (electronPlatformName === 'linux') return path.join(appOutDir, packager.executableName);
  const name = packager.appInfo.productFilename;
  return path.join(appOutDir, electronPlatformName === 'win32' ? `${name}.exe` : `${name}.app`);
}

export default async function afterPack(context) {
  const fuses = Object.fromEntries(Object.entries(FUSES).map(([name, on]) => {
    if (!(name in FuseV1Options)) throw new Error(`after-pack: @electron/fuses knows no fuse named ${name}`);
    return [FuseV1Options[name], on];
  }));
  await flipFuses(electronBinaryPath(context), {
    version: FuseVersion.V1,
    strictlyRequireAllFuses: true,
    // Flipping fuses breaks the ad-hoc signature Apple Silicon requires; re-sign it (a real identity signs later).
    resetAdHocDarwinSignature: context.electronPlatformName === 'darwin' && context.arch === Arch.arm64,
    ...fuses,
  });
}
