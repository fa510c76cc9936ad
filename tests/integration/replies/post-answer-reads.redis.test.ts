/**
 * What the reply processor reads between the AI's answer and its first post, counted with MONITOR (every command
 * under this file's prefix): the deletion mark and the channel's newest message share the channel's hash tag, so
 * they go out as one `readSlot` call, whole reply or streamed, and a mark written during the AI call (no live
 * cancel published) still cancels the reply there.
 */
import type { Job } from 'bullmq';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RedisMonitor } from '../../../bench/redis-monitor.js';
import type { AiStreamEvent } from '../../../src/ai/index.js';
import { ChannelWindowRepository } from '../../../src/context/index.js';
import { buildWindowLinesKey } from '../../../src/context/keys.js';
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
  MessageEventRepository,
  MessageIndexRepository,
} from '../../../src/state/index.js';
import { buildChannelLatestKey, buildDeletedMessageKey } from '../../../src/state/keys.js';
import type { PersonaMessage, PostedMessage, PostTarget } from '../../../src/webhooks/index.js';
import { buildTestPersonality } from '../../support/personality.js';
import {
  createTestPrefix,
  createTestRedis,
  deleteKeysWithPrefix,
  TEST_REDIS_URL,
} from '../../support/redis.js';

const USER = '100000000000000001';
const CHANNEL = '200000000000000002';
const GUILD = '300000000000000003';
const WEBHOOK = '400000000000000004';
const ANSWER = 'Hello '.repeat(40);

/** Our webhook's posts, as Discord would keep them. */
class FakeChannel {
  readonly posted: string[] = [];
  #sequence = 0n;

  async postAsPersona(_target: PostTarget, message: PersonaMessage): Promise<PostedMessage> {
    this.#sequence += 1n;
    this.posted.push(message.content);
    return { messageId: buildSnowflake(Date.now(), this.#sequence), webhookId: WEBHOOK };
  }

  async editPersonaMessage(): Promise<void> {}

  async deletePersonaMessage(): Promise<void> {}

  async fetchOwnWebhookIds(): Promise<string[]> {
    return [WEBHOOK];
  }

  async fetchRecentMessages(): Promise<never[]> {
    return [];
  }
}

/** An AI answering whole or streamed, running `during` (a deletion, say) before it answers. */
class FakeAi {
  constructor(private readonly during: () => Promise<void>) {}

  async completeWithFallbacks(request: { provider: string; model: string }) {
    await this.during();
    return {
      content: ANSWER,
      latencyMs: 1,
      reasoningOnly: false,
      usage: null,
      provider: request.provider,
      model: request.model,
      fallback: 0,
      ownKey: false,
    };
  }

  async *streamWithFallbacks(request: { provider: string; model: string }): AsyncGenerator<AiStreamEvent> {
    await this.during();
    yield { type: 'text', text: ANSWER };
    yield {
      type: 'end',
      finishReason: 'stop',
      usage: null,
      reasoningOnly: false,
      answeredBy: { provider: request.provider, model: request.model, ownKey: false },
    };
  }
}

describe('the reads after the AI answered', () => {
  const prefix = createTestPrefix();
  const redis = createTestRedis();
  const messageEvents = new MessageEventRepository(redis, { prefix });
  const channelActivity = new ChannelActivityRepository(redis, { prefix });
  let sequence = 0n;

  function buildProcessor(channel: FakeChannel, ai: FakeAi, streamReplies: boolean): ReplyProcessor {
    const personality = buildTestPersonality({
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
      streamReplies,
    });
    const deps = {
      redis,
      personalities: { fetchById: async () => personality },
      conversations: new ConversationRepository(redis, {
        prefix,
        maxTurns: 40,
        maxChars: 24_000,
        ttlSeconds: 3600,
      }),
      apiKeys: { fetchKeyring: async () => ({ open: () => null }) },
      messageEvents,
      messageIndex: new MessageIndexRepository(redis, { prefix }),
      channelActivity,
      channelWindows: new ChannelWindowRepository(redis, { prefix, maxAgeSeconds: 3600 }),
      admission: {
        settle: async () => undefined,
        buildSettleCall: (job: ReplyJob) => ({
          keys: buildSettleScriptKeys(prefix, job.authorId),
          args: ['job', 'member', '0', 'conversation:', 'slot'],
          finish: async () => undefined,
        }),
      },
      gate: { isTurn: async () => true, wait: async () => undefined },
      ai,
      webhooks: channel,
      ledger: new DeliveryLedger(redis, { prefix }),
      typing: new TypingIndicator({ sendTyping: async () => undefined }),
      cancellations: {
        watch: () => ({ signal: new AbortController().signal, release: () => undefined }),
      },
      replyChains: { walk: async () => ({ lines: [] }) },
      attachments: { read: async () => [] },
      prompt: { channelContext: { messages: 0, chars: 12_000, maxAgeSeconds: 3600 }, providers: new Map() },
      logger: createLogger({ level: 'silent' }),
      now: Date.now,
    } as unknown as ReplyProcessorDependencies;
    return new ReplyProcessor(deps, {
      streamPacing: { firstPostChars: 100, firstPostAfterMs: 1000, editIntervalMs: 50 },
    });
  }

  function buildJob(): Job {
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
      personalityId: 'alicepersona',
      messageCreatedAt: Date.now() - 1000,
      enqueuedAt: Date.now() - 1000,
    };
    return { id: `reply-${messageId}-alicepersona`, data, attemptsStarted: 1 } as unknown as Job;
  }

  afterEach(async () => {
    await deleteKeysWithPrefix(redis, prefix);
  });

  afterAll(() => redis.disconnect());

  describe.each([
    { shape: 'a whole reply', streamReplies: false },
    { shape: 'a streamed reply', streamReplies: true },
  ])('for $shape', ({ streamReplies }) => {
    it('reads the deletion mark and the channel’s newest message in one call', async () => {
      const job = buildJob();
      await channelActivity.recordLatest(CHANNEL, job.data.messageId);
      const latestKey = buildChannelLatestKey(prefix, CHANNEL);
      const deletedKey = buildDeletedMessageKey(prefix, CHANNEL, job.data.messageId);
      const linesKey = buildWindowLinesKey(prefix, CHANNEL);
      // MONITOR reports commands as the server runs them: once the barrier is seen, every earlier one was.
      const barrier = `${prefix}:barrier`;
      let barrierSeen: () => void = () => undefined;
      const seen = new Promise<void>((resolve) => {
        barrierSeen = resolve;
      });
      const readsOfLatest: Array<{ name: string; withDeletionMark: boolean }> = [];
      const monitor = await RedisMonitor.start(TEST_REDIS_URL, (command) => {
        if (command.line.includes(barrier)) barrierSeen();
        // The reply's own lines, appended once it is posted, record it as the newest too: not a read.
        else if (!command.fromScript && command.line.includes(latestKey) && !command.line.includes(linesKey))
          readsOfLatest.push({ name: command.name, withDeletionMark: command.line.includes(deletedKey) });
      });
      const channel = new FakeChannel();
      try {
        const processor = buildProcessor(channel, new FakeAi(async () => undefined), streamReplies);
        expect(await processor.process(job, 'attempt')).toBe('replied');
        await redis.exists(barrier);
        await seen;
      } finally {
        monitor.close();
      }
      expect(channel.posted.join('')).toContain('Hello');
      expect(readsOfLatest).toEqual([{ name: 'evalsha', withDeletionMark: true }]);
    });

    it('cancels the reply when the message was marked deleted during the AI call', async () => {
      const job = buildJob();
      const channel = new FakeChannel();
      const deleteDuringCall = () => messageEvents.markDeleted(CHANNEL, job.data.messageId);
      const processor = buildProcessor(channel, new FakeAi(deleteDuringCall), streamReplies);
      expect(await processor.process(job, 'attempt')).toBe('cancelled');
      expect(channel.posted).toEqual([]);
    });
  });
});
