/**
 * A reply's token usage through the reply processor, with the delivery ledger, the conversation and the usage
 * counters on real Redis and everything else faked: the usage is recorded with the decision and counted once, by
 * the attempt that appends the history (in the append's script), whether the reply was written whole or
 * streamed, and a retry never counts again.
 */
import type { Job } from 'bullmq';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildSnowflake } from '../../../src/discord/index.js';
import { createLogger } from '../../../src/log/index.js';
import { DeliveryLedger } from '../../../src/replies/delivery-ledger.js';
import type { ReplyProcessor } from '../../../src/replies/reply-processor.js';
import { ConversationRepository, type Personality } from '../../../src/state/index.js';
import { type AnswerUsage, UsageRepository } from '../../../src/usage/index.js';
import type { PersonaMessage, PostedMessage, PostTarget } from '../../../src/webhooks/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import {
  buildTestReplyJob,
  buildTestReplyProcessor,
  CannedAi,
  PostRecordingChannel,
  TEST_GUILD_ID,
  TEST_REPLY_PERSONALITY,
  TEST_USER_ID,
} from '../../support/reply-processor-fakes.js';

const USER = TEST_USER_ID;
const GUILD = TEST_GUILD_ID;
const PERSONALITY: Personality = { ...TEST_REPLY_PERSONALITY, streamReplies: false };
const TOKENS = { promptTokens: 50, completionTokens: 7, totalTokens: 57 };

/** Our webhook's messages; the next post can be made to fail before reaching Discord (a network error). */
class FailableChannel extends PostRecordingChannel {
  failNextPost = false;

  override async postAsPersona(target: PostTarget, message: PersonaMessage): Promise<PostedMessage> {
    if (this.failNextPost) {
      this.failNextPost = false;
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    }
    return super.postAsPersona(target, message);
  }
}

/** Answers whole or streamed, reporting `TOKENS` as the personality's model: a stream on the user's own key. */
const buildAi = () =>
  new CannedAi({
    whole: 'Hello there.',
    streamed: 'Hello '.repeat(40),
    usage: TOKENS,
    streamedOnOwnKey: true,
  });

describe('ReplyProcessor counting usage', () => {
  const prefix = createTestPrefix();
  const redis = createTestRedis();
  const logger = createLogger({ level: 'silent' });
  const usage = new UsageRepository(redis, { prefix });
  const ledger = new DeliveryLedger(redis, { prefix });
  const conversations = new ConversationRepository(redis, {
    prefix,
    maxTurns: 40,
    maxChars: 24_000,
    ttlSeconds: 3600,
  });
  let sequence = 0n;

  function buildProcessor(
    ai: CannedAi,
    personality: Personality,
    channel = new FailableChannel(),
  ): ReplyProcessor {
    return buildTestReplyProcessor(
      { redis, prefix, personality, ai, webhooks: channel },
      { conversations, ledger, usage, logger },
    );
  }

  function buildJob(): Job {
    sequence += 1n;
    return buildTestReplyJob(buildSnowflake(Date.now() - 1000, sequence));
  }

  afterEach(async () => {
    // Totals a test left unflushed go before its keys do.
    await usage.flush();
    await deleteKeysWithPrefix(redis, prefix);
  });

  afterAll(() => redis.disconnect());

  describe('when a whole reply is answered and its job runs again', () => {
    it('counts its tokens once, as the operator paid', async () => {
      const ai = buildAi();
      const processor = buildProcessor(ai, PERSONALITY);
      const job = buildJob();
      expect(await processor.process(job, 'attempt-a')).toBe('replied');
      const retry = { ...job, attemptsStarted: 2 } as unknown as Job;
      expect(await processor.process(retry, 'attempt-b')).toBe('replied');
      expect(ai.calls).toBe(1);
      const { day, month } = await usage.fetchUserUsage(USER, Date.now());
      expect(day).toEqual({
        operator: 57,
        own: 0,
        byPersonality: [{ personalityId: PERSONALITY.id, tokens: 57 }],
      });
      expect(month).toEqual(day);
      const record = await ledger.fetch(USER, job.id!);
      expect(record.decision?.usage).toEqual({
        provider: 'default',
        model: 'stub-small',
        ownKey: false,
        promptTokens: 50,
        completionTokens: 7,
      } satisfies AnswerUsage);
    });
  });

  describe('when an earlier attempt decided the reply and failed to post it', () => {
    it('the retry counts the usage the decision recorded, without calling the AI again', async () => {
      const ai = buildAi();
      const channel = new FailableChannel();
      const processor = buildProcessor(ai, PERSONALITY, channel);
      const job = buildJob();
      channel.failNextPost = true;
      await expect(processor.process(job, 'attempt-a')).rejects.toThrow();
      expect((await ledger.fetch(USER, job.id!)).decision?.usage?.promptTokens).toBe(50);
      expect((await usage.fetchQuotaUsage(USER, GUILD, Date.now())).userTokens).toBe(0);
      expect(await processor.process({ ...job, attemptsStarted: 2 } as unknown as Job, 'attempt-b')).toBe(
        'replied',
      );
      expect(ai.calls).toBe(1);
      await usage.flush();
      expect(await usage.fetchQuotaUsage(USER, GUILD, Date.now())).toEqual({
        userTokens: 57,
        guildTokens: 57,
      });
    });
  });

  describe('when the reply is streamed on the user’s own key', () => {
    it('counts the stream’s usage once, apart from the operator’s', async () => {
      const ai = buildAi();
      const processor = buildProcessor(ai, { ...PERSONALITY, streamReplies: true });
      const job = buildJob();
      expect(await processor.process(job, 'attempt-a')).toBe('replied');
      expect(await processor.process({ ...job, attemptsStarted: 2 } as unknown as Job, 'attempt-b')).toBe(
        'replied',
      );
      const { day } = await usage.fetchUserUsage(USER, Date.now());
      expect(day).toEqual({
        operator: 0,
        own: 57,
        byPersonality: [{ personalityId: PERSONALITY.id, tokens: 57 }],
      });
      // Own-key tokens never weigh on a quota.
      await usage.flush();
      expect(await usage.fetchQuotaUsage(USER, GUILD, Date.now())).toEqual({ userTokens: 0, guildTokens: 0 });
    });
  });
});
