/**
 * A channel's budget (Discord's hidden 30 per 60 s over all of a channel's webhooks) in the reservation script on
 * real Redis: the sliding window, the queue of waiters and its fairness, a shared 429's pause, and channels kept
 * apart. Time is injected (`now` is an argument of every script), so nothing here waits on the wall clock.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DefaultBucketDefaults } from '../../../../src/webhooks/rate-limiter/bucket-state.js';
import {
  buildBucketKey,
  buildChannelKey,
  buildChannelWaiterDeadlinesKey,
  buildChannelWaitersKey,
} from '../../../../src/webhooks/rate-limiter/keys.js';
import {
  type ChannelTurn,
  type ChannelUse,
  RateLimitRepository,
  type SendSlot,
} from '../../../../src/webhooks/rate-limiter/rate-limit-repository.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../../support/redis.js';

const KEYSPACE = 'webhooks';
const MARGIN = 20;
const LIMIT = 30;
const WINDOW = 60_000;
/** A channel's sends get a wider margin than the buckets'. */
const CHANNEL_MARGIN = 500;
const SPAN = WINDOW + MARGIN + CHANNEL_MARGIN;
const DEFER_AFTER = 2000;
const GRACE = 15_000;
const IDLE_TTL = 60_000;
/** Enough webhooks that no bucket binds: only the channel does. */
const POOL = Array.from({ length: 12 }, (_, index) => `w${index}`);
const T0 = 1_800_000_000_000;

/** Largest number of `times` inside any window of `windowMs` (closed at both ends: the strictest reading). */
function maxInAnyWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let start = 0, end = 0; start < sorted.length; start += 1) {
    while (end < sorted.length && sorted[end]! <= sorted[start]! + windowMs) end += 1;
    most = Math.max(most, end - start);
  }
  return most;
}

/** Send times are on the fleet-wide grid and waits rounded up: within a millisecond of the exact time. */
function expectNear(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1);
}

/** The turn a deferred waiter was given. */
function turnOf(reserved: SendSlot | ChannelTurn | null): ChannelTurn {
  if (reserved === null || 'webhookId' in reserved) throw new Error('expected a turn');
  return reserved;
}

function isSlot(reserved: SendSlot | ChannelTurn | null): reserved is SendSlot {
  return reserved !== null && 'webhookId' in reserved;
}

describe('a channel budget in the reservation script', () => {
  const prefix = createTestPrefix();
  let redis: Redis;
  let repository: RateLimitRepository;
  let channelCounter = 0;
  /** A fresh channel per test, so tests share no state. */
  const nextChannel = () => {
    channelCounter += 1;
    return `9${String(channelCounter).padStart(5, '0')}`;
  };

  const inPlace: ChannelUse = { budgeted: true, waiter: null };
  const asWaiter = (userId: string, requestId: string): ChannelUse => ({
    budgeted: true,
    waiter: { userId, requestId },
  });

  /** Reserves one send; `now + waitMs` of a slot, or the turn (or null). */
  function reserve(channelId: string, now: number, use: ChannelUse = inPlace) {
    return repository.reserveChannelSendSlot(channelId, 'execute', POOL, now, false, use);
  }

  /** Fills the channel's budget with `count` sends, `spacing` ms apart from `from`; returns their send times. */
  async function fill(channelId: string, from: number, spacing: number, count = LIMIT): Promise<number[]> {
    const times: number[] = [];
    for (let index = 0; index < count; index += 1) {
      const now = from + index * spacing;
      const slot = await reserve(channelId, now);
      if (!isSlot(slot)) throw new Error('expected a slot');
      times.push(now + slot.waitMs);
    }
    return times;
  }

  beforeAll(() => {
    redis = createTestRedis();
    repository = new RateLimitRepository({
      redis,
      prefix,
      keyspace: KEYSPACE,
      globalRatePerSecond: 100_000,
      marginMs: MARGIN,
      bucketDefaults: DefaultBucketDefaults,
      idleTtlMs: IDLE_TTL,
      channelBudget: { limit: LIMIT, windowMs: WINDOW },
      channelDeferAfterMs: DEFER_AFTER,
      channelWaiterGraceMs: GRACE,
      channelMarginMs: CHANNEL_MARGIN,
    });
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });

  describe('when requests wait in place', () => {
    it('never puts more than the budget in any window of window + margin', async () => {
      const channelId = nextChannel();
      const times: number[] = [];
      // 75 sends asked for in bursts: each is handed the channel's next slot.
      for (let index = 0; index < 75; index += 1) {
        const now = T0 + Math.floor(index / 25) * 7000;
        const slot = await reserve(channelId, now);
        if (!isSlot(slot)) throw new Error('expected a slot');
        times.push(now + slot.waitMs);
      }
      // Send times are rounded up to whole ms: two exactly a span apart may read a millisecond closer.
      expect(maxInAnyWindow(times, SPAN - 2)).toBe(LIMIT);
      // The 31st goes when the 1st leaves the window, not later.
      const sorted = [...times].sort((a, b) => a - b);
      expect(sorted[LIMIT]! - sorted[0]!).toBeGreaterThanOrEqual(SPAN);
      expect(sorted[LIMIT]! - sorted[0]!).toBeLessThan(SPAN + 2);
    });

    it('slows no other channel', async () => {
      const busy = nextChannel();
      await fill(busy, T0, 10);
      const late = await reserve(busy, T0 + 1000);
      expect(isSlot(late) && late.waitMs).toBeGreaterThan(55_000);
      const other = await reserve(nextChannel(), T0 + 1000);
      expect(isSlot(other) && other.waitMs).toBeLessThanOrEqual(1);
    });

    it('gives a released slot back to the channel', async () => {
      const channelId = nextChannel();
      const times = await fill(channelId, T0, 10, LIMIT - 1);
      const last = await reserve(channelId, T0 + 500);
      if (!isSlot(last)) throw new Error('expected a slot');
      // Its sender woke too late and gave it back: the channel has room for one more now, not two.
      await repository.releaseSendSlot(channelId, 'execute', last);
      const again = await reserve(channelId, T0 + 600);
      expect(isSlot(again) && again.waitMs).toBeLessThanOrEqual(1);
      const next = await reserve(channelId, T0 + 600);
      if (!isSlot(next)) throw new Error('expected a slot');
      expectNear(T0 + 600 + next.waitMs, times[0]! + SPAN);
    });

    it('gives a slot back in the same call that reserves again', async () => {
      const channelId = nextChannel();
      const times = await fill(channelId, T0, 10, LIMIT - 1);
      const last = await reserve(channelId, T0 + 500);
      if (!isSlot(last)) throw new Error('expected a slot');
      const again = await reserve(channelId, T0 + 600, { ...inPlace, giveBack: last });
      expect(isSlot(again) && again.waitMs).toBeLessThanOrEqual(1);
      const next = await reserve(channelId, T0 + 600);
      if (!isSlot(next)) throw new Error('expected a slot');
      expectNear(T0 + 600 + next.waitMs, times[0]! + SPAN);
    });

    it('gives a slot back even when the waiter giving it queues instead', async () => {
      const channelId = nextChannel();
      await fill(channelId, T0, 10, LIMIT - 1);
      const slot = await reserve(channelId, T0 + 400, asWaiter('1', 'late:0'));
      if (!isSlot(slot)) throw new Error('expected a slot');
      turnOf(await reserve(channelId, T0 + 450, asWaiter('2', 'queued:0')));
      // Not retaking: it queues behind the other waiter, and its slot is free for whoever comes first.
      turnOf(await reserve(channelId, T0 + 500, { ...asWaiter('1', 'late:0'), giveBack: slot }));
      const channelSlots = await redis.hget(buildChannelKey(prefix, KEYSPACE, channelId), 'slots');
      expect(channelSlots!.split(',')).toHaveLength(LIMIT - 1);
      expect(channelSlots!.split(',')).not.toContain(slot.token);
      const bucketKey = buildBucketKey(prefix, KEYSPACE, channelId, 'execute', slot.webhookId);
      expect((await redis.hget(bucketKey, 'slots'))!.split(',')).not.toContain(slot.token);
    });

    it('does not count requests outside the budget (edits)', async () => {
      const channelId = nextChannel();
      await fill(channelId, T0, 10);
      const edit = await repository.reserveChannelSendSlot(channelId, 'message', ['w0'], T0 + 400, false, {
        budgeted: false,
        waiter: null,
      });
      expect(isSlot(edit) && edit.waitMs).toBeLessThanOrEqual(1);
    });
  });

  describe('when a waiter would wait long', () => {
    it('reserves nothing and tells it to come back a little before its turn', async () => {
      const channelId = nextChannel();
      const times = await fill(channelId, T0, 100);
      const now = T0 + 5000;
      const turn = turnOf(await reserve(channelId, now, asWaiter('1', 'job-a:0')));
      expect(turn.blocked).toBe(false);
      expectNear(turn.waitMs, times[0]! + SPAN - now - DEFER_AFTER / 2);
      // Coming back then, it takes its slot and waits the rest in place.
      const back = now + turn.waitMs;
      const slot = await reserve(channelId, back, asWaiter('1', 'job-a:0'));
      if (!isSlot(slot)) throw new Error('expected a slot');
      expectNear(back + slot.waitMs, times[0]! + SPAN);
    });

    it("serves every user's first waiting post before a flooding user's next ones", async () => {
      const channelId = nextChannel();
      await fill(channelId, T0, 100);
      const flood = Array.from({ length: 6 }, (_, index) => asWaiter('100', `flood-${index}:0`));
      for (const use of flood) await reserve(channelId, T0 + 4000, use);
      // Light users arrive later, each with one post.
      const light = ['201', '202', '203'].map((userId) => asWaiter(userId, `light-${userId}:0`));
      for (const use of light) await reserve(channelId, T0 + 5000, use);
      // Asked again (as each comes back), every waiter learns its place: the light posts come right after the
      // flood's first, and the flood's others follow at the channel's pace.
      const waits = new Map<string, number>();
      for (const use of [...flood, ...light]) {
        waits.set(use.waiter!.requestId, turnOf(await reserve(channelId, T0 + 6000, use)).waitMs);
      }
      const order = [...waits.entries()].sort((a, b) => a[1] - b[1]).map(([requestId]) => requestId);
      expect(order.slice(0, 4)).toEqual(['flood-0:0', 'light-201:0', 'light-202:0', 'light-203:0']);
      expect(order.slice(4)).toEqual(['flood-1:0', 'flood-2:0', 'flood-3:0', 'flood-4:0', 'flood-5:0']);
    });

    it('does not let a newcomer jump the queue while others wait', async () => {
      const channelId = nextChannel();
      // The budget's sends 2 s apart: the second slot frees 2 s after the first.
      const times = await fill(channelId, T0, 2000);
      turnOf(await reserve(channelId, T0 + 58_010, asWaiter('1', 'first:0')));
      // Just before the first slot frees, a newcomer would be within its in-place wait, but one waits ahead.
      const now = times[0]! + SPAN - 500;
      const newcomer = turnOf(await reserve(channelId, now, asWaiter('2', 'second:0')));
      expectNear(newcomer.waitMs, times[1]! + SPAN - now - DEFER_AFTER / 2);
    });

    it('is not put off by a send another webhook reserved later in the channel', async () => {
      const channelId = nextChannel();
      // One webhook's bucket is blocked for 5 s: the send reserved on it lies ahead of the others'.
      await redis.hset(
        buildBucketKey(prefix, KEYSPACE, channelId, 'execute', 'w0'),
        'blockedUntil',
        String(T0 + 5000),
      );
      const ahead = await repository.reserveChannelSendSlot(channelId, 'execute', ['w0'], T0, false, inPlace);
      expect(isSlot(ahead) && ahead.waitMs).toBe(5000);
      const now = await reserve(channelId, T0 + 10, asWaiter('1', 'now:0'));
      expect(isSlot(now) && now.waitMs).toBeLessThanOrEqual(1);
    });

    it('lets a waiter retake a slot it gave back without queueing behind the others', async () => {
      const channelId = nextChannel();
      await fill(channelId, T0, 10, LIMIT - 1);
      const slot = await reserve(channelId, T0 + 400, asWaiter('1', 'late:0'));
      if (!isSlot(slot)) throw new Error('expected a slot');
      // The channel is full; another post queues for the next window.
      turnOf(await reserve(channelId, T0 + 450, asWaiter('2', 'queued:0')));
      // The first woke too late to send: it gives its slot back and takes it again, ahead of the queue.
      await repository.releaseSendSlot(channelId, 'execute', slot);
      const retaken = await repository.reserveChannelSendSlot(channelId, 'execute', POOL, T0 + 500, false, {
        ...asWaiter('1', 'late:0'),
        retaking: true,
      });
      expect(isSlot(retaken) && retaken.waitMs).toBeLessThanOrEqual(1);
    });

    it('forgets a waiter that does not come back within the grace', async () => {
      const channelId = nextChannel();
      const times = await fill(channelId, T0, 100);
      await reserve(channelId, T0 + 4000, asWaiter('1', 'gone:0'));
      const now = Math.ceil(times[0]! + SPAN) + GRACE + 1;
      // Past the lost waiter's turn and grace, a newcomer has the channel's free slots to itself.
      const slot = await reserve(channelId, now, asWaiter('2', 'here:0'));
      expect(isSlot(slot) && slot.waitMs).toBeLessThanOrEqual(1);
      expect(await redis.hget(buildChannelKey(prefix, KEYSPACE, channelId), 'w:1')).toBeNull();
    });
  });

  describe("when the channel's keys expire", () => {
    it('keeps the queue while a waiter may come back, and the channel while its slots count', async () => {
      const channelId = nextChannel();
      const channelKey = buildChannelKey(prefix, KEYSPACE, channelId);
      const queueKeys = [
        buildChannelWaitersKey(prefix, KEYSPACE, channelId),
        buildChannelWaiterDeadlinesKey(prefix, KEYSPACE, channelId),
      ];
      // Into an empty queue: only the channel's slots need keeping, a window and the idle time.
      const [first] = await fill(channelId, T0, 100);
      expect(await redis.pttl(channelKey)).toBeGreaterThan(SPAN + IDLE_TTL - 1000);
      for (const key of queueKeys) expect(await redis.exists(key)).toBe(0);
      // A waiter queued: every key lasts until its turn and grace are over, and the idle time after.
      const now = T0 + 5000;
      turnOf(await reserve(channelId, now, asWaiter('1', 'kept:0')));
      const keptFor = first! + SPAN + GRACE - now + IDLE_TTL;
      for (const key of [channelKey, ...queueKeys])
        expect(await redis.pttl(key)).toBeGreaterThan(keptFor - 1000);
      // Once it takes its slot the queue is empty, and gone.
      const slot = await reserve(channelId, first! + SPAN, asWaiter('1', 'kept:0'));
      expect(isSlot(slot)).toBe(true);
      for (const key of queueKeys) expect(await redis.exists(key)).toBe(0);
    });
  });

  describe('when Discord paused the channel with a shared 429', () => {
    it('holds every webhook of that channel until the pause ends, and no other channel', async () => {
      const channelId = nextChannel();
      await repository.blockChannel(channelId, T0, 40_000);
      const waiter = turnOf(await reserve(channelId, T0 + 1000, asWaiter('1', 'paused:0')));
      expect(waiter).toEqual({ waitMs: 39_000 + MARGIN - DEFER_AFTER / 2, blocked: true });
      const held = await reserve(channelId, T0 + 1000);
      if (!isSlot(held)) throw new Error('expected a slot');
      expectNear(held.waitMs, 39_000 + MARGIN);
      expect(await repository.fetchBlockMs(channelId, 'execute', 'w0', T0 + 1000)).toBe(39_000 + MARGIN);
      const other = await reserve(nextChannel(), T0 + 1000);
      expect(isSlot(other) && other.waitMs).toBeLessThanOrEqual(1);
    });
  });
});
