/**
 * The webhook limiters' Lua on real Redis: keyspace-level behaviour (atomic reservations from two clients, state
 * shared between them) that a unit test cannot show. Time is injected (`now` is an argument of every script), so
 * the assertions are about counts per window, never about the wall clock.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DefaultBucketDefaults } from '../../../../src/webhooks/rate-limiter/bucket-state.js';
import {
  buildBucketKey,
  buildChannelKey,
  buildGlobalSlotsKey,
} from '../../../../src/webhooks/rate-limiter/keys.js';
import type { RateLimitObservation } from '../../../../src/webhooks/rate-limiter/rate-limit-headers.js';
import { RateLimitRepository } from '../../../../src/webhooks/rate-limiter/rate-limit-repository.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../../support/redis.js';

const KEYSPACE = 'webhooks';

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

/** Reserves one send on a single webhook's execute bucket; resolves to the ms to wait. */
async function reserveOn(client: RateLimitRepository, channelId: string, webhookId: string, now: number) {
  const slot = await client.reserveSendSlot(channelId, 'execute', [webhookId], now, false);
  return slot!.waitMs;
}

/** Send times of `requests`, reserved one by one, cycling over `clients`. */
async function reserveMany(
  clients: readonly RateLimitRepository[],
  requests: ReadonlyArray<{ readonly now: number; readonly channelId: string; readonly webhookId: string }>,
): Promise<number[]> {
  const sendTimes: number[] = [];
  for (let index = 0; index < requests.length; index += 1) {
    const { now, channelId, webhookId } = requests[index]!;
    sendTimes.push(now + (await reserveOn(clients[index % clients.length]!, channelId, webhookId, now)));
  }
  return sendTimes;
}

describe('RateLimitRepository', () => {
  const prefix = createTestPrefix();
  /** Its own prefix and a huge rate, so the fleet-wide limiter binds nothing in the bucket tests. */
  const fastPrefix = createTestPrefix();
  let redisA: Redis;
  let redisB: Redis;
  let workerA: RateLimitRepository;
  let workerB: RateLimitRepository;
  let fastA: RateLimitRepository;
  let fastB: RateLimitRepository;

  beforeAll(() => {
    redisA = createTestRedis();
    redisB = createTestRedis();
    const options = {
      prefix,
      keyspace: KEYSPACE,
      globalRatePerSecond: RATE,
      marginMs: MARGIN,
      bucketDefaults: DefaultBucketDefaults,
      idleTtlMs: 60_000,
      channelBudget: null,
      channelDeferAfterMs: 2000,
      channelWaiterGraceMs: 15_000,
      channelMarginMs: 1000,
    };
    workerA = new RateLimitRepository({ ...options, redis: redisA });
    workerB = new RateLimitRepository({ ...options, redis: redisB });
    const fast = { ...options, prefix: fastPrefix, globalRatePerSecond: 100_000 };
    fastA = new RateLimitRepository({ ...fast, redis: redisA });
    fastB = new RateLimitRepository({ ...fast, redis: redisB });
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(redisA, prefix);
    await deleteKeysWithPrefix(redisA, fastPrefix);
    redisA.disconnect();
    redisB.disconnect();
  });

  describe('the fleet-wide limiter', () => {
    it('never lets two clients exceed the rate in any window, even sending up to the margin late', async () => {
      // 400 callers over 2 s of arrivals (4 per 20 ms step), alternating between the two clients, each on a
      // webhook of its own so only the fleet-wide limit binds.
      const requests = Array.from({ length: 400 }, (_, index) => ({
        now: 10_000_000 + Math.floor(index / 4) * 20,
        channelId: String(index % 40),
        webhookId: `w${index}`,
      }));
      const slots = await reserveMany([workerA, workerB], requests);
      expect(new Set(slots).size).toBe(400);
      expect(maxInAnyWindow(slots, 1000)).toBeLessThanOrEqual(RATE);
      // Every send may arrive up to MARGIN late and still not crowd a window.
      const sorted = [...slots].sort((a, b) => a - b);
      for (let i = 0; i + RATE < sorted.length; i += 1) {
        expect(sorted[i + RATE]! - sorted[i]!).toBeGreaterThanOrEqual(1000 + MARGIN - 1);
      }
    });

    it('gives a turn a busy bucket cannot use to another bucket, and keeps both rules', async () => {
      // 20 channels' webhooks, 12 requests each, arriving interleaved: each bucket is full after 5, so later
      // requests of a bucket wait for its window while the fleet-wide slots in between go to other buckets.
      const requests = Array.from({ length: 240 }, (_, index) => ({
        now: 15_000_000 + index,
        channelId: String(300 + (index % 20)),
        webhookId: `busy${index % 20}`,
      }));
      const slots = await reserveMany([workerA, workerB], requests);
      const interval = (1000 + MARGIN) / RATE;
      const sorted = [...slots].sort((a, b) => a - b);
      for (let i = 1; i < sorted.length; i += 1) {
        expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(Math.floor(interval));
      }
      for (let webhook = 0; webhook < 20; webhook += 1) {
        const own = slots.filter((_, index) => index % 20 === webhook);
        for (let i = 0; i + 5 < own.length; i += 1) {
          expect(own[i + 5]! - own[i]!).toBeGreaterThanOrEqual(2000 + MARGIN);
        }
      }
      // Both limits bind (20 buckets × 5 per 2.02 s ≈ the fleet's 49/s), yet hardly a turn is lost.
      expect(sorted.at(-1)! - sorted[0]!).toBeLessThan(240 * interval * 1.15);
    });

    it('lines a send up with the ones reserved before it, so no sliver between two goes unused', async () => {
      const now = 16_000_000;
      const interval = (1000 + MARGIN) / RATE;
      // 20 buckets that Discord reopens 1.37 intervals apart, 5 requests each, interleaved. Placed where its
      // bucket allows, each first send would leave 0.37 of an interval on either side, which nothing fits.
      for (let bucket = 0; bucket < 20; bucket += 1) {
        const reopensInMs = Math.round(1.37 * interval * bucket);
        await workerA.recordBucketResponse(
          String(400 + bucket),
          'execute',
          `odd${bucket}`,
          now,
          observation({ limit: 5, remaining: 0, resetAfterMs: reopensInMs }),
          false,
        );
      }
      const requests = Array.from({ length: 100 }, (_, index) => ({
        now,
        channelId: String(400 + (index % 20)),
        webhookId: `odd${index % 20}`,
      }));
      const sorted = (await reserveMany([workerA, workerB], requests)).sort((a, b) => a - b);
      for (let i = 1; i < sorted.length; i += 1) {
        expect(sorted[i]! - sorted[i - 1]!).toBeGreaterThanOrEqual(Math.floor(interval));
      }
      // 100 sends in about 100 intervals (unaligned: 107).
      expect(sorted.at(-1)! - sorted[0]!).toBeLessThan(100 * interval * 1.02);
    });

    it('puts a send reserved far ahead on the same grid as the ones that fill in before it', async () => {
      const now = 18_000_000;
      const interval = (1000 + MARGIN) / RATE;
      const fill = (from: number, count: number) =>
        Array.from({ length: count }, (_, index) => ({
          now,
          channelId: String(600 + from + index),
          webhookId: `fill${from + index}`,
        }));
      // Thirty webhooks with room fill the fleet's next 30 turns.
      const first = await reserveMany([workerA, workerB], fill(0, 30));
      // A bucket Discord reopens 40.4 intervals from now reserves next, where nothing is reserved yet.
      await workerA.recordBucketResponse(
        '500',
        'execute',
        'ahead',
        now,
        observation({ limit: 5, remaining: 0, resetAfterMs: 40.4 * interval }),
        false,
      );
      const ahead = now + (await reserveOn(workerA, '500', 'ahead', now));
      // More sends fill in up to it. Placed where its bucket allowed, it would sit 0.4 of an interval past the
      // grid the others line up on, and the sliver before it would be lost.
      const later = await reserveMany([workerA, workerB], fill(30, 12));
      const sorted = [...first, ahead, ...later].sort((a, b) => a - b);
      for (let i = 1; i < sorted.length; i += 1) {
        expect(Math.abs(sorted[i]! - sorted[i - 1]! - interval)).toBeLessThanOrEqual(1);
      }
    });

    it('sets no grid once the fleet is idle again: a lone send goes at once', async () => {
      const now = 19_000_000;
      expect(await reserveOn(workerA, '520', 'lone1', now)).toBe(0);
      // Past the first send's turn, nothing is reserved: the next one needs no lining up.
      expect(await reserveOn(workerB, '521', 'lone2', now + 1.37 * ((1000 + MARGIN) / RATE))).toBe(0);
    });

    it('makes every client wait out a global 429', async () => {
      const now = 20_000_000;
      expect(await workerA.deferGlobalSlots(now, 1500)).toBe(true);
      expect(await reserveOn(workerB, '1', 'g1', now)).toBeGreaterThanOrEqual(1500 + MARGIN);
      expect(await workerA.fetchBlockMs('2', 'execute', 'g2', now)).toBe(1500 + MARGIN);
      // A shorter block does not pull the slot earlier.
      expect(await workerB.deferGlobalSlots(now, 10)).toBe(false);
    });

    it('keeps its reservations bounded and its TTL past the newest, though it prunes only now and then', async () => {
      const interval = (1000 + MARGIN) / RATE;
      const globalKey = buildGlobalSlotsKey(prefix, KEYSPACE);
      const start = 21_000_000;
      let most = 0;
      // A lone channel every 3 intervals for 600 intervals: a new newest each time, past ones pile up between prunes.
      for (let step = 0; step < 200; step += 1) {
        const now = start + step * 3 * interval;
        expect(await reserveOn(workerA, '530', `steady${step % 10}`, now)).toBeLessThanOrEqual(
          Math.ceil(interval),
        );
        most = Math.max(most, await redisA.zcard(globalKey));
      }
      // 32 intervals between prunes, one send every 3: at most about 11 past ones besides the live one.
      expect(most).toBeLessThanOrEqual(14);
      // A send that fills in before the newest leaves the TTL the newest set.
      const now = start + 600 * 3 * interval;
      await workerA.recordBucketResponse(
        '531',
        'execute',
        'late',
        now,
        observation({ limit: 5, remaining: 0, resetAfterMs: 3000 }),
        false,
      );
      const late = await reserveOn(workerA, '531', 'late', now);
      const ttlAfterLate = await redisA.pttl(globalKey);
      expect(ttlAfterLate).toBeGreaterThanOrEqual(late + interval);
      await reserveOn(workerB, '532', 'early', now);
      expect(await redisA.pttl(globalKey)).toBeGreaterThanOrEqual(ttlAfterLate - 50);
    });

    it('keeps the set past each newest reservation, though only the first of a period moves its TTL', async () => {
      const interval = (1000 + MARGIN) / RATE;
      const globalKey = buildGlobalSlotsKey(prefix, KEYSPACE);
      // Just past the start of a period (32 intervals), so 30 sends one interval apart all fall within it.
      const now = Math.ceil(36_000 * 32 * interval) + 1;
      let lastWait = 0;
      for (let index = 0; index < 30; index += 1) {
        lastWait = await reserveOn(workerA, String(700 + index), 'period', now);
        expect(await redisA.pttl(globalKey)).toBeGreaterThan(lastWait + interval + 900);
      }
      expect(lastWait).toBeGreaterThan(28 * interval);
    });

    it("ignores the previous version's grid key and lines up on the reservations held", async () => {
      const now = 22_000_000;
      const interval = (1000 + MARGIN) / RATE;
      const held = now + 0.3 * interval;
      // What the previous version left: a held reservation, and a grid origin its workers kept apart.
      await redisA.zadd(buildGlobalSlotsKey(prefix, KEYSPACE), held, held.toFixed(3));
      await redisA.set(
        `${prefix}:${KEYSPACE}:{rate}:global-grid`,
        String(now + 0.55 * interval),
        'PX',
        60_000,
      );
      const wait = await reserveOn(workerA, '540', 'legacy', now);
      // The next point of the held reservation's grid, not of the stale origin's.
      expect(wait).toBe(Math.ceil(held + interval - now));
    });
  });

  describe('a webhook bucket', () => {
    it('hands two clients at most `limit` slots per window + margin', async () => {
      const now = 30_000_000;
      const waits = await Promise.all(
        Array.from({ length: 23 }, (_, index) => reserveOn(index % 2 === 0 ? fastA : fastB, '100', '1', now)),
      );
      const slots = waits.map((wait) => now + wait).sort((a, b) => a - b);
      // Waits are whole ms, rounded up; the fleet-wide limiter spaces even the free ones by its (tiny) interval.
      expect(slots.filter((slot) => slot <= now + 1)).toHaveLength(5);
      for (let i = 0; i + 5 < slots.length; i += 1) {
        expect(slots[i + 5]! - slots[i]!).toBeGreaterThanOrEqual(2000 + MARGIN);
      }
    });

    it('follows its newest slot, and its 5th newest by a window + margin', async () => {
      const now = 40_000_000;
      for (const offset of [0, 10, 20, 400]) await reserveOn(fastA, '101', '2', now + offset);
      // In order: no earlier than the newest reserved slot (and a fleet-wide interval after it, rounded up).
      expect(await reserveOn(fastB, '101', '2', now + 100)).toBe(301);
      // Five reserved: the next follows the 5th newest (at +0) by the window and the margin.
      expect(await reserveOn(fastB, '101', '2', now + 1000)).toBe(2000 + MARGIN - 1000);
    });

    it('keeps webhooks of one channel, and buckets of one webhook, apart', async () => {
      const now = 50_000_000;
      for (let i = 0; i < 5; i += 1) await reserveOn(fastA, '102', '3', now);
      expect(await reserveOn(fastB, '102', '4', now)).toBeLessThanOrEqual(1);
      expect((await fastB.reserveSendSlot('102', 'message', ['3'], now, false))!.waitMs).toBeLessThanOrEqual(
        1,
      );
      expect(await reserveOn(fastB, '102', '3', now)).toBeGreaterThan(2000);
    });

    it('outlives its slots by the idle TTL, moved only when short and never shortened by a report', async () => {
      const now = 55_000_000;
      const key = buildBucketKey(fastPrefix, KEYSPACE, '190', 'execute', '5');
      const span = DefaultBucketDefaults.windowMs + MARGIN;
      await reserveOn(fastA, '190', '5', now);
      const keptUntil = Number(await redisA.hget(key, 'keptUntil'));
      expect(keptUntil).toBeGreaterThanOrEqual(now + span + 60_000);
      expect(await redisA.pttl(key)).toBeGreaterThan(keptUntil - now - 1000);
      // A second slot still within it moves nothing.
      await reserveOn(fastB, '190', '5', now + 10);
      expect(Number(await redisA.hget(key, 'keptUntil'))).toBe(keptUntil);
      // A report whose own TTL would be shorter leaves the key until keptUntil.
      await fastA.recordBucketResponse(
        '190',
        'execute',
        '5',
        now + 20,
        observation({ limit: 5, remaining: 3, resetAfterMs: 100 }),
        false,
      );
      expect(await redisA.pttl(key)).toBeGreaterThan(keptUntil - now - 1000);
    });

    it('sets the TTL of a bucket the previous version wrote, which has no keptUntil', async () => {
      const now = 56_000_000;
      const key = buildBucketKey(fastPrefix, KEYSPACE, '191', 'execute', '6');
      await redisA.hset(key, 'limit', 5, 'windowMs', 2000, 'slots', String(now - 100));
      await redisA.pexpire(key, 500);
      await reserveOn(fastA, '191', '6', now);
      expect(await redisA.pttl(key)).toBeGreaterThan(2000 + MARGIN + 60_000 - 1000);
      expect(Number(await redisA.hget(key, 'keptUntil'))).toBeGreaterThanOrEqual(
        now + 2000 + MARGIN + 60_000,
      );
    });
  });

  describe('a reservation that went unused', () => {
    it('counts no more against its bucket once given back', async () => {
      const now = 57_000_000;
      const slots = [];
      for (let i = 0; i < 5; i += 1)
        slots.push((await fastA.reserveSendSlot('105', 'execute', ['a'], now, false))!);
      await fastB.releaseSendSlot('105', 'execute', slots[2]!);
      expect(await reserveOn(fastB, '105', 'a', now)).toBeLessThanOrEqual(1);
      expect(await reserveOn(fastB, '105', 'a', now)).toBeGreaterThan(2000);
    });

    it('is given back by the same call that reserves again', async () => {
      const now = 59_000_000;
      const slots = [];
      for (let i = 0; i < 5; i += 1)
        slots.push((await fastA.reserveSendSlot('109', 'execute', ['a'], now, false))!);
      const again = await fastB.reserveChannelSendSlot('109', 'execute', ['b', 'a'], now, false, {
        budgeted: false,
        waiter: null,
        retaking: true,
        giveBack: slots[4]!,
      });
      // 'b' is idle, so the new slot is there; 'a' has room again for one send now.
      expect(again).toMatchObject({ webhookId: 'b' });
      expect(await reserveOn(fastB, '109', 'a', now)).toBeLessThanOrEqual(1);
      expect(await reserveOn(fastB, '109', 'a', now)).toBeGreaterThan(2000);
    });

    it('is given back on the bucket that takes the new slot, and from its channel', async () => {
      const now = 59_500_000;
      const slots = [];
      for (let i = 0; i < 5; i += 1)
        slots.push((await fastA.reserveSendSlot('192', 'execute', ['a'], now, false))!);
      // As a budgeted reservation left it in the channel's slots.
      const channelKey = buildChannelKey(fastPrefix, KEYSPACE, '192');
      await redisA.hset(channelKey, 'slots', `${(now - 5).toFixed(3)},${slots[4]!.token}`);
      await redisA.pexpire(channelKey, 60_000);
      const again = await fastB.reserveChannelSendSlot('192', 'execute', ['a'], now, false, {
        budgeted: false,
        waiter: null,
        retaking: true,
        giveBack: slots[4]!,
      });
      expect(again).toMatchObject({ webhookId: 'a' });
      expect((again as { waitMs: number }).waitMs).toBeLessThanOrEqual(1);
      const bucketSlots = await redisA.hget(
        buildBucketKey(fastPrefix, KEYSPACE, '192', 'execute', 'a'),
        'slots',
      );
      expect(bucketSlots!.split(',')).toHaveLength(5);
      expect(await redisA.hget(channelKey, 'slots')).toBe((now - 5).toFixed(3));
      expect(await reserveOn(fastB, '192', 'a', now)).toBeGreaterThan(2000);
    });

    it('is given back even when the pool must grow first', async () => {
      const now = 59_700_000;
      const given = (await fastA.reserveSendSlot('193', 'execute', ['a'], now, false))!;
      await fastA.recordBucketResponse(
        '193',
        'execute',
        'a',
        now,
        observation({ limit: 5, remaining: 0, resetAfterMs: 1500 }),
        false,
      );
      const again = await fastB.reserveChannelSendSlot('193', 'execute', ['a'], now, true, {
        budgeted: false,
        waiter: null,
        giveBack: given,
      });
      expect(again).toBeNull();
      // Discord's report added the 4 it counted beyond ours; ours is gone.
      const left = await redisA.hget(buildBucketKey(fastPrefix, KEYSPACE, '193', 'execute', 'a'), 'slots');
      expect(left!.split(',')).toHaveLength(4);
      expect(left!.split(',')).not.toContain(given.token);
    });

    it('frees its fleet-wide turn for another request', async () => {
      const now = 58_000_000;
      const first = (await workerA.reserveSendSlot('106', 'execute', ['x'], now, false))!;
      expect(await reserveOn(workerB, '107', 'y', now)).toBeGreaterThanOrEqual(20);
      await workerA.releaseSendSlot('106', 'execute', first);
      expect(await reserveOn(workerB, '108', 'z', now)).toBe(0);
    });
  });

  describe("a channel's pool", () => {
    it('spreads concurrent requests of two clients over its webhooks', async () => {
      const now = 55_000_000;
      const slots = await Promise.all(
        Array.from({ length: 10 }, (_, index) =>
          (index % 2 === 0 ? fastA : fastB).reserveSendSlot('103', 'execute', ['a', 'b'], now, false),
        ),
      );
      const used = slots.map((slot) => slot!.webhookId);
      expect(used.filter((id) => id === 'a')).toHaveLength(5);
      expect(used.filter((id) => id === 'b')).toHaveLength(5);
      expect(Math.max(...slots.map((slot) => slot!.waitMs))).toBeLessThanOrEqual(1);
      // Both full: the next waits a window, on whichever frees first.
      expect((await fastA.reserveSendSlot('103', 'execute', ['a', 'b'], now, false))!.waitMs).toBeGreaterThan(
        2000,
      );
    });

    it('asks to grow, reserving nothing, only when every webhook is full and it may grow', async () => {
      const now = 56_000_000;
      for (let i = 0; i < 5; i += 1) await reserveOn(fastA, '104', 'a', now);
      expect(await fastB.reserveSendSlot('104', 'execute', ['a'], now, true)).toBeNull();
      expect(
        (await redisA.hget(buildBucketKey(fastPrefix, KEYSPACE, '104', 'execute', 'a'), 'slots'))!.split(','),
      ).toHaveLength(5);
      // With room on one webhook there is no growing.
      expect(await fastB.reserveSendSlot('104', 'execute', ['a', 'b'], now, true)).toMatchObject({
        webhookId: 'b',
      });
      // Not allowed to grow: it waits on the full one instead.
      expect((await fastB.reserveSendSlot('104', 'execute', ['a'], now, false))!.waitMs).toBeGreaterThan(
        2000,
      );
    });
  });

  describe('when Discord reports on a bucket', () => {
    it('blocks every client until the reset when nothing remains', async () => {
      const now = 60_000_000;
      await fastA.recordBucketResponse(
        '200',
        'execute',
        '1',
        now,
        observation({ limit: 5, remaining: 0, resetAfterMs: 800 }),
        false,
      );
      // Discord's reset is exact and a later send arrives later still: the block adds no margin.
      expect(await fastB.fetchBlockMs('200', 'execute', '1', now)).toBe(800);
      // The five requests Discord counted were none of ours: they stand in as slots at its window's start, and
      // a slot keeps the window + margin.
      expect(await reserveOn(fastB, '200', '1', now)).toBe(800 + MARGIN);
    });

    it('blocks for a 429 retry_after', async () => {
      const now = 61_000_000;
      const blockedUntil = await fastA.recordBucketResponse(
        '201',
        'execute',
        '1',
        now,
        observation({ retryAfterMs: 1200 }),
        true,
      );
      expect(blockedUntil).toBe(now + 1200 + MARGIN);
      expect(await reserveOn(fastB, '201', '1', now + 100)).toBe(1100 + MARGIN);
      expect(await fastB.fetchBlockMs('201', 'execute', '2', now + 100)).toBe(0);
    });

    it("learns the limit and the window from a window's first response", async () => {
      const now = 62_000_000;
      await fastA.recordBucketResponse(
        '202',
        'execute',
        '1',
        now,
        observation({ limit: 2, remaining: 1, resetAfterMs: 200 }),
        false,
      );
      expect(await redisB.hgetall(buildBucketKey(fastPrefix, KEYSPACE, '202', 'execute', '1'))).toMatchObject(
        {
          limit: '2',
          windowMs: '200',
        },
      );
      // Two per 200 ms + margin from now on.
      const waits = [];
      for (let i = 0; i < 3; i += 1) waits.push(await reserveOn(fastB, '202', '1', now));
      expect(waits[2]).toBeGreaterThanOrEqual(200 + MARGIN);
    });

    it("gives a webhook new to the pool the shape another one learned, before Discord's defaults", async () => {
      const now = 64_000_000;
      // Webhook a learned 2 per 200 ms, and is now empty for a while; b has never sent.
      await fastA.recordBucketResponse(
        '204',
        'execute',
        'a',
        now,
        observation({ limit: 2, remaining: 1, resetAfterMs: 200 }),
        false,
      );
      await fastA.recordBucketResponse(
        '204',
        'execute',
        'a',
        now,
        observation({ limit: 2, remaining: 0, resetAfterMs: 5000 }),
        false,
      );
      const waits = [];
      for (let i = 0; i < 3; i += 1) {
        const slot = await fastB.reserveSendSlot('204', 'execute', ['a', 'b'], now, false);
        expect(slot?.webhookId).toBe('b');
        waits.push(slot!.waitMs);
      }
      expect(waits[2]).toBeGreaterThanOrEqual(200 + MARGIN);
      expect(waits[2]).toBeLessThan(2000);
    });

    it('counts requests Discord saw but we did not reserve', async () => {
      const now = 63_000_000;
      // Discord says 4 of 5 are spent in the open window; we reserved none.
      await fastA.recordBucketResponse(
        '203',
        'execute',
        '1',
        now,
        observation({ limit: 5, remaining: 1, resetAfterMs: 1500 }),
        false,
      );
      expect(await reserveOn(fastB, '203', '1', now)).toBe(0);
      // Those four sat at the start of Discord's window (2000 - 1500 ms ago): the next slot follows its reset.
      expect(await reserveOn(fastB, '203', '1', now)).toBe(1500 + MARGIN);
    });
  });
});
