/**
 * ChannelActivityRepository against real Redis: the newest id, and the newest a person wrote, only move
 * forward, and expire.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisBatch } from '../../../src/redis/index.js';
import { ChannelActivityRepository } from '../../../src/state/index.js';
import { buildChannelLatestHumanKey, buildChannelLatestKey } from '../../../src/state/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const redis = createTestRedis();
const CHANNEL = '100000000000000001';
let prefix: string;

beforeEach(() => {
  prefix = createTestPrefix();
});

afterEach(async () => {
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

describe('ChannelActivityRepository', () => {
  describe('when nothing is recorded yet', () => {
    it('records the message with the TTL', async () => {
      const activity = new ChannelActivityRepository(redis, { prefix, ttlSeconds: 120 });
      await activity.recordLatest(CHANNEL, '1574419278348681217');
      expect(await activity.fetchLatest(CHANNEL)).toBe('1574419278348681217');
      const ttl = await redis.ttl(buildChannelLatestKey(prefix, CHANNEL));
      expect(ttl).toBeGreaterThan(100);
      expect(ttl).toBeLessThanOrEqual(120);
    });
  });

  describe('when a message is already recorded', () => {
    it.each([
      ['a newer id of the same length', '1574419278348681217', '1574419278348681300', '1574419278348681300'],
      ['a longer (newer) id', '999999999999999999', '1000000000000000000', '1000000000000000000'],
      ['an older id of the same length', '1574419278348681300', '1574419278348681217', '1574419278348681300'],
      ['a shorter (older) id', '1000000000000000000', '999999999999999999', '1000000000000000000'],
      ['the same id', '1574419278348681217', '1574419278348681217', '1574419278348681217'],
      // Beyond 2^53 a double cannot tell these apart; the script compares them as text.
      [
        'an id newer only past double precision',
        '9007199254740993000',
        '9007199254740993001',
        '9007199254740993001',
      ],
    ])('keeps the newest after %s', async (_case, first, second, expected) => {
      const activity = new ChannelActivityRepository(redis, { prefix });
      await activity.recordLatest(CHANNEL, first);
      await activity.recordLatest(CHANNEL, second);
      expect(await activity.fetchLatest(CHANNEL)).toBe(expected);
    });
  });

  it('leaves the newer id with a TTL when an older one came later (written, then put back)', async () => {
    const activity = new ChannelActivityRepository(redis, { prefix, ttlSeconds: 120 });
    await activity.recordLatest(CHANNEL, '1574419278348681300', undefined, { human: true });
    await activity.recordLatest(CHANNEL, '1574419278348681217', undefined, { human: true });
    for (const key of [buildChannelLatestKey(prefix, CHANNEL), buildChannelLatestHumanKey(prefix, CHANNEL)]) {
      expect(await redis.get(key)).toBe('1574419278348681300');
      expect(await redis.ttl(key)).toBeGreaterThan(100);
      expect(await redis.ttl(key)).toBeLessThanOrEqual(120);
    }
  });

  describe('when two replicas record concurrently', () => {
    it('ends with the newest whatever the order', async () => {
      const activity = new ChannelActivityRepository(redis, { prefix });
      const ids = Array.from({ length: 20 }, (_, index) => String(1574419278348681200n + BigInt(index)));
      await Promise.all([...ids].reverse().map((id) => activity.recordLatest(CHANNEL, id)));
      expect(await activity.fetchLatest(CHANNEL)).toBe(ids.at(-1));
    });
  });

  describe('the newest human message', () => {
    it('is recorded only for a person’s message, with the TTL', async () => {
      const activity = new ChannelActivityRepository(redis, { prefix, ttlSeconds: 120 });
      await activity.recordLatest(CHANNEL, '1574419278348681217', undefined, { human: true });
      await activity.recordLatest(CHANNEL, '1574419278348681300');
      expect(await activity.fetchLatestHuman(CHANNEL)).toBe('1574419278348681217');
      expect(await activity.fetchLatest(CHANNEL)).toBe('1574419278348681300');
      const ttl = await redis.ttl(buildChannelLatestHumanKey(prefix, CHANNEL));
      expect(ttl).toBeGreaterThan(100);
      expect(ttl).toBeLessThanOrEqual(120);
    });

    it('only moves forward, whatever the order of two replicas', async () => {
      const activity = new ChannelActivityRepository(redis, { prefix });
      const ids = Array.from({ length: 10 }, (_, index) => String(1574419278348681200n + BigInt(index)));
      await Promise.all(
        [...ids].reverse().map((id) => activity.recordLatest(CHANNEL, id, undefined, { human: true })),
      );
      expect(await activity.fetchLatestHuman(CHANNEL)).toBe(ids.at(-1));
    });

    it('is recorded in a batch’s round trip', async () => {
      const activity = new ChannelActivityRepository(redis, { prefix });
      await RedisBatch.together((batch) =>
        activity.recordLatest(CHANNEL, '1574419278348681217', batch, { human: true }),
      );
      expect(await activity.fetchLatestHuman(CHANNEL)).toBe('1574419278348681217');
    });

    it('is null when no person spoke', async () => {
      const activity = new ChannelActivityRepository(redis, { prefix });
      await activity.recordLatest(CHANNEL, '1574419278348681217');
      expect(await activity.fetchLatestHuman(CHANNEL)).toBeNull();
    });
  });

  describe('forgetChannels', () => {
    it('deletes the records of each deleted channel only', async () => {
      const activity = new ChannelActivityRepository(redis, { prefix });
      const OTHER = '100000000000000002';
      const KEPT = '100000000000000003';
      for (const channelId of [CHANNEL, OTHER, KEPT])
        await activity.recordLatest(channelId, '1574419278348681217', undefined, { human: true });
      await activity.forgetChannels([CHANNEL, OTHER]);
      expect(await activity.fetchLatest(CHANNEL)).toBeNull();
      expect(await activity.fetchLatestHuman(CHANNEL)).toBeNull();
      expect(await activity.fetchLatest(OTHER)).toBeNull();
      expect(await activity.fetchLatest(KEPT)).toBe('1574419278348681217');
      expect(await activity.fetchLatestHuman(KEPT)).toBe('1574419278348681217');
    });
  });
});
