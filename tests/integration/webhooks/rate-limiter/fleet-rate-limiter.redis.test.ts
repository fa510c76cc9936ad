/**
 * The fleet rate limiter as other code uses it: a request waits for a slot on one of its candidates, and limiters
 * of different keyspaces (webhook requests, bot-token requests) keep their fleet-wide limits apart.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../src/log/index.js';
import { FleetRateLimiter } from '../../../../src/webhooks/index.js';
import { buildBucketKey, buildGlobalSlotsKey } from '../../../../src/webhooks/rate-limiter/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../../support/redis.js';

describe('FleetRateLimiter', () => {
  const prefix = createTestPrefix();
  const logger = createLogger({ level: 'silent' });
  let redis: Redis;
  /** A clock that never moves, so every reservation's wait is what the limiter computed. */
  const now = () => 50_000_000;

  function createLimiter(keyspace: string): FleetRateLimiter {
    // 1 request/s fleet-wide: a second request in one keyspace must wait about a second.
    return new FleetRateLimiter({
      redis,
      logger,
      prefix,
      keyspace,
      globalRatePerSecond: 1,
      marginMs: 0,
      now,
    });
  }

  beforeAll(() => {
    redis = createTestRedis();
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });

  it('hands a slot to one of the candidates, and keeps keyspaces apart', async () => {
    const webhooks = createLimiter('webhooks');
    const bot = createLimiter('bot');
    const request = { channelId: '1', threadId: null, bucket: 'execute', mayGrow: false };
    expect(await webhooks.waitForSendSlot({ ...request, candidateIds: ['10', '11'] })).toBe('10');
    // Another keyspace's fleet-wide slots are free: no wait (the clock is frozen, so a wait would never end).
    const started = Date.now();
    expect(await bot.waitForSendSlot({ ...request, candidateIds: ['bot'] })).toBe('bot');
    expect(Date.now() - started).toBeLessThan(500);
    expect(await redis.exists(buildGlobalSlotsKey(prefix, 'bot'))).toBe(1);
  });

  it('tells a full pool to grow rather than wait', async () => {
    const limiter = createLimiter('full');
    const request = { channelId: '2', threadId: null, bucket: 'execute', candidateIds: ['20'] };
    // Discord said the only webhook's bucket is empty for a minute.
    await redis.hset(buildBucketKey(prefix, 'full', '2', 'execute', '20'), 'blockedUntil', now() + 60_000);
    expect(await limiter.waitForSendSlot({ ...request, mayGrow: true })).toBeNull();
  });
});
