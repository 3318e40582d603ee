import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // `*.pg.test.ts` are about PostgreSQL alone: they run in the PostgreSQL pass (npm run test:pg), not skipped in
    // the SQLite one; `*.once.test.ts` do not depend on the store's dialect and run in the first pass only.
    exclude: [
      ...configDefaults.exclude,
      ...(process.env.CONDUIT_TEST_DATABASE_URL ? ['**/*.once.test.ts'] : ['**/*.pg.test.ts']),
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
