/**
 * The fleet rate limiter as other code uses it: a request waits for a slot on one of its candidates, and limiters
 * of different keyspaces (webhook requests, bot-token requests) keep their fleet-wide limits apart.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../../src/log/index.js';
import { ChannelBusyError, FleetRateLimiter } from '../../../../src/webhooks/index.js';
import {
  buildBucketKey,
  buildChannelKey,
  buildGlobalSlotsKey,
} from '../../../../src/webhooks/rate-limiter/keys.js';
import { createCapturedLogger } from '../../../support/captured-logger.js';
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

  describe('when a channel is busy', () => {
    const request = { threadId: null, bucket: 'execute', candidateIds: ['30'], mayGrow: false };
    const waiter = { userId: '7', requestId: 'job:0' };

    function createBudgetedLimiter(keyspace: string, log = logger): FleetRateLimiter {
      return new FleetRateLimiter({
        redis,
        logger: log,
        prefix,
        keyspace,
        globalRatePerSecond: 1000,
        marginMs: 0,
        bucketDefaults: { limit: 100, windowMs: 2000 },
        channelBudget: { limit: 2, windowMs: 60_000 },
        now,
      });
    }

    it('throws for a waiter past the budget, reserving nothing, and never for another channel', async () => {
      const limiter = createBudgetedLimiter('budget');
      const post = { ...request, channelId: '3', countsInChannel: true, waiter };
      expect(await limiter.waitForSendSlot(post)).toBe('30');
      expect(await limiter.waitForSendSlot(post)).toBe('30');
      const busy = await limiter.waitForSendSlot(post).catch((error: unknown) => error);
      expect(busy).toBeInstanceOf(ChannelBusyError);
      expect(busy).toMatchObject({ channelId: '3', reason: 'budget', maybeSent: false });
      // Its turn comes when the first send leaves the window (widened by the channel's 1 s margin), less half
      // the in-place wait it may take.
      expect((busy as ChannelBusyError).retryAt).toBe(now() + 60_000 + 1000 - 1000);
      const slots = await redis.hget(buildChannelKey(prefix, 'budget', '3'), 'slots');
      expect(slots?.split(',')).toHaveLength(2);
      expect(await limiter.waitForSendSlot({ ...post, channelId: '4' })).toBe('30');
    });

    it('pauses only that channel after a shared 429, and says which and for how long', async () => {
      const captured = createCapturedLogger('warn');
      const limiter = createBudgetedLimiter('paused', captured.logger);
      await limiter.recordResponse({
        channelId: '5',
        threadId: null,
        bucket: 'execute',
        id: '30',
        rateLimit: {
          bucket: 'abc',
          limit: 5,
          remaining: 4,
          resetAfterMs: 2000,
          retryAfterMs: 40_000,
          global: false,
          scope: 'shared',
        },
        rateLimited: true,
      });
      const paused = captured.records.find(
        (record) => record['msg'] === 'channel paused after a shared rate limit',
      );
      expect(paused).toMatchObject({
        channelId: '5',
        retryAfterMs: 40_000,
      });
      const post = { ...request, channelId: '5', countsInChannel: true, waiter };
      await expect(limiter.waitForSendSlot(post)).rejects.toMatchObject({
        reason: 'blocked',
        channelId: '5',
      });
      expect(await limiter.waitForSendSlot({ ...post, channelId: '6' })).toBe('30');
      // The channel is paused, not the webhook's bucket.
      expect(
        await redis.hget(buildBucketKey(prefix, 'paused', '5', 'execute', '30'), 'blockedUntil'),
      ).toBeNull();
    });
  });
});
