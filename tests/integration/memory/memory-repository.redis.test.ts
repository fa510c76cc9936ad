/**
 * The memory's hand-over against real Redis: the conversation append moves trimmed turns to the pending list in
 * one script, caps it and claims once; the fold writes the summary and removes only what it folded.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildMemorySuffix, MemoryRepository } from '../../../src/memory/index.js';
import { ConversationRepository, type ConversationTurn } from '../../../src/state/index.js';
import { buildConversationKey } from '../../../src/state/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const redis = createTestRedis();
const USER = '100000000000000001';
const CHANNEL = '200000000000000001';
const PERSONALITY = 'alicepersona';
const SUFFIX = buildMemorySuffix('conversation', CHANNEL, PERSONALITY);
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

function turn(index: number, content = `message ${index}`): ConversationTurn {
  return {
    role: index % 2 ? 'assistant' : 'user',
    content,
    messageId: `4000000000000${String(index).padStart(5, '0')}`,
    at: 1_700_000_000_000 + index,
  };
}

function setUp(options: { maxTurns?: number; maxPendingTurns?: number; maxPendingChars?: number } = {}) {
  const conversations = new ConversationRepository(redis, {
    prefix,
    maxTurns: options.maxTurns ?? 4,
    maxChars: 24_000,
    ttlSeconds: 3600,
  });
  const memory = new MemoryRepository(redis, {
    prefix,
    ttlSeconds: 3600,
    ...(options.maxPendingTurns === undefined ? {} : { maxPendingTurns: options.maxPendingTurns }),
    ...(options.maxPendingChars === undefined ? {} : { maxPendingChars: options.maxPendingChars }),
  });
  const append = (turns: ConversationTurn[]) =>
    conversations.appendTurns(
      USER,
      CHANNEL,
      PERSONALITY,
      turns,
      undefined,
      memory.buildHandOver(USER, SUFFIX),
    );
  return { conversations, memory, append };
}

describe('MemoryRepository', () => {
  describe('when an append trims the conversation', () => {
    it('hands every trimmed turn over, in order, and claims once', async () => {
      const { conversations, memory, append } = setUp();
      const first = await append([turn(0), turn(1), turn(2), turn(3)]);
      expect(first).toEqual({ appended: true, held: 4, handedOver: 0, pendingDropped: 0, claimed: false });
      const second = await append([turn(4), turn(5)]);
      expect(second).toEqual({ appended: true, held: 4, handedOver: 2, pendingDropped: 0, claimed: true });
      const third = await append([turn(6), turn(7)]);
      // The claim is still held: no second summarizer.
      expect(third.claimed).toBe(false);

      const history = await conversations.fetchHistory(USER, CHANNEL, PERSONALITY);
      const pending = await memory.fetchPending(USER, SUFFIX);
      // No turn lost between the trim and the summary.
      expect([...pending, ...history].map((item) => item.messageId)).toEqual(
        [0, 1, 2, 3, 4, 5, 6, 7].map((index) => turn(index).messageId),
      );
      expect(await redis.pttl(`${prefix}:memory:{u:${USER}}:pending:${SUFFIX}`)).toBeGreaterThan(3_500_000);
    });

    it('claims, at an append that trims nothing, for pending turns no summarizer holds, and keeps them', async () => {
      const { memory, append } = setUp();
      await append([turn(0), turn(1), turn(2), turn(3)]);
      expect((await append([turn(4), turn(5)])).claimed).toBe(true);
      const pendingKey = `${prefix}:memory:{u:${USER}}:pending:${SUFFIX}`;
      // The summarizer died and its claim lapsed; the conversation was reset meanwhile.
      await redis.del(`${prefix}:memory:{u:${USER}}:claim:${SUFFIX}`);
      await redis.del(buildConversationKey(prefix, USER, CHANNEL, PERSONALITY));
      await redis.pexpire(pendingKey, 1000);
      expect(await append([turn(6)])).toEqual({
        appended: true,
        held: 1,
        handedOver: 0,
        pendingDropped: 0,
        claimed: true,
      });
      expect((await memory.fetchPending(USER, SUFFIX)).map((item) => item.at % 100)).toEqual([0, 1]);
      expect(await redis.pttl(pendingKey)).toBeGreaterThan(3_500_000);
    });

    it('keeps a summary listed in the memory index for as long as appends keep the summary', async () => {
      const { append } = setUp();
      const memoryKey = (kind: string) => `${prefix}:memory:{u:${USER}}:${kind}`;
      // Folded long ago: a summary, nothing pending, no claim, and the index about to expire.
      await redis.set(memoryKey(`summary:${SUFFIX}`), 'summary', 'PX', 1000);
      await redis.sadd(memoryKey('index'), SUFFIX);
      await redis.pexpire(memoryKey('index'), 1000);
      expect(await append([turn(0)])).toMatchObject({ handedOver: 0, claimed: false });
      expect(await redis.pttl(memoryKey(`summary:${SUFFIX}`))).toBeGreaterThan(3_500_000);
      expect(await redis.smembers(memoryKey('index'))).toEqual([SUFFIX]);
      expect(await redis.pttl(memoryKey('index'))).toBeGreaterThan(3_500_000);
    });

    it('lists nothing when the memory holds neither a summary nor pending turns', async () => {
      const { append } = setUp();
      await append([turn(0)]);
      expect(await redis.exists(`${prefix}:memory:{u:${USER}}:index`)).toBe(0);
    });

    it('drops the oldest pending turns beyond the cap', async () => {
      const { memory, append } = setUp({ maxTurns: 2, maxPendingTurns: 3 });
      await append([turn(0), turn(1), turn(2), turn(3)]);
      const result = await append([turn(4), turn(5), turn(6), turn(7)]);
      expect(result).toMatchObject({ held: 2, handedOver: 4, pendingDropped: 3 });
      expect((await memory.fetchPending(USER, SUFFIX)).map((item) => item.at % 100)).toEqual([3, 4, 5]);
    });
  });

  describe('when a summary is folded', () => {
    it('writes it, removes only the folded turns and releases the claim', async () => {
      const { memory, append } = setUp();
      await append([turn(0), turn(1), turn(2), turn(3), turn(4), turn(5)]);
      const claim = await redis.get(`${prefix}:memory:{u:${USER}}:claim:${SUFFIX}`);
      const folding = await memory.fetchPending(USER, SUFFIX);
      expect(folding).toHaveLength(2);
      // Turns arrive while the summarizer works.
      await append([turn(6), turn(7)]);

      expect(await memory.fold(USER, SUFFIX, claim!, 'fact: likes tea', folding)).toEqual({
        removed: 2,
        remaining: 2,
      });
      expect(await memory.fetchSummary(USER, SUFFIX)).toBe('fact: likes tea');
      expect((await memory.fetchPending(USER, SUFFIX)).map((item) => item.at % 100)).toEqual([2, 3]);
      // Released: the next append claims again for what remains.
      expect((await append([turn(8)])).claimed).toBe(true);
    });

    it('writes nothing without the claim', async () => {
      const { memory, append } = setUp();
      await append([turn(0), turn(1), turn(2), turn(3), turn(4), turn(5)]);
      const folding = await memory.fetchPending(USER, SUFFIX);
      expect(await memory.fold(USER, SUFFIX, 'not-the-token', 'stolen', folding)).toBeNull();
      expect(await memory.fetchSummary(USER, SUFFIX)).toBeNull();
      expect(await memory.fetchPending(USER, SUFFIX)).toHaveLength(2);
    });

    it('releases a claim only for its holder', async () => {
      const { memory, append } = setUp();
      await append([turn(0), turn(1), turn(2), turn(3), turn(4), turn(5)]);
      const claim = await redis.get(`${prefix}:memory:{u:${USER}}:claim:${SUFFIX}`);
      expect(await memory.releaseClaim(USER, SUFFIX, 'other')).toBe(false);
      expect(await memory.releaseClaim(USER, SUFFIX, claim!)).toBe(true);
    });
  });

  describe('when memory is forgotten', () => {
    it('deletes summary, pending turns and claim within the scope, found through the index', async () => {
      const { memory, append } = setUp();
      await append([turn(0), turn(1), turn(2), turn(3), turn(4), turn(5)]);
      expect(await memory.forget(USER, { channelId: '200000000000000009' })).toBe(0);
      expect(await memory.forget(USER, { personalityId: 'bobpersona01' })).toBe(0);
      expect(await memory.forget(USER, { channelId: CHANNEL, personalityId: PERSONALITY })).toBe(1);
      expect(await memory.fetchPending(USER, SUFFIX)).toEqual([]);
      expect(await redis.keys(`${prefix}:memory:*`)).toEqual([]);
      // Released with the rest: the next trim claims again.
      await append([turn(6), turn(7)]);
      expect(await memory.forget(USER, {})).toBe(1);
    });
  });
});
