/**
 * PostedReplyWriter on real Redis: a posted reply's history append (with the delivery record's history claim and
 * the user's usage counters) and its job's settle go in one script call (`finishReply`), once per reply however
 * many attempts get there, with the last chunk's posted record when the delivery left it to it; the reply's last
 * message is recorded as its channel's newest with its lines.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ChannelWindowRepository } from '../../../src/context/index.js';
import { buildUserWindowsKey } from '../../../src/context/keys.js';
import { buildSnowflake } from '../../../src/discord/index.js';
import { buildPendingKey, buildSettleScriptKeys } from '../../../src/queue/keys.js';
import type { ReplyJob } from '../../../src/queue/reply-job.js';
import { buildPostedEntry } from '../../../src/replies/chunk-delivery.js';
import { DeliveryLedger, type DeliveryRecord } from '../../../src/replies/delivery-ledger.js';
import { PostedReplyWriter } from '../../../src/replies/posted-reply-writer.js';
import {
  ChannelActivityRepository,
  ConversationRepository,
  MessageIndexRepository,
} from '../../../src/state/index.js';
import { buildUserPostedKey } from '../../../src/state/keys.js';
import {
  buildDayStamp,
  buildPeriodName,
  buildUserUsageKey,
  UsageRepository,
} from '../../../src/usage/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { TEST_REPLY_PERSONALITY } from '../../support/reply-processor-fakes.js';
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
  const messageIndex = new MessageIndexRepository(redis, { prefix });
  const channelActivity = new ChannelActivityRepository(redis, { prefix });
  const sent: string[] = [];
  const writer = new PostedReplyWriter({
    redis,
    conversations,
    channelWindows: windows,
    ledger,
    messageIndex,
    channelActivity,
    usage,
    // The settle as ReplyAdmission builds it, on the user's real admission keys.
    admission: {
      buildSettleCall: (job: ReplyJob) => ({
        keys: buildSettleScriptKeys(prefix, job.authorId),
        args: [JOB_ID, `member:${JOB_ID}`, '0', 'conversation:', 'slot', '1'],
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
    personality: { ...TEST_REPLY_PERSONALITY, model: 'stub' },
    joined: [],
    messageIds: [POSTED_ID],
    unrecorded: null,
    // The attempt streamed the reply and still holds its lease.
    streamOwner: 'attempt-a',
  };

  afterEach(async () => {
    sent.length = 0;
    await usage.flush();
    await deleteKeysWithPrefix(redis, prefix);
  });

  afterAll(() => redis.disconnect());

  /** Runs `write` and resolves with the names of the commands it sent. */
  async function recordCommands(write: () => Promise<unknown>): Promise<string[]> {
    const commands: string[] = [];
    const sendCommand = redis.sendCommand.bind(redis);
    const spy = (command: Parameters<typeof redis.sendCommand>[0], stream?: never) => {
      commands.push(command.name);
      return sendCommand(command, stream);
    };
    redis.sendCommand = spy as typeof redis.sendCommand;
    try {
      await write();
    } finally {
      redis.sendCommand = sendCommand;
    }
    return commands;
  }

  describe('when two attempts finish the same reply', () => {
    it('appends, counts, settles and frees the stream in one call; the second appends and counts nothing', async () => {
      await redis.zadd(buildPendingKey(prefix, job.authorId), Date.now() + 60_000, JOB_ID);
      expect((await ledger.leaseStream(job.authorId, JOB_ID, 'attempt-a', Date.now())).kind).toBe('held');
      const commands = await recordCommands(async () => expect(await writer.write(posted)).toBe(true));
      // finishReply, and the window's append (the channel's slot), which records the reply as its newest.
      expect(commands).toEqual(['evalsha', 'evalsha']);
      expect(await channelActivity.fetchLatest(job.channelId)).toBe(POSTED_ID);
      expect(sent).toEqual(['settled']);
      expect(await redis.zscore(buildPendingKey(prefix, job.authorId), JOB_ID)).toBeNull();
      // The lease was given up: another attempt takes it at once, and keeps it through the second finish.
      expect((await ledger.leaseStream(job.authorId, JOB_ID, 'attempt-b', Date.now())).kind).toBe('held');
      expect(await writer.write(posted)).toBe(true);
      expect((await ledger.leaseStream(job.authorId, JOB_ID, 'attempt-c', Date.now())).kind).toBe('busy');
      const history = await conversations.fetchHistory(job.authorId, job.channelId, job.personalityId);
      expect(history.map((turn) => turn.role)).toEqual(['user', 'assistant']);
      const day = buildUserUsageKey(prefix, job.authorId, buildPeriodName('day', buildDayStamp(Date.now())));
      expect(await redis.hgetall(day)).toEqual({ [`operator:${job.personalityId}`]: '57' });
      expect((await ledger.fetch(job.authorId, JOB_ID)).historyAppended).toBe(true);
      expect(await redis.zrange(buildUserWindowsKey(prefix, job.authorId), '0', '-1')).toEqual([
        job.channelId,
      ]);
      const lines = await windows.fetchLines(job.channelId, [POSTED_ID]);
      expect(lines.get(POSTED_ID)).toMatchObject({ content: 'Hello.', userId: job.authorId });
    });
  });

  describe("when the user's window index already lists the channel", () => {
    const HOUR_MS = 3600 * 1000;
    const windowsKey = () => buildUserWindowsKey(prefix, job.authorId);

    it('leaves an entry written less than half a window age ago as it is', async () => {
      const written = Date.now() - HOUR_MS / 2 + 60_000;
      await redis.zadd(windowsKey(), written, job.channelId);
      await redis.pexpire(windowsKey(), 3 * HOUR_MS);
      expect(await writer.write(posted)).toBe(true);
      expect(Number(await redis.zscore(windowsKey(), job.channelId))).toBe(written);
    });

    it('rewrites an older entry, and the key’s TTL with it', async () => {
      // A sixth of the entry's keep (three window ages and the window's slack of a quarter age) is past.
      await redis.zadd(windowsKey(), Date.now() - (HOUR_MS * 13) / 24 - 60_000, job.channelId);
      await redis.pexpire(windowsKey(), 2 * HOUR_MS);
      const before = Date.now();
      expect(await writer.write(posted)).toBe(true);
      expect(Number(await redis.zscore(windowsKey(), job.channelId))).toBeGreaterThanOrEqual(before);
      expect(await redis.pttl(windowsKey())).toBeGreaterThan(3 * HOUR_MS - 60_000);
    });

    it('migrates an index an older version wrote as a set', async () => {
      await redis.sadd(windowsKey(), job.channelId, '900000000000000001');
      await redis.pexpire(windowsKey(), HOUR_MS);
      expect(await writer.write(posted)).toBe(true);
      expect(await redis.type(windowsKey())).toBe('zset');
      expect((await redis.zrange(windowsKey(), '0', '-1')).sort()).toEqual(
        [job.channelId, '900000000000000001'].sort(),
      );
    });
  });

  describe("when the delivery left the last chunk's record to it", () => {
    const personality = posted.personality;
    const unrecorded = {
      entry: buildPostedEntry(job, personality, [POSTED_ID]),
      record: ledger.buildPostedRecord(job.authorId, JOB_ID, 0, POSTED_ID),
    };

    it('records the post in finishReply, its entry in the same round trip', async () => {
      const commands = await recordCommands(async () =>
        expect(await writer.write({ ...posted, streamOwner: null, unrecorded })).toBe(true),
      );
      // finishReply (the user's slot), and the message's entry folded with the window's append (the channel's
      // slot): one write, order across slots free.
      expect(commands).toEqual(['evalsha', 'evalsha']);
      const record = await ledger.fetch(job.authorId, JOB_ID);
      expect(record.posted.get(0)).toBe(POSTED_ID);
      expect(record.historyAppended).toBe(true);
      expect(await redis.zrange(buildUserPostedKey(prefix, job.authorId), '0', '-1')).toEqual([
        `${job.channelId}:${POSTED_ID}`,
      ]);
      expect(await messageIndex.fetchPersonalityForMessage(job.channelId, POSTED_ID)).toMatchObject({
        personalityId: personality.id,
        userId: job.authorId,
        sourceMessageId: job.messageId,
      });
    });

    it('records the post even when another attempt appended the history first', async () => {
      expect(await writer.write({ ...posted, streamOwner: null })).toBe(true);
      expect(await writer.write({ ...posted, streamOwner: null, unrecorded })).toBe(true);
      expect((await ledger.fetch(job.authorId, JOB_ID)).posted.get(0)).toBe(POSTED_ID);
      const history = await conversations.fetchHistory(job.authorId, job.channelId, job.personalityId);
      expect(history).toHaveLength(2);
    });
  });

  describe('when the reply is a notice', () => {
    it('remembers nothing and leaves the settle to the caller', async () => {
      expect(await writer.write({ ...posted, decision: { ...decision, isNotice: true } })).toBe(false);
      expect(await conversations.fetchHistory(job.authorId, job.channelId, job.personalityId)).toEqual([]);
    });

    it("records a personality's notice as the channel's newest on its own", async () => {
      const commands = await recordCommands(() =>
        writer.write({ ...posted, decision: { ...decision, isNotice: true } }),
      );
      expect(commands).toEqual(['evalsha']);
      expect(await channelActivity.fetchLatest(job.channelId)).toBe(POSTED_ID);
    });

    it("leaves the bot's notice to the gateway", async () => {
      const commands = await recordCommands(() =>
        writer.write({ ...posted, decision: { ...decision, isNotice: true, asBot: true } }),
      );
      expect(commands).toEqual([]);
      expect(await channelActivity.fetchLatest(job.channelId)).toBeNull();
    });
  });

  describe('in a DM', () => {
    it("leaves the channel's newest to the gateway (the bot posts there, not a webhook)", async () => {
      const dm = { ...posted, job: { ...job, guildId: null }, streamOwner: null };
      const commands = await recordCommands(() => writer.write(dm));
      expect(commands).toEqual(['evalsha']);
      expect(await channelActivity.fetchLatest(job.channelId)).toBeNull();
    });
  });
});
