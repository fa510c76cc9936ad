import { defineConfig } from 'vitest/config';

/**
 * The Redis Cluster tier (`npm run test:cluster`): a real cluster of 3 masters and 3 replicas started once
 * (tests/cluster/global-setup.ts), the end-to-end pipeline files run on it unchanged, and the cluster's own
 * scenarios (a master killed under load) in tests/cluster/.
 */
export default defineConfig({
  test: {
    include: ['tests/e2e/pipeline/**/*.test.ts', 'tests/cluster/**/*.test.ts'],
    globalSetup: ['tests/cluster/global-setup.ts'],
    pool: 'forks',
    // One file at a time: each starts several processes, and the failover scenario kills a shared master.
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
