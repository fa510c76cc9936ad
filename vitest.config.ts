import { defineConfig } from 'vitest/config';

const SUITES = ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts', 'tests/e2e/**/*.test.ts'];
/**
 * Files that assert exact counts against Discord's wall-clock rate-limit windows (0 × 429). On a busy
 * 2-core machine, event-loop lag from parallel files would eat their safety margin, so they run last, alone.
 */
const SERIAL = 'tests/**/*.serial.test.ts';

export default defineConfig({
  test: {
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: SUITES,
          exclude: [SERIAL, 'tests/faults/**', 'node_modules/**'],
          // Two cores: e2e files start real processes, so keep parallelism modest.
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'serial',
          include: [SERIAL],
          exclude: ['tests/faults/**', 'node_modules/**'],
          maxWorkers: 1,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
