/**
 * A reply's token usage through the reply processor, with the delivery ledger, the conversation and the usage
 * counters on real Redis and everything else faked: the usage is recorded with the decision and counted once, by
 * the attempt that appends the history (in the append's script), whether the reply was written whole or
 * streamed, and a retry never counts again.
 */
import type { Job } from 'bullmq';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { AiStreamEvent } from '../../../src/ai/index.js';
import { ChannelWindowRepository } from '../../../src/context/index.js';
import { buildSnowflake } from '../../../src/discord/index.js';
import { createLogger } from '../../../src/log/index.js';
import { buildSettleScriptKeys } from '../../../src/queue/keys.js';
import type { ReplyJob } from '../../../src/queue/reply-job.js';
import { DeliveryLedger } from '../../../src/replies/delivery-ledger.js';
import { ReplyProcessor, type ReplyProcessorDependencies } from '../../../src/replies/reply-processor.js';
import { TypingIndicator } from '../../../src/replies/typing-indicator.js';
import {
  ChannelActivityRepository,
  ConversationRepository,
  MessageIndexRepository,
  type Personality,
} from '../../../src/state/index.js';
import { type AnswerUsage, UsageRepository } from '../../../src/usage/index.js';
import type { PersonaMessage, PostedMessage, PostTarget } from '../../../src/webhooks/index.js';
import { buildTestPersonality } from '../../support/personality.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const USER = '100000000000000001';
const CHANNEL = '200000000000000002';
const GUILD = '300000000000000003';
const WEBHOOK = '400000000000000004';
const PERSONALITY: Personality = buildTestPersonality({
  id: 'alicepersona',
  ownerId: USER,
  name: 'Alice',
  aliases: [],
  visibility: 'public',
  systemPrompt: 'You are Alice.',
  avatarUrl: null,
  provider: 'default',
  model: 'stub-small',
  temperature: null,
  createdAt: 0,
  contextMode: 'personal',
  streamReplies: false,
  version: 1,
});
const TOKENS = { promptTokens: 50, completionTokens: 7, totalTokens: 57 };

/** Our webhook's messages, as Discord would keep them. */
class FakeChannel {
  readonly posted: string[] = [];
  /** The next post fails before reaching Discord (a network error). */
  failNextPost = false;
  #sequence = 0n;

  async postAsPersona(_target: PostTarget, message: PersonaMessage): Promise<PostedMessage> {
    if (this.failNextPost) {
      this.failNextPost = false;
      throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    }
    this.#sequence += 1n;
    this.posted.push(message.content);
    return { messageId: buildSnowflake(Date.now(), this.#sequence), webhookId: WEBHOOK };
  }

  async editPersonaMessage(): Promise<void> {}

  async editPosted(): Promise<void> {}

  async deletePersonaMessage(): Promise<void> {}

  async deletePosted(): Promise<void> {}

  async fetchOwnWebhookIds(): Promise<string[]> {
    return [WEBHOOK];
  }

  async fetchRecentMessages(): Promise<never[]> {
    return [];
  }
}

/** An AI answering whole or streamed, reporting `TOKENS` as the personality's model on the operator's key. */
class FakeAi {
  calls = 0;

  async completeWithFallbacks(request: { provider: string; model: string }) {
    this.calls += 1;
    return {
      content: 'Hello there.',
      latencyMs: 1,
      reasoningOnly: false,
      usage: TOKENS,
      provider: request.provider,
      model: request.model,
      fallback: 0,
      ownKey: false,
    };
  }

  async *streamWithFallbacks(request: { provider: string; model: string }): AsyncGenerator<AiStreamEvent> {
    this.calls += 1;
    yield { type: 'text', text: 'Hello '.repeat(40) };
    yield {
      type: 'end',
      finishReason: 'stop',
      usage: TOKENS,
      reasoningOnly: false,
      answeredBy: { provider: request.provider, model: request.model, ownKey: true },
    };
  }
}

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

  function buildProcessor(ai: FakeAi, personality: Personality, channel = new FakeChannel()): ReplyProcessor {
    const deps = {
      redis,
      personalities: { fetchById: async () => personality },
      conversations,
      apiKeys: { fetchKeyring: async () => ({ open: () => null }) },
      messageEvents: { isDeleted: async () => false, fetchEdit: async () => null },
      messageIndex: new MessageIndexRepository(redis, { prefix }),
      // The reply's record as the channel's newest is written for real; the reads find none (no quote line).
      channelActivity: Object.assign(new ChannelActivityRepository(redis, { prefix }), {
        fetchLatestHuman: async () => null,
        fetchLatest: async () => null,
      }),
      // The real window: the reply's own lines go in, and their user's index entry rides in finishReply.
      channelWindows: new ChannelWindowRepository(redis, { prefix, maxAgeSeconds: 3600 }),
      admission: {
        settle: async () => undefined,
        // The post-answer script settles for real, on the user's (empty) admission keys.
        buildSettleCall: (job: ReplyJob) => ({
          keys: buildSettleScriptKeys(prefix, job.authorId),
          args: ['job', 'member', '0', 'conversation:', 'slot'],
          finish: async () => undefined,
        }),
      },
      gate: { isTurn: async () => true, wait: async () => undefined },
      ai,
      webhooks: channel,
      ledger,
      typing: new TypingIndicator({ sendTyping: async () => undefined }),
      cancellations: {
        watch: () => ({ signal: new AbortController().signal, release: () => undefined }),
      },
      replyChains: { walk: async () => ({ lines: [] }) },
      attachments: { read: async () => [] },
      prompt: { channelContext: { messages: 0, chars: 12_000, maxAgeSeconds: 3600 }, providers: new Map() },
      usage,
      logger,
      now: Date.now,
    } as unknown as ReplyProcessorDependencies;
    return new ReplyProcessor(deps, {
      streamPacing: { firstPostChars: 100, firstPostAfterMs: 1000, editIntervalMs: 50 },
    });
  }

  function buildJob(attemptsStarted = 1): Job {
    sequence += 1n;
    const messageId = buildSnowflake(Date.now() - 1000, sequence);
    const data: ReplyJob = {
      kind: 'reply',
      version: 1,
      correlationId: 'test',
      messageId,
      channelId: CHANNEL,
      parentChannelId: null,
      guildId: GUILD,
      authorId: USER,
      authorName: 'Bob',
      content: 'hello',
      trigger: 'mention',
      personalityId: PERSONALITY.id,
      messageCreatedAt: Date.now() - 1000,
      enqueuedAt: Date.now() - 1000,
    };
    return {
      id: `reply-${messageId}-${PERSONALITY.id}`,
      data,
      attemptsStarted,
      moveToDelayed: async () => undefined,
    } as unknown as Job;
  }

  afterEach(async () => {
    // Totals a test left unflushed go before its keys do.
    await usage.flush();
    await deleteKeysWithPrefix(redis, prefix);
  });

  afterAll(() => redis.disconnect());

  describe('when a whole reply is answered and its job runs again', () => {
    it('counts its tokens once, as the operator paid', async () => {
      const ai = new FakeAi();
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
      const ai = new FakeAi();
      const channel = new FakeChannel();
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
      const ai = new FakeAi();
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
