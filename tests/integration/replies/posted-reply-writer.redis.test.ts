/**
 * PostedReplyWriter on real Redis: a posted reply's history append (with the delivery record's history claim and
 * the user's usage counters) and its job's settle go in one script call (`finishReply`), once per reply however
 * many attempts get there.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ChannelWindowRepository } from '../../../src/context/index.js';
import { buildUserWindowsKey } from '../../../src/context/keys.js';
import { buildSnowflake } from '../../../src/discord/index.js';
import { buildPendingKey, buildSettleScriptKeys } from '../../../src/queue/keys.js';
import type { ReplyJob } from '../../../src/queue/reply-job.js';
import { DeliveryLedger, type DeliveryRecord } from '../../../src/replies/delivery-ledger.js';
import { PostedReplyWriter } from '../../../src/replies/posted-reply-writer.js';
import { ConversationRepository } from '../../../src/state/index.js';
import {
  buildDayStamp,
  buildPeriodName,
  buildUserUsageKey,
  UsageRepository,
} from '../../../src/usage/index.js';
import { buildTestPersonality } from '../../support/personality.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { buildTestJob } from '../queue/build-test-job.js';

const JOB_ID = 'reply-1-alicepersona';
/** The reply's message, posted now (the window keeps lines by their Discord time). */
const POSTED_ID = buildSnowflake(Date.now(), 9n);
const EMPTY_RECORD: DeliveryRecord = {
  decision: null,
  posted: new Map(),
  intents: new Map(),
  drafts: new Map(),
  historyAppended: false,
};

describe('PostedReplyWriter', () => {
  const prefix = createTestPrefix();
  const redis = createTestRedis();
  const conversations = new ConversationRepository(redis, {
    prefix,
    maxTurns: 40,
    maxChars: 24_000,
    ttlSeconds: 3600,
  });
  const ledger = new DeliveryLedger(redis, { prefix });
  const windows = new ChannelWindowRepository(redis, { prefix, maxAgeSeconds: 3600 });
  const usage = new UsageRepository(redis, { prefix });
  const sent: string[] = [];
  const writer = new PostedReplyWriter({
    redis,
    conversations,
    channelWindows: windows,
    ledger,
    usage,
    // The settle as ReplyAdmission builds it, on the user's real admission keys.
    admission: {
      buildSettleCall: (job: ReplyJob) => ({
        keys: buildSettleScriptKeys(prefix, job.authorId),
        args: [JOB_ID, `member:${JOB_ID}`, '0', 'conversation:', 'slot'],
        finish: async () => {
          sent.push('settled');
        },
      }),
    },
    now: Date.now,
  });
  // A server channel: the reply's own line joins the window, its user's index entry rides in finishReply.
  const job = buildTestJob();
  const decision = {
    chunks: ['Hello.'],
    reply: 'Hello.',
    isNotice: false,
    asBot: false,
    usage: { provider: 'default', model: 'stub', ownKey: false, promptTokens: 50, completionTokens: 7 },
  };
  const posted = {
    job,
    jobId: JOB_ID,
    decision,
    record: EMPTY_RECORD,
    personality: buildTestPersonality({
      id: job.personalityId,
      ownerId: job.authorId,
      name: 'Alice',
      aliases: [],
      visibility: 'public',
      systemPrompt: 'You are Alice.',
      avatarUrl: null,
      provider: 'default',
      model: 'stub',
      temperature: null,
      createdAt: 0,
      contextMode: 'personal',
      version: 1,
    }),
    joined: [],
    messageIds: [POSTED_ID],
    // The attempt streamed the reply and still holds its lease.
    streamOwner: 'attempt-a',
  };

  afterEach(async () => {
    sent.length = 0;
    await usage.flush();
    await deleteKeysWithPrefix(redis, prefix);
  });

  afterAll(() => redis.disconnect());

  describe('when two attempts finish the same reply', () => {
    it('appends, counts, settles and frees the stream in one call; the second appends and counts nothing', async () => {
      await redis.zadd(buildPendingKey(prefix, job.authorId), Date.now() + 60_000, JOB_ID);
      expect((await ledger.leaseStream(job.authorId, JOB_ID, 'attempt-a', Date.now())).kind).toBe('held');
      const commands: string[] = [];
      const sendCommand = redis.sendCommand.bind(redis);
      const spy = (command: Parameters<typeof redis.sendCommand>[0], stream?: never) => {
        commands.push(command.name);
        return sendCommand(command, stream);
      };
      redis.sendCommand = spy as typeof redis.sendCommand;
      try {
        expect(await writer.write(posted)).toBe(true);
      } finally {
        redis.sendCommand = sendCommand;
      }
      // finishReply, and the window's append (the channel's slot).
      expect(commands).toEqual(['evalsha', 'evalsha']);
      expect(sent).toEqual(['settled']);
      expect(await redis.zscore(buildPendingKey(prefix, job.authorId), JOB_ID)).toBeNull();
      // The lease was given up: another attempt takes it at once, and keeps it through the second finish.
      expect((await ledger.leaseStream(job.authorId, JOB_ID, 'attempt-b', Date.now())).kind).toBe('held');
      expect(await writer.write(posted)).toBe(true);
      expect((await ledger.leaseStream(job.authorId, JOB_ID, 'attempt-c', Date.now())).kind).toBe('busy');
      const history = await conversations.fetchHistory(job.authorId, job.channelId, job.personalityId);
      expect(history.map((turn) => turn.role)).toEqual(['user', 'assistant']);
      const day = buildUserUsageKey(prefix, job.authorId, buildPeriodName('day', buildDayStamp(Date.now())));
      expect(await redis.hgetall(day)).toEqual({ operator: '57', [`p:${job.personalityId}`]: '57' });
      expect((await ledger.fetch(job.authorId, JOB_ID)).historyAppended).toBe(true);
      expect(await redis.zrange(buildUserWindowsKey(prefix, job.authorId), '0', '-1')).toEqual([
        job.channelId,
      ]);
      const lines = await windows.fetchLines(job.channelId, [POSTED_ID]);
      expect(lines.get(POSTED_ID)).toMatchObject({ content: 'Hello.', userId: job.authorId });
    });
  });

  describe('when the reply is a notice', () => {
    it('remembers nothing and leaves the settle to the caller', async () => {
      expect(await writer.write({ ...posted, decision: { ...decision, isNotice: true } })).toBe(false);
      expect(await conversations.fetchHistory(job.authorId, job.channelId, job.personalityId)).toEqual([]);
    });
  });
});
