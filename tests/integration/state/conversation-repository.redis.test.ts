/** ConversationRepository against real Redis: caps by turns and characters, TTL, index and resets. */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConversationRepository, type ConversationTurn } from '../../../src/state/index.js';
import { buildConversationIndexKey, buildConversationKey } from '../../../src/state/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { scriptCommandsRunBy } from '../../support/script-commands.js';

const redis = createTestRedis();
const USER = '100000000000000001';
const CHANNEL = '200000000000000001';
const OTHER_CHANNEL = '200000000000000002';
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

function repositoryWith(
  caps: {
    maxTurns?: number;
    maxChars?: number;
    ttlSeconds?: number;
    maxIndexed?: number;
    now?: () => number;
  } = {},
) {
  return new ConversationRepository(redis, {
    prefix,
    maxTurns: 40,
    maxChars: 24_000,
    ttlSeconds: 3600,
    ...caps,
  });
}

function turn(index: number, content = `message ${index}`): ConversationTurn {
  return {
    role: index % 2 ? 'assistant' : 'user',
    content,
    messageId: `40000000000000000${index}`,
    at: index,
  };
}

describe('ConversationRepository', () => {
  it('appends turns and reads them back in order', async () => {
    const conversations = repositoryWith();
    await conversations.appendTurns(USER, CHANNEL, 'alicepersona', [turn(0), turn(1)]);
    await conversations.appendTurns(USER, CHANNEL, 'alicepersona', [turn(2, 'ünïcødé 🎉')]);
    expect(await conversations.fetchHistory(USER, CHANNEL, 'alicepersona')).toEqual([
      turn(0),
      turn(1),
      turn(2, 'ünïcødé 🎉'),
    ]);
    expect(await conversations.fetchHistory(USER, CHANNEL, 'bobpersona1')).toEqual([]);
  });

  describe('when it grows past the caps', () => {
    it('drops the oldest turns beyond max turns', async () => {
      const conversations = repositoryWith({ maxTurns: 3 });
      for (let index = 0; index < 5; index += 1)
        await conversations.appendTurns(USER, CHANNEL, 'alicepersona', [turn(index)]);
      const history = await conversations.fetchHistory(USER, CHANNEL, 'alicepersona');
      expect(history.map((item) => item.at)).toEqual([2, 3, 4]);
    });

    it('drops the oldest turns beyond max characters, keeping the newest', async () => {
      const conversations = repositoryWith({ maxChars: 25 });
      await conversations.appendTurns(USER, CHANNEL, 'alicepersona', [
        turn(0, 'a'.repeat(10)),
        turn(1, 'b'.repeat(10)),
      ]);
      expect(
        (await conversations.appendTurns(USER, CHANNEL, 'alicepersona', [turn(2, 'c'.repeat(10))])).held,
      ).toBe(2);
      expect(
        (await conversations.fetchHistory(USER, CHANNEL, 'alicepersona')).map((item) => item.at),
      ).toEqual([1, 2]);
      await conversations.appendTurns(USER, CHANNEL, 'alicepersona', [turn(3, 'd'.repeat(40))]);
      expect(
        (await conversations.fetchHistory(USER, CHANNEL, 'alicepersona')).map((item) => item.at),
      ).toEqual([3]);
    });
  });

  it('caps a first append by the turns it pushed, reading the list back only once it held some', async () => {
    const conversations = repositoryWith({ maxTurns: 3, maxChars: 25 });
    const key = buildConversationKey(prefix, USER, CHANNEL, 'alicepersona');
    const first = () =>
      conversations.appendTurns(USER, CHANNEL, 'alicepersona', [
        turn(0, 'a'.repeat(20)),
        turn(1, 'b'),
        turn(2, 'c'),
        turn(3, 'd'),
      ]);
    expect(await scriptCommandsRunBy(redis, key, first)).not.toContain('lrange');
    expect((await conversations.fetchHistory(USER, CHANNEL, 'alicepersona')).map((item) => item.at)).toEqual([
      1, 2, 3,
    ]);
    const second = () => conversations.appendTurns(USER, CHANNEL, 'alicepersona', [turn(4, 'e'.repeat(24))]);
    expect(await scriptCommandsRunBy(redis, key, second)).toContain('lrange');
    expect((await conversations.fetchHistory(USER, CHANNEL, 'alicepersona')).map((item) => item.at)).toEqual([
      3, 4,
    ]);
  });

  it('refreshes the TTL on every append', async () => {
    const conversations = repositoryWith({ ttlSeconds: 60 });
    await conversations.appendTurns(USER, CHANNEL, 'alicepersona', [turn(0)]);
    await redis.pexpire(buildConversationKey(prefix, USER, CHANNEL, 'alicepersona'), 1000);
    await conversations.appendTurns(USER, CHANNEL, 'alicepersona', [turn(1)]);
    expect(await redis.pttl(buildConversationKey(prefix, USER, CHANNEL, 'alicepersona'))).toBeGreaterThan(
      59_000,
    );
    expect(await redis.pttl(buildConversationIndexKey(prefix, USER))).toBeGreaterThan(59_000);
  });

  describe('reset', () => {
    it('removes the conversations matching a channel or a personality, and counts them', async () => {
      const conversations = repositoryWith();
      await conversations.appendTurns(USER, CHANNEL, 'alicepersona', [turn(0)]);
      await conversations.appendTurns(USER, CHANNEL, 'bobpersona1', [turn(0)]);
      await conversations.appendTurns(USER, OTHER_CHANNEL, 'alicepersona', [turn(0)]);
      expect(await conversations.reset(USER, { personalityId: 'alicepersona', channelId: CHANNEL })).toBe(1);
      expect(await conversations.reset(USER, { personalityId: 'alicepersona' })).toBe(1);
      expect(await conversations.listConversations(USER)).toEqual([
        { channelId: CHANNEL, personalityId: 'bobpersona1' },
      ]);
      expect(await conversations.resetEverywhere(USER)).toBe(1);
      expect(await conversations.listConversations(USER)).toEqual([]);
    });

    it('does not count conversations that already expired', async () => {
      const conversations = repositoryWith();
      await conversations.appendTurns(USER, CHANNEL, 'alicepersona', [turn(0)]);
      await redis.del(buildConversationKey(prefix, USER, CHANNEL, 'alicepersona'));
      expect(await conversations.listConversations(USER)).toEqual([]);
      expect(await conversations.resetEverywhere(USER)).toBe(0);
    });
  });

  describe('the index of a user who stays active', () => {
    it('keeps at most maxIndexed conversations, deleting the least recently appended ones', async () => {
      const conversations = repositoryWith({ maxIndexed: 10 });
      for (let index = 0; index < 30; index += 1)
        await conversations.appendTurns(USER, CHANNEL, `persona${String(index).padStart(4, '0')}`, [turn(0)]);
      // The oldest conversation is appended to again, so it counts as recent.
      await conversations.appendTurns(USER, CHANNEL, 'persona0000', [turn(1)]);
      expect(await redis.zcard(buildConversationIndexKey(prefix, USER))).toBe(10);
      const kept = (await conversations.listConversations(USER)).map((ref) => ref.personalityId).sort();
      expect(kept).toEqual([
        'persona0000',
        ...Array.from({ length: 9 }, (_, index) => `persona00${21 + index}`),
      ]);
      expect(await redis.exists(buildConversationKey(prefix, USER, CHANNEL, 'persona0001'))).toBe(0);
      expect(await redis.exists(buildConversationKey(prefix, USER, CHANNEL, 'persona0021'))).toBe(1);
    });

    it('drops conversations idle for longer than the TTL, by the clock, at an append that fills the index', async () => {
      let now = 1_000_000;
      const conversations = repositoryWith({ ttlSeconds: 60, maxIndexed: 3, now: () => now });
      await conversations.appendTurns(USER, CHANNEL, 'alicepersona', [turn(0)]);
      now += 30_000;
      await conversations.appendTurns(USER, CHANNEL, 'bobpersona1', [turn(0)]);
      now += 30_001;
      await conversations.appendTurns(USER, OTHER_CHANNEL, 'alicepersona', [turn(0)]);
      expect(await redis.zrange(buildConversationIndexKey(prefix, USER), '0', '-1')).toEqual([
        `${CHANNEL}:bobpersona1`,
        `${OTHER_CHANNEL}:alicepersona`,
      ]);
      expect(await redis.exists(buildConversationKey(prefix, USER, CHANNEL, 'alicepersona'))).toBe(0);
    });

    describe('when the index is a set written by an older version', () => {
      beforeEach(async () => {
        const conversations = repositoryWith();
        await conversations.appendTurns(USER, CHANNEL, 'alicepersona', [turn(0)]);
        await conversations.appendTurns(USER, OTHER_CHANNEL, 'bobpersona1', [turn(0)]);
        const index = buildConversationIndexKey(prefix, USER);
        await redis.del(index);
        await redis.sadd(index, `${CHANNEL}:alicepersona`, `${OTHER_CHANNEL}:bobpersona1`);
        await redis.expire(index, 3600);
      });

      it('lists and resets through it before any write', async () => {
        const conversations = repositoryWith();
        expect(await conversations.listConversations(USER)).toHaveLength(2);
        expect(await conversations.reset(USER, { channelId: CHANNEL })).toBe(1);
        expect(await conversations.listConversations(USER)).toEqual([
          { channelId: OTHER_CHANNEL, personalityId: 'bobpersona1' },
        ]);
      });

      it('migrates it to the sorted set on the next append, keeping its conversations', async () => {
        const conversations = repositoryWith();
        await conversations.appendTurns(USER, CHANNEL, 'carolpersona', [turn(0)]);
        expect(await redis.type(buildConversationIndexKey(prefix, USER))).toBe('zset');
        expect((await conversations.listConversations(USER)).map((ref) => ref.personalityId).sort()).toEqual([
          'alicepersona',
          'bobpersona1',
          'carolpersona',
        ]);
        expect(await conversations.resetEverywhere(USER)).toBe(3);
      });
    });
  });
});
