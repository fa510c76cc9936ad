/**
 * What the reply processor reads between the AI's answer and its first post, counted with MONITOR (every command
 * under this file's prefix): the deletion mark and the channel's newest message share the channel's hash tag, so
 * they go out as one `readSlot` call, whole reply or streamed, and a mark written during the AI call (no live
 * cancel published) still cancels the reply there.
 */
import type { Job } from 'bullmq';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { RedisMonitor } from '../../../bench/redis-monitor.js';
import { buildWindowLinesKey } from '../../../src/context/keys.js';
import { buildSnowflake } from '../../../src/discord/index.js';
import type { ReplyProcessor } from '../../../src/replies/reply-processor.js';
import { ChannelActivityRepository, MessageEventRepository } from '../../../src/state/index.js';
import { buildChannelLatestKey, buildDeletedMessageKey } from '../../../src/state/keys.js';
import {
  createTestPrefix,
  createTestRedis,
  deleteKeysWithPrefix,
  TEST_REDIS_URL,
} from '../../support/redis.js';
import {
  buildTestReplyJob,
  buildTestReplyProcessor,
  CannedAi,
  PostRecordingChannel,
  TEST_CHANNEL_ID,
  TEST_REPLY_PERSONALITY,
} from '../../support/reply-processor-fakes.js';

const CHANNEL = TEST_CHANNEL_ID;
const ANSWER = 'Hello '.repeat(40);

describe('the reads after the AI answered', () => {
  const prefix = createTestPrefix();
  const redis = createTestRedis();
  const messageEvents = new MessageEventRepository(redis, { prefix });
  const channelActivity = new ChannelActivityRepository(redis, { prefix });
  let sequence = 0n;

  function buildProcessor(
    channel: PostRecordingChannel,
    beforeAnswer: () => Promise<void>,
    streamReplies: boolean,
  ): ReplyProcessor {
    const personality = { ...TEST_REPLY_PERSONALITY, streamReplies };
    const ai = new CannedAi({
      whole: ANSWER,
      streamed: ANSWER,
      usage: null,
      streamedOnOwnKey: false,
      beforeAnswer,
    });
    // The reads under test run for real: the deletion mark and the channel's newest message.
    return buildTestReplyProcessor(
      { redis, prefix, personality, ai, webhooks: channel },
      { messageEvents, channelActivity },
    );
  }

  function buildJob(): Job {
    sequence += 1n;
    return buildTestReplyJob(buildSnowflake(Date.now() - 1000, sequence));
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
      const channel = new PostRecordingChannel();
      try {
        const processor = buildProcessor(channel, async () => undefined, streamReplies);
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
      const channel = new PostRecordingChannel();
      const deleteDuringCall = () => messageEvents.markDeleted(CHANNEL, job.data.messageId);
      const processor = buildProcessor(channel, deleteDuringCall, streamReplies);
      expect(await processor.process(job, 'attempt')).toBe('cancelled');
      expect(channel.posted).toEqual([]);
    });
  });
});
