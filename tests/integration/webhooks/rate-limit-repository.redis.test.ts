/**
 * The webhook limiters' Lua on real Redis: keyspace-level behaviour (atomic reservations from two clients, state
 * shared between them) that a unit test cannot show. Time is injected (`now` is an argument of every script), so
 * the assertions are about counts per window, never about the wall clock.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeBucketFreeAt, DefaultBucketDefaults } from '../../../src/webhooks/bucket-state.js';
import type { RateLimitObservation } from '../../../src/webhooks/rate-limit-headers.js';
import { RateLimitRepository } from '../../../src/webhooks/rate-limit-repository.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const MARGIN = 20;
const RATE = 50;

/** Largest number of `slots` inside any half-open window of `windowMs`. */
function maxInAnyWindow(slots: readonly number[], windowMs: number): number {
  const sorted = [...slots].sort((a, b) => a - b);
  let most = 0;
  for (let start = 0, end = 0; start < sorted.length; start += 1) {
    while (end < sorted.length && sorted[end]! < sorted[start]! + windowMs) end += 1;
    most = Math.max(most, end - start);
  }
  return most;
}

function observation(overrides: Partial<RateLimitObservation>): RateLimitObservation {
  return {
    bucket: null,
    limit: null,
    remaining: null,
    resetAfterMs: null,
    retryAfterMs: null,
    global: false,
    scope: null,
    ...overrides,
  };
}

describe('RateLimitRepository', () => {
  const prefix = createTestPrefix();
  let redisA: Redis;
  let redisB: Redis;
  let workerA: RateLimitRepository;
  let workerB: RateLimitRepository;

  beforeAll(() => {
    redisA = createTestRedis();
    redisB = createTestRedis();
    const options = {
      prefix,
      globalRatePerSecond: RATE,
      marginMs: MARGIN,
      bucketDefaults: DefaultBucketDefaults,
      idleTtlMs: 60_000,
    };
    workerA = new RateLimitRepository({ ...options, redis: redisA });
    workerB = new RateLimitRepository({ ...options, redis: redisB });
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(redisA, prefix);
    redisA.disconnect();
    redisB.disconnect();
  });

  describe('the fleet-wide limiter', () => {
    it('never lets two clients exceed the rate in any window, even sending up to the margin late', async () => {
      const slots: number[] = [];
      // 400 callers over 2 s of arrivals (4 per 20 ms step), alternating between the two clients.
      for (let step = 0; step < 100; step += 1) {
        const now = 10_000_000 + step * 20;
        const waits = await Promise.all(
          [workerA, workerB, workerA, workerB].map((worker) => worker.reserveGlobalSlot(now)),
        );
        slots.push(...waits.map((wait) => now + wait));
      }
      expect(slots).toHaveLength(400);
      expect(new Set(slots.map((slot) => Math.floor(slot))).size).toBeGreaterThan(350);
      expect(maxInAnyWindow(slots, 1000)).toBeLessThanOrEqual(RATE);
      // Every send may arrive up to MARGIN late and still not crowd a window.
      const sorted = [...slots].sort((a, b) => a - b);
      for (let i = 0; i + RATE < sorted.length; i += 1) {
        expect(sorted[i + RATE]! - sorted[i]!).toBeGreaterThanOrEqual(1000 + MARGIN - 1);
      }
    });

    it('makes every client wait out a global 429', async () => {
      const now = 20_000_000;
      expect(await workerA.deferGlobalSlots(now, 1500)).toBe(true);
      expect(await workerB.reserveGlobalSlot(now)).toBeGreaterThanOrEqual(1500 + MARGIN);
      // A shorter block does not pull the slot earlier.
      expect(await workerB.deferGlobalSlots(now, 10)).toBe(false);
    });
  });

  describe('a webhook bucket', () => {
    it('hands two clients at most `limit` slots per window + margin', async () => {
      const now = 30_000_000;
      const waits = await Promise.all(
        Array.from({ length: 23 }, (_, index) =>
          (index % 2 === 0 ? workerA : workerB).reserveBucketSlot('100', 'hash', '1', now),
        ),
      );
      const slots = waits.map((wait) => now + wait).sort((a, b) => a - b);
      expect(slots.filter((slot) => slot === now)).toHaveLength(5);
      for (let i = 0; i + 5 < slots.length; i += 1) {
        expect(slots[i + 5]! - slots[i]!).toBeGreaterThanOrEqual(2000 + MARGIN);
      }
    });

    it('agrees with computeBucketFreeAt on when the next slot is', async () => {
      const now = 40_000_000;
      for (const offset of [0, 10, 20, 400, 900, 950])
        await workerA.reserveBucketSlot('101', 'hash', '2', now + offset);
      const later = now + 1000;
      const [state] = await workerB.fetchBucketStates('101', 'hash', ['2']);
      const predicted = computeBucketFreeAt(state!, later, MARGIN);
      expect(later + (await workerB.reserveBucketSlot('101', 'hash', '2', later))).toBe(predicted);
    });

    it('keeps webhooks of one channel apart', async () => {
      const now = 50_000_000;
      for (let i = 0; i < 5; i += 1) await workerA.reserveBucketSlot('102', 'hash', '3', now);
      expect(await workerB.reserveBucketSlot('102', 'hash', '4', now)).toBe(0);
      expect(await workerB.reserveBucketSlot('102', 'hash', '3', now)).toBeGreaterThan(0);
    });
  });

  describe('when Discord reports on a bucket', () => {
    it('blocks every client until the reset when nothing remains', async () => {
      const now = 60_000_000;
      await workerA.recordBucketResponse(
        '200',
        'hash',
        '1',
        now,
        observation({ limit: 5, remaining: 0, resetAfterMs: 800 }),
        false,
      );
      expect(await workerB.reserveBucketSlot('200', 'hash', '1', now)).toBe(800 + MARGIN);
    });

    it('blocks for a 429 retry_after', async () => {
      const now = 61_000_000;
      const blockedUntil = await workerA.recordBucketResponse(
        '201',
        'hash',
        '1',
        now,
        observation({ retryAfterMs: 1200 }),
        true,
      );
      expect(blockedUntil).toBe(now + 1200 + MARGIN);
      expect(await workerB.reserveBucketSlot('201', 'hash', '1', now + 100)).toBe(1100 + MARGIN);
    });

    it("learns the limit and the window from a window's first response", async () => {
      const now = 62_000_000;
      await workerA.recordBucketResponse(
        '202',
        'hash',
        '1',
        now,
        observation({ limit: 2, remaining: 1, resetAfterMs: 200 }),
        false,
      );
      const [state] = await workerB.fetchBucketStates('202', 'hash', ['1']);
      expect(state).toMatchObject({ limit: 2, windowMs: 200 });
    });

    it('counts requests Discord saw but we did not reserve', async () => {
      const now = 63_000_000;
      // Discord says 4 of 5 are spent in the open window; we reserved none.
      await workerA.recordBucketResponse(
        '203',
        'hash',
        '1',
        now,
        observation({ limit: 5, remaining: 1, resetAfterMs: 1500 }),
        false,
      );
      expect(await workerB.reserveBucketSlot('203', 'hash', '1', now)).toBe(0);
      // Those four sat at the start of Discord's window (2000 - 1500 ms ago): the next slot follows its reset.
      expect(await workerB.reserveBucketSlot('203', 'hash', '1', now)).toBe(1500 + MARGIN);
    });
  });
});
