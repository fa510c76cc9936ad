/**
 * The fleet rate limiter as other code uses it: a request waits for a slot on one of its candidates, and limiters
 * of different keyspaces (webhook requests, bot-token requests) keep their fleet-wide limits apart.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisMonitor } from '../../../../bench/redis-monitor.js';
import { createLogger } from '../../../../src/log/index.js';
import {
  ChannelBusyError,
  FleetRateLimiter,
  type RateLimitObservation,
} from '../../../../src/webhooks/index.js';
import {
  buildBucketKey,
  buildChannelKey,
  buildGlobalSlotsKey,
} from '../../../../src/webhooks/rate-limiter/keys.js';
import { createCapturedLogger } from '../../../support/captured-logger.js';
import {
  createTestPrefix,
  createTestRedis,
  deleteKeysWithPrefix,
  TEST_REDIS_URL,
} from '../../../support/redis.js';

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
    expect(await webhooks.waitForSendSlot({ ...request, candidateIds: ['10', '11'] })).toMatchObject({
      id: '10',
    });
    // Another keyspace's fleet-wide slots are free: no wait (the clock is frozen, so a wait would never end).
    const started = Date.now();
    expect(await bot.waitForSendSlot({ ...request, candidateIds: ['bot'] })).toMatchObject({ id: 'bot' });
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

  describe('when a response comes back', () => {
    const T = 60_000_000;
    let clock = T;
    const request = {
      channelId: '8',
      threadId: null,
      bucket: 'execute',
      candidateIds: ['80'],
      mayGrow: false,
    } as const;
    const bucketKey = () => buildBucketKey(prefix, 'record', '8', 'execute', '80');

    function headers(remaining: number, resetAfterMs: number): RateLimitObservation {
      return {
        bucket: 'abc',
        limit: 5,
        remaining,
        resetAfterMs,
        retryAfterMs: null,
        global: false,
        scope: null,
      };
    }

    /** Commands naming this test's keys that Redis received while `act` ran (a script counts once). */
    async function commandsSentDuring(act: () => Promise<void>): Promise<string[]> {
      // MONITOR reports in execution order: once the barrier shows, every command `act` sent has.
      const barrier = `${prefix}:barrier`;
      const sent: string[] = [];
      let reachBarrier = () => {};
      const barrierSeen = new Promise<void>((resolve) => {
        reachBarrier = resolve;
      });
      const monitor = await RedisMonitor.start(TEST_REDIS_URL, (command) => {
        if (command.line.includes(barrier)) reachBarrier();
        else if (!command.fromScript && command.line.includes(prefix)) sent.push(command.line);
      });
      try {
        await act();
        await redis.exists(barrier);
        await barrierSeen;
        return sent;
      } finally {
        monitor.close();
      }
    }

    it('records what the reservation did not expect, and nothing else', async () => {
      const limiter = new FleetRateLimiter({
        redis,
        logger,
        prefix,
        keyspace: 'record',
        globalRatePerSecond: 1000,
        now: () => clock,
      });
      async function sendAndRecord(sendAt: number, answeredAt: number, rateLimit: RateLimitObservation) {
        clock = sendAt;
        const slot = await limiter.waitForSendSlot(request);
        clock = answeredAt;
        return commandsSentDuring(() =>
          limiter.recordResponse({ ...request, slot, rateLimit, rateLimited: false }),
        );
      }
      // A window opening as the reservation assumed (Discord's documented 5 per 2 s): nothing to share.
      expect(await sendAndRecord(T, T + 10, headers(4, 2000))).toEqual([]);
      // The second send of the window, as the reservations counted it: nothing either.
      expect(await sendAndRecord(T + 50, T + 60, headers(3, 1940))).toEqual([]);
      // Discord counted a send we did not reserve (another client's): the bucket takes it.
      expect(await sendAndRecord(T + 100, T + 110, headers(1, 1890))).toHaveLength(1);
      expect((await redis.hget(bucketKey(), 'slots'))?.split(',')).toHaveLength(4);
      // A limit other than the one reserved under: every worker must use it.
      expect(await sendAndRecord(T + 150, T + 160, { ...headers(5, 1840), limit: 10 })).toHaveLength(1);
      expect(await redis.hget(bucketKey(), 'limit')).toBe('10');
    });
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
      expect(await limiter.waitForSendSlot(post)).toMatchObject({ id: '30' });
      expect(await limiter.waitForSendSlot(post)).toMatchObject({ id: '30' });
      const busy = await limiter.waitForSendSlot(post).catch((error: unknown) => error);
      expect(busy).toBeInstanceOf(ChannelBusyError);
      expect(busy).toMatchObject({ channelId: '3', reason: 'budget', maybeSent: false });
      // Its turn comes when the first send leaves the window (widened by the channel's 1 s margin), less half
      // the in-place wait it may take.
      expect((busy as ChannelBusyError).retryAt).toBe(now() + 60_000 + 1000 - 1000);
      const slots = await redis.hget(buildChannelKey(prefix, 'budget', '3'), 'slots');
      expect(slots?.split(',')).toHaveLength(2);
      expect(await limiter.waitForSendSlot({ ...post, channelId: '4' })).toMatchObject({ id: '30' });
    });

    it('pauses only that channel after a shared 429, and says which and for how long', async () => {
      const captured = createCapturedLogger('warn');
      const limiter = createBudgetedLimiter('paused', captured.logger);
      await limiter.recordResponse({
        channelId: '5',
        threadId: null,
        bucket: 'execute',
        slot: { id: '30', expectation: { limit: 5, windowMs: 2000, slots: [] } },
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
      expect(await limiter.waitForSendSlot({ ...post, channelId: '6' })).toMatchObject({ id: '30' });
      // The channel is paused, not the webhook's bucket.
      expect(
        await redis.hget(buildBucketKey(prefix, 'paused', '5', 'execute', '30'), 'blockedUntil'),
      ).toBeNull();
    });
  });
});
