/** A process started with a broken environment stops with one clear message, not a stack trace. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('process start-up with an invalid environment', () => {
  it.each([
    ['the gateway', 'src/gateway/main.ts'],
    ['the worker', 'workers/reply-worker.ts'],
  ])('%s exits 1 listing every bad variable by name', (_name, entry) => {
    const secret = 'zz-not-hex-but-secret';
    const result = spawnSync(process.execPath, ['--import', 'tsx', entry], {
      env: {
        PATH: process.env['PATH'],
        REDIS_URL: 'http://wrong',
        ENCRYPTION_KEY: secret,
        HTTP_PORT: '99999',
      },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Invalid configuration:');
    for (const variable of ['DISCORD_TOKEN', 'REDIS_URL', 'ENCRYPTION_KEY', 'HTTP_PORT', 'AI_BASE_URL']) {
      expect(result.stderr).toContain(`  - ${variable}:`);
    }
    expect(result.stderr).not.toContain(secret);
    expect(result.stderr).not.toMatch(/\n\s+at /u);
  });
});
