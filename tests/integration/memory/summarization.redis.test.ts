/**
 * The summarization against real Redis and the AI stub (through AiService, its providers and breakers): a
 * fact from the first turn survives the trim into the summary; turns arriving meanwhile stay pending.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AiStub } from '../../../sandbox/ai-stub/index.js';
import { AiService } from '../../../src/ai/index.js';
import { loadConfig } from '../../../src/config/index.js';
import { createLogger } from '../../../src/log/index.js';
import {
  buildMemorySuffix,
  ConversationMemory,
  MemoryRepository,
  MemorySummarizer,
  type SummaryEnqueueRequest,
} from '../../../src/memory/index.js';
import { ConversationRepository, type ConversationTurn } from '../../../src/state/index.js';
import { buildTestEnv } from '../../support/env.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const USER = '100000000000000001';
const CHANNEL = '200000000000000001';
const PERSONALITY = 'alicepersona';
const SUFFIX = buildMemorySuffix('conversation', CHANNEL, PERSONALITY);

function turn(index: number, content: string): ConversationTurn {
  return {
    role: index % 2 ? 'assistant' : 'user',
    content,
    messageId: `4000000000000${String(Math.floor(index / 2)).padStart(5, '0')}`,
    at: 1_700_000_000_000 + index,
  };
}

describe('MemorySummarizer', () => {
  let redis: Redis;
  let stub: AiStub;
  let ai: AiService;
  let prefix: string;
  const logLines: string[] = [];
  const logger = createLogger(
    { level: 'debug', service: 'test-worker' },
    { write: (line: string) => logLines.push(line) },
  );

  beforeAll(async () => {
    redis = createTestRedis();
    stub = await AiStub.start();
    const config = loadConfig(buildTestEnv({ AI_BASE_URL: stub.baseUrl }));
    ai = new AiService({ config: config.ai, logger });
  });

  beforeEach(async () => {
    if (prefix !== undefined) await deleteKeysWithPrefix(redis, prefix);
    prefix = createTestPrefix();
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    await ai.close();
    await stub.close();
    await redis.quit();
  });

  function setUp() {
    const conversations = new ConversationRepository(redis, {
      prefix,
      maxTurns: 4,
      maxChars: 24_000,
      ttlSeconds: 3600,
    });
    const repository = new MemoryRepository(redis, { prefix, ttlSeconds: 3600 });
    const enqueued: SummaryEnqueueRequest[] = [];
    const memory = new ConversationMemory(
      repository,
      async (request) => {
        enqueued.push(request);
      },
      logger,
    );
    const append = async (turns: ConversationTurn[]) => {
      const handOver = memory.buildHandOver(USER, CHANNEL, PERSONALITY, 'conversation');
      const result = await conversations.appendTurns(USER, CHANNEL, PERSONALITY, turns, undefined, handOver);
      await memory.afterAppend(USER, PERSONALITY, 'corr-1', handOver, result);
    };
    const summarizer = new MemorySummarizer({ memory: repository, ai, logger });
    return { repository, append, enqueued, summarizer };
  }

  describe('when a conversation goes far past its caps', () => {
    it('keeps a fact from its first turn in the summary, once summarized', async () => {
      const { repository, append, enqueued, summarizer } = setUp();
      await append([turn(0, 'Kate: fact: my cat is Biscuit'), turn(1, 'What a name!')]);
      for (let index = 2; index < 40; index += 2)
        await append([turn(index, `Kate: small talk ${index}`), turn(index + 1, 'Sure.')]);
      // One claim, one task, however many appends trimmed meanwhile.
      expect(enqueued).toHaveLength(1);
      const request = enqueued[0]!;
      expect(request).toMatchObject({ userId: USER, personalityId: PERSONALITY, suffix: SUFFIX });

      const outcome = await summarizer.summarize(request, { provider: 'default', model: 'stub-small' });
      expect(outcome).toBe('summarized');
      expect(await repository.fetchSummary(USER, SUFFIX)).toBe('fact: my cat is Biscuit');
      expect(await repository.fetchPending(USER, SUFFIX)).toEqual([]);

      // Released: the next trim enqueues again, and the fact survives a second fold.
      await append([turn(40, 'Kate: fact: I keep bees'), turn(41, 'Lovely.')]);
      await append([turn(42, 'Kate: more'), turn(43, 'Yes.')]);
      await append([turn(44, 'Kate: more'), turn(45, 'Yes.')]);
      expect(enqueued).toHaveLength(2);
      await summarizer.summarize(enqueued[1]!, { provider: 'default', model: 'stub-small' });
      expect(await repository.fetchSummary(USER, SUFFIX)).toBe('fact: my cat is Biscuit\nfact: I keep bees');
    });
  });

  describe('in the user scope', () => {
    it('carries the summary across channels', async () => {
      const { summarizer, repository } = setUp();
      const conversations = new ConversationRepository(redis, {
        prefix,
        maxTurns: 2,
        maxChars: 24_000,
        ttlSeconds: 3600,
      });
      const enqueued: SummaryEnqueueRequest[] = [];
      const memory = new ConversationMemory(
        repository,
        async (request) => {
          enqueued.push(request);
        },
        logger,
      );
      const handOver = memory.buildHandOver(USER, CHANNEL, PERSONALITY, 'user');
      const result = await conversations.appendTurns(
        USER,
        CHANNEL,
        PERSONALITY,
        [turn(0, 'Kate: fact: I live in Lyon'), turn(1, 'ok'), turn(2, 'x'), turn(3, 'y')],
        undefined,
        handOver,
      );
      await memory.afterAppend(USER, PERSONALITY, 'corr-2', handOver, result);
      expect(enqueued[0]?.suffix).toBe(`p:${PERSONALITY}`);
      await summarizer.summarize(enqueued[0]!, { provider: 'default', model: 'stub-small' });

      const elsewhere = await memory.fetchSummaries(USER, '200000000000000999', PERSONALITY);
      expect(memory.buildPromptMemory(elsewhere, 'user').summary).toBe('fact: I live in Lyon');
      expect(memory.buildPromptMemory(elsewhere, 'conversation').summary).toBeNull();
    });
  });

  describe('when the claim was lost meanwhile', () => {
    it('writes nothing and leaves the turns pending', async () => {
      const { repository, append, enqueued, summarizer } = setUp();
      await append([
        turn(0, 'Kate: fact: a'),
        turn(1, 'b'),
        turn(2, 'c'),
        turn(3, 'd'),
        turn(4, 'e'),
        turn(5, 'f'),
      ]);
      const request = enqueued[0]!;
      await repository.releaseClaim(USER, SUFFIX, request.claimToken);
      expect(await summarizer.summarize(request, { provider: 'default', model: 'stub-small' })).toBe(
        'claim-lost',
      );
      expect(await repository.fetchSummary(USER, SUFFIX)).toBeNull();
      expect(await repository.fetchPending(USER, SUFFIX)).toHaveLength(2);
    });
  });

  describe('when the AI fails', () => {
    it('throws, keeps the turns pending and the claim until abandoned', async () => {
      const { repository, append, enqueued, summarizer } = setUp();
      await append([
        turn(0, 'Kate: fact: a'),
        turn(1, 'b'),
        turn(2, 'c'),
        turn(3, 'd'),
        turn(4, 'e'),
        turn(5, 'f'),
      ]);
      const request = enqueued[0]!;
      await expect(summarizer.summarize(request, { provider: 'nowhere', model: 'x' })).rejects.toThrow();
      expect(await repository.fetchPending(USER, SUFFIX)).toHaveLength(2);
      await append([turn(6, 'g'), turn(7, 'h')]);
      expect(enqueued).toHaveLength(1);
      await summarizer.abandon(request);
      await append([turn(8, 'i'), turn(9, 'j')]);
      expect(enqueued).toHaveLength(2);
    });
  });
});
