import type { Job } from 'bullmq';
import type { AiStreamEvent } from '../../src/ai/index.js';
import { ChannelWindowRepository } from '../../src/context/index.js';
import { buildSnowflake } from '../../src/discord/index.js';
import { createLogger } from '../../src/log/index.js';
import { buildSettleScriptKeys } from '../../src/queue/keys.js';
import type { ReplyJob } from '../../src/queue/reply-job.js';
import { DeliveryLedger } from '../../src/replies/delivery-ledger.js';
import {
  ReplyProcessor,
  type ReplyProcessorDependencies,
  type ReplyProcessorOptions,
} from '../../src/replies/reply-processor.js';
import { TypingIndicator } from '../../src/replies/typing-indicator.js';
import {
  ChannelActivityRepository,
  ConversationRepository,
  MessageIndexRepository,
  type Personality,
} from '../../src/state/index.js';
import type { PersonaMessage, PostedMessage, PostTarget } from '../../src/webhooks/index.js';
import { buildTestPersonality } from './personality.js';
import type { createTestRedis } from './redis.js';

export const TEST_USER_ID = '100000000000000001';
export const TEST_CHANNEL_ID = '200000000000000002';
export const TEST_GUILD_ID = '300000000000000003';
export const TEST_WEBHOOK_ID = '400000000000000004';

/** The personality the replies answer as: the test user's own, on the stub's small model. */
export const TEST_REPLY_PERSONALITY: Personality = buildTestPersonality({
  id: 'alicepersona',
  ownerId: TEST_USER_ID,
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
  version: 1,
});

/** The BullMQ job of the test user's message `messageId` (a second old) mentioning {@link TEST_REPLY_PERSONALITY}. */
export function buildTestReplyJob(
  messageId: string,
  { attemptsStarted = 1, content = 'hello' }: { attemptsStarted?: number; content?: string } = {},
): Job {
  const data: ReplyJob = {
    kind: 'reply',
    version: 1,
    correlationId: 'test',
    messageId,
    channelId: TEST_CHANNEL_ID,
    parentChannelId: null,
    guildId: TEST_GUILD_ID,
    authorId: TEST_USER_ID,
    authorName: 'Bob',
    content,
    trigger: 'mention',
    personalityId: TEST_REPLY_PERSONALITY.id,
    messageCreatedAt: Date.now() - 1000,
    enqueuedAt: Date.now() - 1000,
  };
  return {
    id: `reply-${messageId}-${TEST_REPLY_PERSONALITY.id}`,
    data,
    attemptsStarted,
    moveToDelayed: async () => undefined,
  } as unknown as Job;
}

/** What every reply-processor test gives: the real Redis parts live there, the rest is faked around them. */
export interface ReplyProcessorFakes {
  readonly redis: ReturnType<typeof createTestRedis>;
  readonly prefix: string;
  readonly personality: Personality;
  readonly ai: unknown;
  readonly webhooks: unknown;
}

/**
 * A reply processor with the ledger, conversation, window and post-answer settle on real Redis, and the rest
 * (gate, cancellations, reply chains, attachments) answering as an unremarkable reply would; `overrides`
 * replace any dependency a test is about.
 */
export function buildTestReplyProcessor(
  fakes: ReplyProcessorFakes,
  overrides: Partial<Record<keyof ReplyProcessorDependencies, unknown>> = {},
  options: Partial<ReplyProcessorOptions> = {},
): ReplyProcessor {
  const { redis, prefix } = fakes;
  const deps = {
    redis,
    personalities: { fetchById: async () => fakes.personality },
    conversations: new ConversationRepository(redis, {
      prefix,
      maxTurns: 40,
      maxChars: 24_000,
      ttlSeconds: 3600,
    }),
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
        args: ['job', 'member', '0', 'conversation:', 'slot', '1'],
        finish: async () => undefined,
      }),
    },
    gate: { isTurn: async () => true, wait: async () => undefined },
    ai: fakes.ai,
    webhooks: fakes.webhooks,
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
    ...overrides,
  } as unknown as ReplyProcessorDependencies;
  return new ReplyProcessor(deps, {
    streamPacing: { firstPostChars: 100, firstPostAfterMs: 1000, editIntervalMs: 50 },
    ...options,
  });
}

/** Our webhook's posts, as Discord would keep them: each post's text, in order. */
export class PostRecordingChannel {
  readonly posted: string[] = [];
  #sequence = 0n;

  async postAsPersona(_target: PostTarget, message: PersonaMessage): Promise<PostedMessage> {
    this.#sequence += 1n;
    this.posted.push(message.content);
    return { messageId: buildSnowflake(Date.now(), this.#sequence), webhookId: TEST_WEBHOOK_ID };
  }

  async editPersonaMessage(): Promise<void> {}

  async editPosted(): Promise<void> {}

  async deletePersonaMessage(): Promise<void> {}

  async deletePosted(): Promise<void> {}

  async fetchOwnWebhookIds(): Promise<string[]> {
    return [TEST_WEBHOOK_ID];
  }

  async fetchRecentMessages(): Promise<never[]> {
    return [];
  }
}

/** What a {@link CannedAi} answers, and what it does first on every call. */
export interface CannedAnswer {
  readonly whole: string;
  readonly streamed: string;
  readonly usage: { promptTokens: number; completionTokens: number; totalTokens: number } | null;
  /** Whether a streamed answer reports the user's own key (a whole one reports the operator's). */
  readonly streamedOnOwnKey: boolean;
  readonly beforeAnswer?: () => Promise<void>;
}

/** An AI answering whole or streamed with one canned answer, as the personality's model; counts its calls. */
export class CannedAi {
  calls = 0;

  constructor(private readonly answer: CannedAnswer) {}

  async completeWithFallbacks(request: { provider: string; model: string }) {
    this.calls += 1;
    await this.answer.beforeAnswer?.();
    return {
      content: this.answer.whole,
      latencyMs: 1,
      reasoningOnly: false,
      usage: this.answer.usage,
      provider: request.provider,
      model: request.model,
      fallback: 0,
      ownKey: false,
    };
  }

  async *streamWithFallbacks(request: { provider: string; model: string }): AsyncGenerator<AiStreamEvent> {
    this.calls += 1;
    await this.answer.beforeAnswer?.();
    yield { type: 'text', text: this.answer.streamed };
    yield {
      type: 'end',
      finishReason: 'stop',
      usage: this.answer.usage,
      reasoningOnly: false,
      answeredBy: { provider: request.provider, model: request.model, ownKey: this.answer.streamedOnOwnKey },
    };
  }
}
