import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * Builds the console renderer into dist/renderer. The web host serves that
 * folder; the Electron adapter loads it from its custom protocol.
 *
 * simple-peer is a CommonJS package written for browserify: it expects the
 * Node globals `process`, `Buffer` and `global`, and the `events`/`buffer`
 * modules. The aliases pin those modules to the npm browser shims (so the
 * bundler never substitutes an empty "browser external"), `define` maps
 * `global`, and src/platform/node-globals.ts installs the two globals.
 */
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  publicDir: false,
  plugins: [react()],
  define: { global: 'globalThis' },
  resolve: {
    alias: [
      { find: /^events$/, replacement: 'events/events.js' },
      { find: /^buffer$/, replacement: 'buffer/index.js' },
      { find: /^process$/, replacement: 'process/browser.js' },
    ],
  },
  optimizeDeps: { include: ['simple-peer', 'buffer', 'events', 'process/browser.js'] },
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // The module-preload polyfill is for browsers older than our Chromium/Electron.
    modulePreload: { polyfill: false },
    // One bundle, loaded once from the asar or the local web host. Splitting off xterm.js would
    // let a console left open across a server upgrade ask for a chunk that no longer exists.
    chunkSizeWarningLimit: 1024,
  },
  server: {
    // `LIFELINE_WEB_HOST=http://127.0.0.1:PORT npx vite --config renderer/vite.config.ts`
    // runs the dev server against a running web host's /bridge.
    proxy: process.env.LIFELINE_WEB_HOST
      ? { '/bridge': { target: process.env.LIFELINE_WEB_HOST, ws: true } }
      : undefined,
  },
});
