/**
 * /status's read of a user's admission state against real Redis, written by the queue area's own admission
 * script: what it shows must match what admission will decide.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchUserLimitState } from '../../../src/commands/fetch-user-limit-state.js';
import { createLogger } from '../../../src/log/index.js';
import { ReplyAdmission, type ReplyJob } from '../../../src/queue/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

/** Where the queues the tests open log their errors. */
const logger = createLogger({ level: 'silent', service: 'test' });

const limits = {
  userMaxPending: 3,
  userRatePerMinute: 6,
  userBurst: 2,
  queueMaxDepth: 1000,
  fairQueue: true,
};

function job(userId: string, messageId: string, now: number): ReplyJob {
  return {
    kind: 'reply',
    version: 1,
    correlationId: `c-${messageId}`,
    messageId,
    channelId: '1700000000000000001',
    parentChannelId: null,
    guildId: '1700000000000000002',
    authorId: userId,
    authorName: 'user',
    content: 'hi',
    trigger: 'mention',
    personalityId: 'abcdefgh1234',
    messageCreatedAt: now,
    enqueuedAt: now,
  };
}

describe('fetchUserLimitState', () => {
  const prefix = createTestPrefix();
  let redis: Redis;
  let now = Date.UTC(2026, 0, 1);
  let admission: ReplyAdmission;

  beforeAll(() => {
    redis = createTestRedis();
    admission = new ReplyAdmission(redis, { prefix, logger, limits, now: () => now });
  });

  afterAll(async () => {
    await admission.close();
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });

  describe('when the user has never sent anything', () => {
    it('shows a full bucket and nothing pending', async () => {
      expect(await fetchUserLimitState(redis, prefix, '1', limits, now)).toMatchObject({
        pending: 0,
        available: 2,
        retryAfterMs: 0,
      });
    });
  });

  describe('when the user used their burst', () => {
    it('shows the pending replies and when the next message is allowed, as admission sees it', async () => {
      await admission.admit(job('2', '1700000000000000011', now));
      await admission.admit(job('2', '1700000000000000012', now));
      const state = await fetchUserLimitState(redis, prefix, '2', limits, now);
      expect(state).toMatchObject({ pending: 2, available: 0, retryAfterMs: 10_000 });
      expect((await admission.admit(job('2', '1700000000000000013', now))).outcome).toBe('refused');

      now += 10_000;
      expect(await fetchUserLimitState(redis, prefix, '2', limits, now)).toMatchObject({
        available: 1,
        retryAfterMs: 0,
      });
      expect((await admission.admit(job('2', '1700000000000000014', now))).outcome).toBe('enqueued');
    });

    it('does not change the state it reads', async () => {
      const before = await fetchUserLimitState(redis, prefix, '2', limits, now);
      await fetchUserLimitState(redis, prefix, '2', limits, now);
      expect(await fetchUserLimitState(redis, prefix, '2', limits, now)).toEqual(before);
    });
  });

  describe('when a pending reply is settled', () => {
    it('no longer counts it', async () => {
      await admission.settle(job('2', '1700000000000000011', now));
      expect((await fetchUserLimitState(redis, prefix, '2', limits, now)).pending).toBe(2);
    });
  });
});
