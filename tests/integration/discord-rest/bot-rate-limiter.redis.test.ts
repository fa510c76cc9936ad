/**
 * The bot-token limiter's Lua on real Redis: two limiters on two clients share one budget, typing never waits
 * nor takes a slot from a waiting request, and a global 429 pauses every limiter. Time is injected (`now` is an
 * argument of every script), so the assertions are about counts per window, never about the wall clock.
 */
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BotRateLimiter } from '../../../src/discord-rest/index.js';
import { buildBotRequestSlotsKey } from '../../../src/discord-rest/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const RATE = 5;
const MARGIN = 30;
const SPAN = 1000 + MARGIN;
const T0 = 1_700_000_000_000;

let redis: Redis;
let other: Redis;
let prefix: string;
/** Every prefix a test used, deleted after it. */
const prefixes: string[] = [];

beforeAll(() => {
  redis = createTestRedis();
  other = createTestRedis();
});
afterEach(async () => {
  for (const used of prefixes.splice(0)) await deleteKeysWithPrefix(redis, used);
});
afterAll(async () => {
  redis.disconnect();
  other.disconnect();
});

/** Two limiters on separate clients, as two worker processes have them. */
function twoLimiters(): [BotRateLimiter, BotRateLimiter] {
  prefix = createTestPrefix();
  prefixes.push(prefix);
  return [
    new BotRateLimiter(redis, { prefix, ratePerSecond: RATE, marginMs: MARGIN }),
    new BotRateLimiter(other, { prefix, ratePerSecond: RATE, marginMs: MARGIN }),
  ];
}

/** Largest number of `times` inside any half-open window of `windowMs`. */
function maxInAnyWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let start = 0, end = 0; start < sorted.length; start += 1) {
    while (end < sorted.length && sorted[end]! < sorted[start]! + windowMs) end += 1;
    most = Math.max(most, end - start);
  }
  return most;
}

describe('BotRateLimiter', () => {
  describe('when two processes send at once', () => {
    it('shares one budget: no window of a second holds more than the rate', async () => {
      const limiters = twoLimiters();
      const sendTimes: number[] = [];
      for (let index = 0; index < 4 * RATE; index += 1) {
        const now = T0 + index * 10;
        sendTimes.push(now + (await limiters[index % 2]!.reserve(now)));
      }
      // A burst of the rate goes at once; everything else waits for later windows.
      expect(sendTimes.slice(0, RATE)).toEqual(sendTimes.slice(0, RATE).map((_, index) => T0 + index * 10));
      expect(maxInAnyWindow(sendTimes, SPAN)).toBe(RATE);
      expect(Math.max(...sendTimes)).toBeGreaterThanOrEqual(T0 + 3 * SPAN);
    });
  });

  describe('when the window is full', () => {
    it('skips typing and reserves nothing for it', async () => {
      const [limiter] = twoLimiters();
      for (let index = 0; index < RATE; index += 1) expect(await limiter.reserve(T0)).toBe(0);
      const before = await redis.zcard(buildBotRequestSlotsKey(prefix));
      expect(await limiter.tryTakeNow(T0 + 1)).toBe(false);
      expect(await redis.zcard(buildBotRequestSlotsKey(prefix))).toBe(before);
    });

    it('lets typing through again once the window has passed', async () => {
      const [limiter] = twoLimiters();
      for (let index = 0; index < RATE; index += 1) await limiter.reserve(T0);
      expect(await limiter.tryTakeNow(T0 + SPAN)).toBe(true);
    });
  });

  describe('when a reply is waiting for a slot', () => {
    it('skips typing until the reply has gone, then lets it use the room left', async () => {
      const [limiter, otherLimiter] = twoLimiters();
      for (let index = 0; index < RATE; index += 1) await limiter.reserve(T0);
      expect(await limiter.reserve(T0 + 100)).toBe(SPAN - 100);
      expect(await otherLimiter.tryTakeNow(T0 + SPAN - 1)).toBe(false);
      expect(await otherLimiter.tryTakeNow(T0 + SPAN)).toBe(true);
    });

    it('gives each reply the slot it would have had without the typing attempts', async () => {
      const replyWaits = async (withTyping: boolean) => {
        const [limiter, otherLimiter] = twoLimiters();
        for (let index = 0; index < RATE; index += 1) await limiter.reserve(T0);
        const waits: number[] = [];
        for (let index = 0; index < 2 * RATE; index += 1) {
          const now = T0 + 10 + index;
          if (withTyping) expect(await otherLimiter.tryTakeNow(now)).toBe(false);
          waits.push(await limiter.reserve(now));
        }
        return waits;
      };
      const alone = await replyWaits(false);
      expect(Math.min(...alone)).toBeGreaterThan(0);
      expect(await replyWaits(true)).toEqual(alone);
    });
  });

  describe('after a global 429', () => {
    it('makes every limiter wait out the retry-after', async () => {
      const [limiter, otherLimiter] = twoLimiters();
      expect(await limiter.block(T0, 2000)).toBe(true);
      expect(await otherLimiter.reserve(T0 + 500)).toBe(2000 + MARGIN - 500);
      expect(await otherLimiter.tryTakeNow(T0 + 500)).toBe(false);
      expect(await limiter.block(T0 + 100, 500)).toBe(false);
    });
  });
});
