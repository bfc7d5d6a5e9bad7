import { defineConfig } from 'vitest/config';

// `source` resolves workspace packages to their TypeScript sources, so tests never need a build.
const conditions = ['source', 'module', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions },
  // Externals (node_modules) keep Node's own conditions: forcing 'import' breaks CJS packages such as pg.
  ssr: { resolve: { conditions, externalConditions: ['source', 'node'] } },
  test: {
    include: ['*/test/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', './scripts/summary-reporter.mjs'],
    // A synchronous hang kills its worker (reported, the run goes on): see test/setup/watchdog.ts.
    setupFiles: ['./test/setup/watchdog.ts'],
  },
});
