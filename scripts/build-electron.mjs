// Bundles the Electron main process (ESM) and preload (CommonJS: a sandboxed
// preload is one file that may require only 'electron') into dist/electron.
import { build } from 'esbuild';

const common = { bundle: true, platform: 'node', target: 'node22', external: ['electron'], logLevel: 'warning', legalComments: 'none' };
await build({
  ...common,
  entryPoints: ['electron/src/electron/main.ts'],
  outfile: 'dist/electron/main.mjs',
  format: 'esm',
  // Bundled CommonJS dependencies (ws, electron-updater) still call require().
  banner: { js: "import { createRequire as __lifelineRequire } from 'node:module'; const require = __lifelineRequire(import.meta.url);" },
});
await build({ ...common, entryPoints: ['electron/src/electron/preload.ts'], outfile: 'dist/electron/preload.cjs', format: 'cjs' });
