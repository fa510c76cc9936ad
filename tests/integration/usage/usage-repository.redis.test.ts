/**
 * The usage counters on real Redis: one reply's user counters leave in one script call with the caller's other
 * commands, the shared totals are written when flushed (one call per key), every key expires on its period's TTL,
 * and the quota reads see operator-paid tokens only.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { RedisBatch } from '../../../src/redis/index.js';
import {
  type AnswerUsage,
  buildDayStamp,
  buildGuildUsageKey,
  buildModelUsageKey,
  buildMonthStamp,
  buildPeriodName,
  buildPersonalityUsageKey,
  buildUserUsageKey,
  DAY_COUNTER_TTL_SECONDS,
  MONTH_COUNTER_TTL_SECONDS,
  UsageRepository,
} from '../../../src/usage/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { spyOnSocketWrites } from '../../support/socket-writes.js';

const USER = '100000000000000001';
const OTHER = '100000000000000009';
const GUILD = '300000000000000003';
const NOW = Date.parse('2026-12-07T15:00:00.000Z');
const OPERATOR: AnswerUsage = {
  provider: 'default',
  model: 'stub-small',
  ownKey: false,
  promptTokens: 100,
  completionTokens: 20,
};
const OWN: AnswerUsage = {
  ...OPERATOR,
  provider: 'mine',
  ownKey: true,
  promptTokens: 7,
  completionTokens: 3,
};

describe('UsageRepository', () => {
  const prefix = createTestPrefix();
  const redis = createTestRedis();
  const counted: AnswerUsage[] = [];
  const usage = new UsageRepository(redis, { prefix, onCounted: (entry) => counted.push(entry) });
  const day = buildPeriodName('day', buildDayStamp(NOW));
  const month = buildPeriodName('month', buildMonthStamp(NOW));

  afterEach(async () => {
    vi.restoreAllMocks();
    counted.length = 0;
    // Totals a test left unflushed go before its keys do.
    await usage.flush();
    await deleteKeysWithPrefix(redis, prefix);
  });

  afterAll(() => redis.disconnect());

  describe('when a reply is counted in a batch with its other writes', () => {
    it("sends the user's counters as one command in the one write of the batch", async () => {
      await redis.ping();
      const writes = spyOnSocketWrites(redis);
      const other = `${prefix}:other`;
      await RedisBatch.together((batch) =>
        Promise.all([
          RedisBatch.send(redis, batch, other, (p) => p.set(other, '1', 'EX', 60)),
          usage.count(
            { userId: USER, guildId: GUILD, personalityId: 'alice', usage: OPERATOR, at: NOW },
            batch,
          ),
        ]),
      );
      expect(writes()).toBe(1);
      expect(counted).toEqual([OPERATOR]);
      expect(await redis.hgetall(buildUserUsageKey(prefix, USER, day))).toEqual({ 'operator:alice': '120' });
    });

    it('adds the shared totals up in the process and writes them in one call per key when flushed', async () => {
      for (let reply = 0; reply < 3; reply += 1)
        await usage.count({ userId: USER, guildId: GUILD, personalityId: 'alice', usage: OPERATOR, at: NOW });
      expect(await redis.zscore(buildGuildUsageKey(prefix, day), GUILD)).toBeNull();
      await redis.ping();
      const writes = spyOnSocketWrites(redis);
      await usage.flush();
      // Three keys per period (personalities, models, servers), each one script call, sent together.
      expect(writes()).toBe(1);
      expect(await redis.zscore(buildGuildUsageKey(prefix, day), GUILD)).toBe('360');
      expect(await redis.zscore(buildPersonalityUsageKey(prefix, month), 'alice')).toBe('360');
      await usage.flush();
      expect(await redis.zscore(buildGuildUsageKey(prefix, day), GUILD)).toBe('360');
    });

    it('writes the shared totals by itself once the interval has passed', async () => {
      const timed = new UsageRepository(redis, { prefix, flushIntervalMs: 50 });
      await timed.count({ userId: USER, guildId: GUILD, personalityId: 'alice', usage: OPERATOR, at: NOW });
      await vi.waitFor(async () =>
        expect(await redis.zscore(buildGuildUsageKey(prefix, day), GUILD)).toBe('120'),
      );
      await timed[Symbol.asyncDispose]();
    });

    it('counts per user, server, personality and model, for the day and the month, each expiring', async () => {
      await usage.count({ userId: USER, guildId: GUILD, personalityId: 'alice', usage: OPERATOR, at: NOW });
      await usage.count({ userId: USER, guildId: GUILD, personalityId: 'bob', usage: OWN, at: NOW });
      await usage.flush();
      for (const [period, ttl] of [
        [day, DAY_COUNTER_TTL_SECONDS],
        [month, MONTH_COUNTER_TTL_SECONDS],
      ] as const) {
        const userKey = buildUserUsageKey(prefix, USER, period);
        // One field per payer and personality: a reply adds one counter per period.
        expect(await redis.hgetall(userKey)).toEqual({ 'operator:alice': '120', 'own:bob': '10' });
        // Own-key tokens are not the server's cost.
        expect(await redis.zscore(buildGuildUsageKey(prefix, period), GUILD)).toBe('120');
        expect(await redis.zrange(buildPersonalityUsageKey(prefix, period), '0', '-1', 'WITHSCORES')).toEqual(
          ['bob', '10', 'alice', '120'],
        );
        expect(await redis.hgetall(buildModelUsageKey(prefix, period))).toEqual({
          'operator:default/stub-small:prompt': '100',
          'operator:default/stub-small:completion': '20',
          'own:mine/stub-small:prompt': '7',
          'own:mine/stub-small:completion': '3',
        });
        for (const key of [
          userKey,
          buildGuildUsageKey(prefix, period),
          buildPersonalityUsageKey(prefix, period),
          buildModelUsageKey(prefix, period),
        ]) {
          const left = await redis.ttl(key);
          expect(left).toBeGreaterThan(ttl - 10);
          expect(left).toBeLessThanOrEqual(ttl);
        }
      }
    });

    it('sets a key’s TTL when one of its counters is made, and leaves it on later adds', async () => {
      const userKey = buildUserUsageKey(prefix, USER, day);
      await usage.count({ userId: USER, guildId: GUILD, personalityId: 'alice', usage: OPERATOR, at: NOW });
      await redis.expire(userKey, 1000);
      await usage.count({ userId: USER, guildId: GUILD, personalityId: 'alice', usage: OPERATOR, at: NOW });
      expect(await redis.ttl(userKey)).toBeLessThanOrEqual(1000);
      // A new counter of the same key sets it again: the period's TTL, from now.
      await usage.count({ userId: USER, guildId: GUILD, personalityId: 'bob', usage: OPERATOR, at: NOW });
      expect(await redis.hget(userKey, 'operator:bob')).toBe('120');
      expect(await redis.ttl(userKey)).toBeGreaterThan(DAY_COUNTER_TTL_SECONDS - 10);
      await redis.del(userKey);
      await usage.count({ userId: USER, guildId: GUILD, personalityId: 'bob', usage: OPERATOR, at: NOW });
      expect(await redis.ttl(userKey)).toBeGreaterThan(DAY_COUNTER_TTL_SECONDS - 10);
    });
  });

  describe('when routing reads the quotas', () => {
    it("reads today's operator-paid tokens of the user and the server, in the caller's batch", async () => {
      await usage.count({ userId: USER, guildId: GUILD, personalityId: 'alice', usage: OPERATOR, at: NOW });
      await usage.count({ userId: USER, guildId: GUILD, personalityId: 'alice', usage: OWN, at: NOW });
      await usage.count({ userId: OTHER, guildId: GUILD, personalityId: 'alice', usage: OPERATOR, at: NOW });
      await usage.flush();
      const [mine, dm, yesterday] = await RedisBatch.together((batch) =>
        Promise.all([
          usage.fetchQuotaUsage(USER, GUILD, NOW, batch),
          usage.fetchQuotaUsage(USER, null, NOW, batch),
          usage.fetchQuotaUsage(USER, GUILD, NOW - 86_400_000, batch),
        ]),
      );
      expect(mine).toEqual({ userTokens: 120, guildTokens: 240 });
      expect(dm).toEqual({ userTokens: 120, guildTokens: null });
      expect(yesterday).toEqual({ userTokens: 0, guildTokens: 0 });
    });

    it('adds the totals an older version wrote to the newer fields', async () => {
      const userKey = buildUserUsageKey(prefix, USER, day);
      await redis.hset(userKey, { operator: '50', own: '5', 'p:alice': '55' });
      await usage.count({ userId: USER, guildId: GUILD, personalityId: 'alice', usage: OPERATOR, at: NOW });
      expect(await usage.fetchQuotaUsage(USER, null, NOW)).toEqual({ userTokens: 170, guildTokens: null });
    });

    it('claims one quota notice per user per window', async () => {
      expect(await usage.claimQuotaNotice(USER)).toBe(true);
      expect(await usage.claimQuotaNotice(USER)).toBe(false);
      expect(await usage.claimQuotaNotice(OTHER)).toBe(true);
    });
  });

  describe('when the user or an operator asks', () => {
    it("shows a user's day and month per personality, and the operator's totals per model and server", async () => {
      await usage.count({ userId: USER, guildId: GUILD, personalityId: 'alice', usage: OPERATOR, at: NOW });
      await usage.count({ userId: USER, guildId: null, personalityId: 'bob', usage: OWN, at: NOW });
      await usage.flush();
      const mine = await usage.fetchUserUsage(USER, NOW);
      expect(mine.day).toEqual({
        operator: 120,
        own: 10,
        byPersonality: [
          { personalityId: 'alice', tokens: 120 },
          { personalityId: 'bob', tokens: 10 },
        ],
      });
      expect(mine.month).toEqual(mine.day);
      // A period an older version counted in too: its totals and `p:` fields add to the newer fields.
      await redis.hset(buildUserUsageKey(prefix, USER, day), {
        operator: '30',
        own: '4',
        'p:alice': '30',
        'p:bob': '4',
      });
      expect((await usage.fetchUserUsage(USER, NOW)).day).toEqual({
        operator: 150,
        own: 14,
        byPersonality: [
          { personalityId: 'alice', tokens: 150 },
          { personalityId: 'bob', tokens: 14 },
        ],
      });
      const totals = await usage.fetchOperatorUsage(NOW, 5);
      expect(totals.day).toEqual({
        models: [
          {
            provider: 'default',
            model: 'stub-small',
            payer: 'operator',
            promptTokens: 100,
            completionTokens: 20,
          },
          { provider: 'mine', model: 'stub-small', payer: 'own', promptTokens: 7, completionTokens: 3 },
        ],
        topGuilds: [{ guildId: GUILD, tokens: 120 }],
      });
    });
  });
});
