// Lint rules, including the runtime boundaries between folders (STYLE.md):
// shared/ is pure; renderer/ never reaches Node, Electron, server or agent;
// electron/ never imports the renderer; only the Electron adapter touches
// Electron's IPC.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import { builtinModules } from 'node:module';

const nodeBuiltins = { group: ['node:*'], message: 'This folder must not use Node built-ins.' };
// The same built-ins by their bare names ('fs', 'path', ...). buffer, events and
// process stay allowed: in the browser those names are the npm polyfills.
const browserPolyfills = new Set(['buffer', 'events', 'process']);
const bareBuiltins = builtinModules.filter((m) => !m.startsWith('_') && !browserPolyfills.has(m))
  .map((name) => ({ name, message: 'This folder must not use Node built-ins.' }));
const folder = (name) => ({ group: [`**/${name}/**`, `../${name}/*`, `../../${name}/*`, `../../../${name}/*`], message: `Do not import ${name}/ from here.` });

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tsbuild/', 'test-results/', 'playwright-report/', 'data/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['shared/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: bareBuiltins,
        patterns: [nodeBuiltins, { group: ['electron', 'ws', 'react', 'react-dom'], message: 'shared/ is pure TypeScript.' },
          folder('server'), folder('agent'), folder('electron'), folder('renderer'), folder('e2e'), folder('bench')],
      }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': ['error', {
        paths: bareBuiltins,
        patterns: [nodeBuiltins, { group: ['electron'], message: 'The renderer talks to the core only through ConsoleApi.' },
          folder('server'), folder('agent'), folder('electron')],
      }],
    },
  },
  {
    files: ['electron/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [folder('renderer'), folder('server'), folder('agent')] }],
      'no-restricted-syntax': ['error', {
        selector: "ImportSpecifier[imported.name=/^(ipcMain|ipcRenderer)$/]",
        message: 'Only the Electron adapter (electron/src/electron/) uses raw IPC.',
      }],
    },
  },
  {
    files: ['electron/src/core/**/*.ts', 'electron/src/web/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [folder('renderer'), folder('server'), folder('agent'), folder('electron/src/electron'),
          { group: ['electron'], message: 'The console core and web host run without Electron.' }],
      }],
    },
  },
  {
    files: ['electron/src/electron/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['server/portal/**/*.js'],
    languageOptions: { globals: { ...globals.browser }, sourceType: 'script' },
    rules: { '@typescript-eslint/no-unused-vars': ['error', { caughtErrors: 'none' }] },
  },
  {
    files: ['server/**/*.ts', 'agent/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [folder('renderer'), folder('electron'), { group: ['electron'], message: 'No Electron here.' }] }] },
  },
);
