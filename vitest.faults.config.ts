import { defineConfig } from 'vitest/config';

/** The fault tier: real processes broken on purpose. Run by `npm run test:faults`, after `npm test`. */
export default defineConfig({
  test: {
    include: ['tests/faults/**/*.test.ts'],
    pool: 'forks',
    // One scenario at a time: each starts several processes on a 2-core machine.
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
