import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{shared,server,agent,electron,renderer,bench}/**/*.test.{ts,tsx}'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
