/**
 * MessageIndexRepository against real Redis: every posted chunk indexed, with the 7-day TTL, and listed in a
 * bounded per-user index that forgetting a user reads.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisBatch } from '../../../src/redis/index.js';
import { MessageIndexRepository } from '../../../src/state/index.js';
import {
  buildLegacyPostedMessageKey,
  buildPostedMessageKey,
  buildUserPostedKey,
} from '../../../src/state/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const redis = createTestRedis();
const CHANNEL = '200000000000000001';
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

describe('MessageIndexRepository', () => {
  it('indexes every chunk under the personality, expiring in 7 days', async () => {
    const repository = new MessageIndexRepository(redis, { prefix });
    const posted = {
      personalityId: 'alicepersona',
      userId: '100000000000000001',
      channelId: CHANNEL,
    };
    await repository.indexPosted({ ...posted, messageIds: ['400000000000000001', '400000000000000002'] });
    expect(await repository.fetchPersonalityForMessage(CHANNEL, '400000000000000002')).toEqual(posted);
    expect(await repository.fetchPersonalityForMessage(CHANNEL, '400000000000000009')).toBeNull();
    expect(
      await RedisBatch.together((batch) =>
        Promise.all([
          repository.fetchPersonalityForMessage(CHANNEL, '400000000000000001', batch),
          repository.fetchPersonalityForMessage(CHANNEL, '400000000000000009', batch),
        ]),
      ),
    ).toEqual([posted, null]);
    const ttl = await redis.pttl(buildPostedMessageKey(prefix, CHANNEL, '400000000000000001'));
    expect(ttl).toBeGreaterThan(7 * 24 * 3600 * 1000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(7 * 24 * 3600 * 1000);
  });

  describe("when the post's delivery record rides along", () => {
    it('sets its field in the same script as the index', async () => {
      const repository = new MessageIndexRepository(redis, { prefix });
      const userId = '100000000000000001';
      const record = `${prefix}:replies:{u:${userId}}:delivery:reply-1`;
      await repository.indexPosted(
        {
          personalityId: 'alicepersona',
          userId,
          channelId: CHANNEL,
          messageIds: ['400000000000000001'],
        },
        undefined,
        { key: record, field: 'posted:0', value: '400000000000000001' },
      );
      expect(await redis.hgetall(record)).toEqual({ 'posted:0': '400000000000000001' });
      expect(await redis.zrange(buildUserPostedKey(prefix, userId), '0', '-1')).toEqual([
        `${CHANNEL}:400000000000000001`,
      ]);
    });
  });

  describe('when a personality chain’s link posted the message', () => {
    it('keeps its depth and the human message that started the chain', async () => {
      const repository = new MessageIndexRepository(redis, { prefix });
      const posted = {
        personalityId: 'bobpersona01',
        userId: '100000000000000001',
        channelId: CHANNEL,
        sourceMessageId: '400000000000000005',
        chain: { depth: 2, rootMessageId: '400000000000000001' },
      };
      await repository.indexPosted({ ...posted, messageIds: ['400000000000000006'] });
      expect(await repository.fetchPersonalityForMessage(CHANNEL, '400000000000000006')).toEqual(posted);
    });
  });

  describe('when the entry expired', () => {
    it('answers null', async () => {
      const repository = new MessageIndexRepository(redis, { prefix, ttlMs: 20 });
      await repository.indexPosted({
        messageIds: ['400000000000000001'],
        personalityId: 'alicepersona',
        userId: '100000000000000001',
        channelId: CHANNEL,
      });
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(await repository.fetchPersonalityForMessage(CHANNEL, '400000000000000001')).toBeNull();
    });
  });

  describe('when a user is forgotten', () => {
    it('deletes the entries of replies to them and their index, and no one else’s', async () => {
      const repository = new MessageIndexRepository(redis, { prefix });
      const base = { personalityId: 'alicepersona', channelId: CHANNEL };
      const user = '100000000000000001';
      const other = '100000000000000002';
      await repository.indexPosted({ ...base, userId: user, messageIds: ['400000000000000001'] });
      await RedisBatch.together((batch) =>
        repository.indexPosted({ ...base, userId: user, messageIds: ['400000000000000002'] }, batch),
      );
      await repository.indexPosted({ ...base, userId: other, messageIds: ['400000000000000003'] });
      expect(await redis.pttl(buildUserPostedKey(prefix, user))).toBeGreaterThan(
        7 * 24 * 3600 * 1000 - 60_000,
      );

      expect(await repository.forgetUser(user)).toBe(2);
      expect(await repository.fetchPersonalityForMessage(CHANNEL, '400000000000000001')).toBeNull();
      expect(await repository.fetchPersonalityForMessage(CHANNEL, '400000000000000002')).toBeNull();
      expect(await redis.exists(buildUserPostedKey(prefix, user))).toBe(0);
      expect(await repository.fetchPersonalityForMessage(CHANNEL, '400000000000000003')).toMatchObject({
        userId: other,
      });
    });
  });

  describe('when the message is looked up in another channel', () => {
    it('answers null: the entry is keyed by its channel', async () => {
      const repository = new MessageIndexRepository(redis, { prefix });
      const posted = { personalityId: 'alicepersona', userId: '100000000000000001', channelId: CHANNEL };
      await repository.indexPosted({ ...posted, messageIds: ['400000000000000001'] });
      expect(
        await repository.fetchPersonalityForMessage('200000000000000002', '400000000000000001'),
      ).toBeNull();
    });
  });

  describe('when an entry was written before entries were keyed by channel', () => {
    const posted = { personalityId: 'alicepersona', userId: '100000000000000001', channelId: CHANNEL };
    const legacyKey = (messageId: string) => buildLegacyPostedMessageKey(prefix, messageId);

    it('is still read, in a batch too', async () => {
      const repository = new MessageIndexRepository(redis, { prefix });
      await redis.set(legacyKey('400000000000000001'), JSON.stringify(posted), 'PX', 60_000);
      expect(await repository.fetchPersonalityForMessage(CHANNEL, '400000000000000001')).toEqual(posted);
      expect(
        await RedisBatch.together((batch) =>
          repository.fetchPersonalityForMessage(CHANNEL, '400000000000000001', batch),
        ),
      ).toEqual(posted);
    });

    it('is deleted with the user, its bare message id in their index', async () => {
      const repository = new MessageIndexRepository(redis, { prefix });
      await redis.set(legacyKey('400000000000000001'), JSON.stringify(posted), 'PX', 60_000);
      await redis.zadd(buildUserPostedKey(prefix, posted.userId), Date.now(), '400000000000000001');
      await repository.indexPosted({ ...posted, messageIds: ['400000000000000002', '400000000000000003'] });
      await repository.indexPosted({
        ...posted,
        channelId: '200000000000000002',
        messageIds: ['400000000000000004'],
      });

      expect(await repository.forgetUser(posted.userId)).toBe(4);
      expect(await redis.exists(legacyKey('400000000000000001'))).toBe(0);
      expect(await repository.fetchPersonalityForMessage(CHANNEL, '400000000000000003')).toBeNull();
      expect(
        await repository.fetchPersonalityForMessage('200000000000000002', '400000000000000004'),
      ).toBeNull();
    });
  });

  describe('when a user’s index is over its cap', () => {
    it('deletes the oldest entries with their place in the index', async () => {
      let now = 1_000_000;
      const repository = new MessageIndexRepository(redis, { prefix, maxEntriesPerUser: 2, now: () => now });
      const base = {
        personalityId: 'alicepersona',
        userId: '100000000000000001',
        channelId: CHANNEL,
      };
      for (const messageId of ['400000000000000001', '400000000000000002', '400000000000000003']) {
        now += 1;
        await repository.indexPosted({ ...base, messageIds: [messageId] });
      }
      expect(await repository.fetchPersonalityForMessage(CHANNEL, '400000000000000001')).toBeNull();
      expect(await redis.zrange(buildUserPostedKey(prefix, base.userId), '0', '-1')).toEqual([
        `${CHANNEL}:400000000000000002`,
        `${CHANNEL}:400000000000000003`,
      ]);
      expect(await repository.fetchPersonalityForMessage(CHANNEL, '400000000000000003')).toMatchObject(base);
    });
  });

  describe('when index entries are older than the TTL', () => {
    it('drops them from the user’s index once it is full', async () => {
      let now = 1_000_000;
      const repository = new MessageIndexRepository(redis, {
        prefix,
        ttlMs: 60_000,
        maxEntriesPerUser: 2,
        now: () => now,
      });
      const base = {
        personalityId: 'alicepersona',
        userId: '100000000000000001',
        channelId: CHANNEL,
      };
      await repository.indexPosted({ ...base, messageIds: ['400000000000000001'] });
      now += 60_001;
      await repository.indexPosted({ ...base, messageIds: ['400000000000000002'] });
      expect(await redis.zrange(buildUserPostedKey(prefix, base.userId), '0', '-1')).toEqual([
        `${CHANNEL}:400000000000000002`,
      ]);
    });
  });
});
