/**
 * A streamed reply through the reply processor with the delivery ledger on real Redis (its Lua scripts
 * `claimStreamMessage`, `leaseDeliveryStream`, `decideReply`), and everything else faked: an in-memory channel
 * standing in for Discord's webhooks, and a scripted AI stream. What it checks is the ledger's part: each
 * message of a stream is recorded, and an attempt that takes over a stream whose worker died edits those
 * messages into exactly one complete reply.
 */
import type { Job } from 'bullmq';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type AiStreamEvent, ProviderStreamBrokenError } from '../../../src/ai/index.js';
import { buildSnowflake } from '../../../src/discord/index.js';
import { createLogger } from '../../../src/log/index.js';
import { DeliveryLedger } from '../../../src/replies/delivery-ledger.js';
import { ReplyMessages } from '../../../src/replies/messages.js';
import type { ReplyProcessor } from '../../../src/replies/reply-processor.js';
import { ConversationRepository, type ConversationTurn } from '../../../src/state/index.js';
import { buildChannelLatestKey } from '../../../src/state/keys.js';
import type {
  PersonaMessage,
  PostedMessage,
  PostTarget,
  RecentMessage,
} from '../../../src/webhooks/index.js';
import { splitMessage } from '../../../src/webhooks/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import {
  buildTestReplyJob,
  buildTestReplyProcessor,
  TEST_CHANNEL_ID as CHANNEL,
  TEST_GUILD_ID as GUILD,
  TEST_REPLY_PERSONALITY as PERSONALITY,
  TEST_USER_ID as USER,
  TEST_WEBHOOK_ID as WEBHOOK,
} from '../../support/reply-processor-fakes.js';

/** Quick edits keep the tests short; the pace itself is the unit tests' and e2e's. */
const EDIT_INTERVAL_MS = 200;

/** Our webhook's messages in one channel, as Discord would keep them. */
class FakeChannel {
  readonly messages = new Map<
    string,
    { content: string; deleted: boolean; postedAt: number; edits: { at: number; content: string }[] }
  >();
  #sequence = 0n;
  /** When set, a post is stored and then never answered (the worker dies as Discord accepts it). */
  dieOnPost = false;

  live(): string[] {
    return [...this.messages.values()]
      .filter((message) => !message.deleted)
      .map((message) => message.content);
  }

  async postAsPersona(_target: PostTarget, message: PersonaMessage): Promise<PostedMessage> {
    this.#sequence += 1n;
    const messageId = buildSnowflake(Date.now(), this.#sequence);
    this.messages.set(messageId, {
      content: message.content,
      deleted: false,
      postedAt: Date.now(),
      edits: [],
    });
    if (this.dieOnPost) await new Promise(() => undefined);
    return { messageId, webhookId: WEBHOOK };
  }

  async postAsBot(_channelId: string, content: string): Promise<PostedMessage> {
    return this.postAsPersona(
      { channelId: CHANNEL, parentChannelId: null, guildId: GUILD },
      { username: 'bot', avatarUrl: null, content },
    );
  }

  async editPersonaMessage(_target: PostTarget, posted: PostedMessage, content: string): Promise<void> {
    await this.editPosted(CHANNEL, posted.messageId, content);
  }

  async editPosted(_channelId: string, messageId: string, content: string): Promise<void> {
    const message = this.messages.get(messageId);
    if (message === undefined || message.deleted)
      throw Object.assign(new Error('Unknown Message'), { code: 10008 });
    message.content = content;
    message.edits.push({ at: Date.now(), content });
  }

  async deletePersonaMessage(_target: PostTarget, posted: PostedMessage): Promise<void> {
    await this.deletePosted(CHANNEL, posted.messageId);
  }

  async deletePosted(_channelId: string, messageId: string): Promise<void> {
    const message = this.messages.get(messageId);
    if (message !== undefined) message.deleted = true;
  }

  async fetchOwnWebhookIds(): Promise<string[]> {
    return [WEBHOOK];
  }

  async fetchRecentMessages(_channelId: string, query: { after?: string }): Promise<RecentMessage[]> {
    return [...this.messages.entries()]
      .filter(([id, message]) => !message.deleted && BigInt(id) > BigInt(query.after ?? '0'))
      .map(([id, message]) => ({
        id,
        channelId: CHANNEL,
        webhookId: WEBHOOK,
        authorId: WEBHOOK,
        authorName: 'Alice',
        authorIsBot: false,
        content: message.content,
      }));
  }
}

/** A scripted AI: each call streams (or answers) the next script. */
class FakeAi {
  readonly streams: Array<(signal: AbortSignal) => AsyncIterable<AiStreamEvent>> = [];
  readonly answers: string[] = [];
  readonly aborted: boolean[] = [];

  async completeWithFallbacks(request: { provider: string; model: string }) {
    const content = this.answers.shift() ?? 'no answer scripted';
    return { content, latencyMs: 1, reasoningOnly: false, usage: null, ...request, fallback: 0 };
  }

  streamWithFallbacks(request: { signal?: AbortSignal }): AsyncIterable<AiStreamEvent> {
    const next = this.streams.shift();
    if (next === undefined) throw new Error('no stream scripted');
    const signal = request.signal ?? new AbortController().signal;
    signal.addEventListener('abort', () => this.aborted.push(true));
    return next(signal);
  }
}

/** Streams `text` in pieces of `size`, `delayMs` apart; then, if given, fails with `end` instead of ending. */
function streamOf(text: string, size: number, delayMs: number, end?: () => Error) {
  return async function* (signal: AbortSignal): AsyncGenerator<AiStreamEvent> {
    for (let at = 0; at < text.length; at += size) {
      await abortableSleep(delayMs, signal);
      yield { type: 'text', text: text.slice(at, at + size) };
    }
    if (end !== undefined) throw end();
    yield { type: 'end', finishReason: 'stop', usage: null, reasoningOnly: false };
  };
}

/** Streams `text` at once, then never ends (until aborted). */
function streamThenHang(text: string) {
  return async function* (signal: AbortSignal): AsyncGenerator<AiStreamEvent> {
    yield { type: 'text', text };
    await abortableSleep(3_600_000, signal);
  };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });
}

const words = (count: number) =>
  Array.from({ length: count }, (_, index) => `word${index}${index % 12 === 11 ? '.\n\n' : ' '}`).join('');

describe('ReplyProcessor with a streamed reply', () => {
  const prefix = createTestPrefix();
  const redisClients = [createTestRedis()];
  const logger = createLogger({ level: 'silent' });
  const conversations = new ConversationRepository(redisClients[0]!, {
    prefix,
    maxTurns: 40,
    maxChars: 100_000,
    ttlSeconds: 3600,
  });
  /** The conversation's appends so far, each a user turn and its answer. */
  const appended = async (personalityId = PERSONALITY.id): Promise<ConversationTurn[][]> => {
    const turns = await conversations.fetchHistory(USER, CHANNEL, personalityId);
    return Array.from({ length: turns.length / 2 }, (_, index) => turns.slice(index * 2, index * 2 + 2));
  };
  const deletedMessages = new Set<string>();
  const watchers = new Map<string, AbortController>();

  function buildProcessor(
    channel: FakeChannel,
    ai: FakeAi,
    options: { clockOffsetMs?: number; redis?: ReturnType<typeof createTestRedis> } = {},
  ): ReplyProcessor {
    const redis = options.redis ?? redisClients[0]!;
    const now = () => Date.now() + (options.clockOffsetMs ?? 0);
    return buildTestReplyProcessor(
      { redis, prefix, personality: PERSONALITY, ai, webhooks: channel },
      {
        conversations,
        messageEvents: {
          isDeleted: async (_channelId: string, messageId: string) => deletedMessages.has(messageId),
          fetchEdit: async () => null,
        },
        cancellations: {
          watch: (messageId: string) => {
            const controller = new AbortController();
            watchers.set(messageId, controller);
            return { signal: controller.signal, release: () => watchers.delete(messageId) };
          },
        },
        logger,
        now,
      },
      { streamPacing: { firstPostChars: 100, firstPostAfterMs: 1000, editIntervalMs: EDIT_INTERVAL_MS } },
    );
  }

  function buildJob(messageId: string, attemptsStarted = 1): Job {
    return buildTestReplyJob(messageId, { attemptsStarted, content: 'tell me a story' });
  }

  let messageSequence = 0n;
  const newMessageId = () => {
    messageSequence += 1n;
    return buildSnowflake(Date.now() - 1000, messageSequence);
  };

  afterEach(async () => {
    deletedMessages.clear();
    await deleteKeysWithPrefix(redisClients[0]!, prefix);
  });

  afterAll(() => {
    for (const redis of redisClients) redis.disconnect();
  });

  describe('when the stream runs to its end', () => {
    it('posts once, edits as the text grows, overflows at 2000, and remembers the whole text once', async () => {
      const channel = new FakeChannel();
      const ai = new FakeAi();
      const text = words(500);
      ai.streams.push(streamOf(text, 60, 15));
      const processor = buildProcessor(channel, ai);
      const messageId = newMessageId();
      const job = buildJob(messageId);
      expect(await processor.process(job, 'attempt-a')).toBe('replied');

      const expected = splitMessage(text);
      expect(channel.live()).toEqual(expected);
      for (const message of channel.messages.values()) {
        // Never two writes of one message closer than the interval (its post counts as one).
        const writes = [message.postedAt, ...message.edits.map((edit) => edit.at)];
        for (let index = 1; index < writes.length; index += 1)
          expect(writes[index]! - writes[index - 1]!).toBeGreaterThanOrEqual(EDIT_INTERVAL_MS);
      }
      expect([...channel.messages.values()][0]!.edits.length).toBeGreaterThan(1);
      expect(await appended()).toEqual([
        [
          expect.objectContaining({ role: 'user' }),
          expect.objectContaining({ role: 'assistant', content: text }),
        ],
      ]);
      const record = await new DeliveryLedger(redisClients[0]!, { prefix }).fetch(USER, job.id!);
      expect(record.decision?.chunks).toEqual(expected);
      expect([...record.posted.keys()].sort()).toEqual([0, 1, 2].slice(0, expected.length));
      expect(record.historyAppended).toBe(true);
      // Its final write records its last message as the channel's newest.
      const latest = await redisClients[0]!.get(buildChannelLatestKey(prefix, CHANNEL));
      expect(latest).toBe(record.posted.get(expected.length - 1));
    });
  });

  describe("when the worker dies after the stream's first message", () => {
    it('a retry runs the AI again and edits that message into exactly one complete reply', async () => {
      const channel = new FakeChannel();
      const ai = new FakeAi();
      const start = 'Once upon a time '.repeat(10);
      ai.streams.push(streamThenHang(start));
      const messageId = newMessageId();
      // Attempt A posts its first message, then its worker dies: its Redis connection goes, nothing more runs.
      const redisA = createTestRedis();
      redisClients.push(redisA);
      const attemptA = buildProcessor(channel, ai, { redis: redisA })
        .process(buildJob(messageId), 'attempt-a')
        .catch(() => undefined);
      await waitUntil(() => channel.live().length === 1);
      expect(channel.live()).toEqual([start.trimEnd()]);
      redisA.disconnect();

      // Attempt B comes after A's leases lapsed, answers whole (the AI says more this time) and takes over.
      const full = `${start}${words(400)}`;
      ai.answers.push(full);
      const attemptB = buildProcessor(channel, ai, { clockOffsetMs: 30_000 });
      expect(await attemptB.process(buildJob(messageId, 2), 'attempt-b')).toBe('replied');
      const expected = splitMessage(full);
      expect(expected.length).toBe(2);
      expect(channel.live()).toEqual(expected);
      expect(channel.messages.size).toBe(2);
      const history = await appended();
      expect(history).toHaveLength(1);
      expect(history[0]![1]).toMatchObject({ role: 'assistant', content: full });
      void attemptA;
    });

    it('deletes the messages the shorter answer of the retry no longer needs', async () => {
      const channel = new FakeChannel();
      const ai = new FakeAi();
      const long = words(450);
      // A streams two messages' worth, then dies before finishing.
      ai.streams.push(async function* (signal) {
        yield* streamOf(long, 400, 5)(signal);
        await abortableSleep(3_600_000, signal);
      });
      const messageId = newMessageId();
      const redisA = createTestRedis();
      redisClients.push(redisA);
      void buildProcessor(channel, ai, { redis: redisA })
        .process(buildJob(messageId), 'attempt-a')
        .catch(() => undefined);
      await waitUntil(() => channel.live().length === 2);
      await new Promise((resolve) => setTimeout(resolve, EDIT_INTERVAL_MS * 3));
      redisA.disconnect();

      ai.answers.push('A short story, this time.');
      const attemptB = buildProcessor(channel, ai, { clockOffsetMs: 30_000 });
      expect(await attemptB.process(buildJob(messageId, 2), 'attempt-b')).toBe('replied');
      expect(channel.live()).toEqual(['A short story, this time.']);
      const record = await new DeliveryLedger(redisClients[0]!, { prefix }).fetch(
        USER,
        `reply-${messageId}-${PERSONALITY.id}`,
      );
      expect([...record.posted.keys()]).toEqual([0]);
    });
  });

  describe('when a second attempt starts while the first still streams', () => {
    it('waits for it instead of touching its messages', async () => {
      const channel = new FakeChannel();
      const ai = new FakeAi();
      ai.streams.push(streamThenHang('Still writing this one, '.repeat(6)));
      const messageId = newMessageId();
      const first = buildProcessor(channel, ai).process(buildJob(messageId), 'attempt-a');
      await waitUntil(() => channel.live().length === 1);
      const delayedUntil: number[] = [];
      const second = buildJob(messageId, 2);
      (second as unknown as { moveToDelayed: (at: number) => Promise<void> }).moveToDelayed = async (at) => {
        delayedUntil.push(at);
      };
      await expect(buildProcessor(channel, ai).process(second, 'attempt-b')).rejects.toThrow();
      expect(delayedUntil).toHaveLength(1);
      expect(ai.answers).toEqual([]);
      expect([...channel.messages.values()][0]!.edits).toEqual([]);
      watchers.get(messageId)?.abort(new Error('message deleted'));
      deletedMessages.add(messageId);
      expect(await first).toBe('cancelled');
    });
  });

  describe('when a job whose stream never finished fails for good', () => {
    it('deletes the half-written reply, then posts the one failure notice', async () => {
      const channel = new FakeChannel();
      const ai = new FakeAi();
      ai.streams.push(streamThenHang('A story that will never end, '.repeat(5)));
      const messageId = newMessageId();
      const redisA = createTestRedis();
      redisClients.push(redisA);
      void buildProcessor(channel, ai, { redis: redisA })
        .process(buildJob(messageId), 'attempt-a')
        .catch(() => undefined);
      await waitUntil(() => channel.live().length === 1);
      redisA.disconnect();

      await buildProcessor(channel, ai, { clockOffsetMs: 30_000 }).notifyFailure(
        buildJob(messageId, 4),
        new Error('job stalled more than allowable limit'),
      );
      expect(channel.live()).toEqual([ReplyMessages.failed()]);
    });
  });

  describe('when the worker dies as Discord accepts the first post', () => {
    it('the retry finds the message by what it was posted with, and edits it', async () => {
      const channel = new FakeChannel();
      channel.dieOnPost = true;
      const ai = new FakeAi();
      const start = 'Long ago, in a channel far away, '.repeat(4);
      ai.streams.push(streamThenHang(start));
      const messageId = newMessageId();
      const redisA = createTestRedis();
      redisClients.push(redisA);
      void buildProcessor(channel, ai, { redis: redisA })
        .process(buildJob(messageId), 'attempt-a')
        .catch(() => undefined);
      await waitUntil(() => channel.messages.size === 1);
      redisA.disconnect();
      channel.dieOnPost = false;

      ai.answers.push(`${start}the end.`);
      const attemptB = buildProcessor(channel, ai, { clockOffsetMs: 30_000 });
      expect(await attemptB.process(buildJob(messageId, 2), 'attempt-b')).toBe('replied');
      expect(channel.live()).toEqual([`${start}the end.`]);
      expect(channel.messages.size).toBe(1);
    });
  });

  describe('when the stream breaks after text was shown', () => {
    it('finishes the message with the marker, does not retry, and remembers the text', async () => {
      const channel = new FakeChannel();
      const ai = new FakeAi();
      const text = 'The answer begins well and then '.repeat(5);
      ai.streams.push(
        streamOf(
          text,
          40,
          10,
          () =>
            new ProviderStreamBrokenError({
              provider: 'default',
              model: 'stub-small',
              failure: { kind: 'network', detail: 'other side closed' },
            }),
        ),
      );
      const processor = buildProcessor(channel, ai);
      expect(await processor.process(buildJob(newMessageId()), 'attempt-a')).toBe('replied');
      expect(channel.live()).toEqual([`${text.trimEnd()} … (interrupted)`]);
      expect((await appended())[0]![1]).toMatchObject({ role: 'assistant', content: text });
    });
  });

  describe('when the stream breaks before anything was shown', () => {
    it('throws, so the job is retried, and posts nothing', async () => {
      const channel = new FakeChannel();
      const ai = new FakeAi();
      ai.streams.push(
        streamOf(
          'Short',
          5,
          1,
          () =>
            new ProviderStreamBrokenError({
              provider: 'default',
              model: 'stub-small',
              failure: { kind: 'network', detail: 'other side closed' },
            }),
        ),
      );
      const processor = buildProcessor(channel, ai);
      await expect(processor.process(buildJob(newMessageId()), 'attempt-a')).rejects.toBeInstanceOf(
        ProviderStreamBrokenError,
      );
      expect(channel.messages.size).toBe(0);
    });
  });

  describe('when the author deletes the message mid-stream', () => {
    it('stops the AI call and deletes the partial reply', async () => {
      const channel = new FakeChannel();
      const ai = new FakeAi();
      ai.streams.push(streamOf(words(400), 30, 20));
      const messageId = newMessageId();
      const processor = buildProcessor(channel, ai);
      const outcome = processor.process(buildJob(messageId), 'attempt-a');
      await waitUntil(() => channel.live().length === 1);
      deletedMessages.add(messageId);
      watchers.get(messageId)?.abort(new Error('message deleted'));
      expect(await outcome).toBe('cancelled');
      expect(ai.aborted).toEqual([true]);
      expect(channel.live()).toEqual([]);
      expect(await appended()).toEqual([]);
      const record = await new DeliveryLedger(redisClients[0]!, { prefix }).fetch(
        USER,
        `reply-${messageId}-${PERSONALITY.id}`,
      );
      expect(record.posted.size).toBe(0);
      expect(record.decision).toBeNull();
    });
  });

  describe('when the answer is short', () => {
    it('posts it once, whole, with no edits', async () => {
      const channel = new FakeChannel();
      const ai = new FakeAi();
      ai.streams.push(streamOf('Hi there!', 3, 5));
      const processor = buildProcessor(channel, ai);
      expect(await processor.process(buildJob(newMessageId()), 'attempt-a')).toBe('replied');
      expect(channel.live()).toEqual(['Hi there!']);
      expect([...channel.messages.values()][0]!.edits).toEqual([]);
    });
  });
});

async function waitUntil(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
