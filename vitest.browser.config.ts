import { defineConfig } from 'vitest/config';

/**
 * The browser tier: the playground page driven in the system Chromium (playwright-core, never a downloaded
 * browser). Run by `npm run test:browser`; `npm test` leaves it out.
 */
export default defineConfig({
  test: {
    include: ['tests/browser/**/*.test.ts'],
    pool: 'forks',
    // One Chromium and one playground (gateway + worker processes) at a time on a 2-core machine.
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 90_000,
    // Polls wait on real processes and an AI round trip, not just the page.
    expect: { poll: { timeout: 15_000, interval: 100 } },
  },
});
