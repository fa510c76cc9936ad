// Real Redis (never a mock): the check is only worth something against the actual PING reply.
// It sends PING only, so it writes no keys and needs no prefix cleanup.
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisReadinessCheck, runReadinessChecks } from '../../../src/http/index.js';
import { createTestRedis } from '../../support/redis.js';

describe('createRedisReadinessCheck', () => {
  const reachable = createTestRedis();
  // Port 1: nothing listens, so the connection is refused at once; no retries, no offline queue.
  const unreachable = new Redis('redis://127.0.0.1:1', {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  unreachable.on('error', () => {});

  afterAll(async () => {
    await reachable.quit();
    unreachable.disconnect();
  });

  describe('when Redis answers PING', () => {
    it('passes', async () => {
      expect(await runReadinessChecks([createRedisReadinessCheck(reachable)])).toEqual({
        ready: true,
        checks: [{ name: 'redis', ok: true }],
      });
    });
  });

  describe('when Redis is unreachable', () => {
    it('fails without waiting for a reconnect', async () => {
      const report = await runReadinessChecks([createRedisReadinessCheck(unreachable)], { timeoutMs: 5000 });
      expect(report.ready).toBe(false);
      expect(report.checks[0]).toMatchObject({
        name: 'redis',
        ok: false,
        detail: expect.stringMatching(/^failed: /),
      });
    });
  });
});
