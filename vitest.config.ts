import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import PlainSummaryReporter from './test/plain-summary-reporter.js';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    environment: 'node',
    // Every core, and two files at least. Vitest 4.1 runs availableParallelism() - 1 files at once outside watch mode
    // (resolveMaxWorkers in its cli-api chunk; its docs say "all"): on CI's two cores, one file at a time. Much of a
    // file's time is spent waiting on what it started (daemons, resolvers, clickhouse-server, the built CLI), so a
    // second file overlaps it. VITEST_MAX_WORKERS or --maxWorkers still override this.
    maxWorkers: Math.max(2, availableParallelism()),
    testTimeout: 60_000,
    hookTimeout: 60_000,
    env: { TZ: 'UTC' },
    reporters: ['default', new PlainSummaryReporter()],
  },
});
