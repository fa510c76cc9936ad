/** ConversationRepository against real Redis: caps by turns and characters, TTL, index and resets. */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConversationRepository, type ConversationTurn } from '../../../src/state/index.js';
import { buildConversationIndexKey, buildConversationKey } from '../../../src/state/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

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

function repositoryWith(caps: { maxTurns?: number; maxChars?: number; ttlSeconds?: number } = {}) {
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
      expect(await conversations.appendTurns(USER, CHANNEL, 'alicepersona', [turn(2, 'c'.repeat(10))])).toBe(
        2,
      );
      expect(
        (await conversations.fetchHistory(USER, CHANNEL, 'alicepersona')).map((item) => item.at),
      ).toEqual([1, 2]);
      await conversations.appendTurns(USER, CHANNEL, 'alicepersona', [turn(3, 'd'.repeat(40))]);
      expect(
        (await conversations.fetchHistory(USER, CHANNEL, 'alicepersona')).map((item) => item.at),
      ).toEqual([3]);
    });
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
});
