/**
 * Coalescing against real Redis and BullMQ: admission opens a slot and adds a person's job delayed by the rest of
 * the window; follow-ups join it until the worker's claim closes it; every attempt's claim reads the same parts;
 * the cap, deletions and edits of joined follow-ups, settling, the wait for an earlier job, and that every key
 * written expires.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/index.js';
import {
  buildReplyJobId,
  type CoalescedPart,
  ConversationGate,
  createReplyQueue,
  ReplyAdmission,
  ReplyCoalescer,
  type ReplyJob,
  type ReplyQueue,
} from '../../../src/queue/index.js';
import {
  buildAdmittedKey,
  buildCoalesceGroupsKey,
  buildCoalesceSlotsKey,
  buildJoinedMessageKey,
  buildPendingKey,
} from '../../../src/queue/keys.js';
import { RedisBatch } from '../../../src/redis/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { buildTestChannelId, buildTestJob, ROOMY_LIMITS } from './build-test-job.js';

const logger = createLogger({ level: 'silent', service: 'test' });
const redis = createTestRedis();
const WINDOW_MS = 1500;

let prefix: string;
let queue: ReplyQueue;
let admission: ReplyAdmission;
let coalescer: ReplyCoalescer;
let gate: ConversationGate;
let nextFollowUp = 0;

beforeEach(() => {
  prefix = createTestPrefix();
  queue = createReplyQueue(redis, { prefix, logger });
  admission = new ReplyAdmission(redis, {
    prefix,
    logger,
    limits: ROOMY_LIMITS,
    queue,
    coalesceWindowMs: WINDOW_MS,
  });
  coalescer = new ReplyCoalescer(redis, { prefix, windowMs: WINDOW_MS, maxParts: 4 });
  gate = new ConversationGate(redis, { prefix });
});

afterEach(async () => {
  await queue.close();
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

/** A person's job written just now (so its reply waits the whole window). */
function freshJob(overrides: Partial<ReplyJob> = {}): ReplyJob {
  const now = Date.now();
  return buildTestJob({ messageCreatedAt: now, enqueuedAt: now, ...overrides });
}

function jobIdOf(job: ReplyJob): string {
  return buildReplyJobId(job.messageId, job.personalityId);
}

function followUp(content: string): CoalescedPart {
  nextFollowUp += 1;
  return { messageId: (500_000_000_000_000_000n + BigInt(nextFollowUp)).toString(), content, at: Date.now() };
}

function join(job: ReplyJob, part: CoalescedPart, named = false) {
  return coalescer.join(
    {
      authorId: job.authorId,
      channelId: job.channelId,
      personalityId: job.personalityId,
      jobId: jobIdOf(job),
    },
    part,
    named,
  );
}

/** What the worker does first: the turn check, then the claim, in one batch. */
async function start(job: ReplyJob): Promise<{ isTurn: boolean; parts: readonly CoalescedPart[] }> {
  const [isTurn, parts] = await RedisBatch.together((batch) =>
    Promise.all([gate.isTurn(job, batch), coalescer.claim(job, batch)]),
  );
  return { isTurn, parts };
}

function texts(parts: readonly CoalescedPart[]): string[] {
  return parts.map((part) => part.content);
}

describe('ReplyCoalescer', () => {
  describe('when a person’s job is admitted', () => {
    it('opens a slot for its conversation and adds the job delayed by the rest of the window', async () => {
      const job = freshJob({ messageCreatedAt: Date.now() - 500 });
      expect(await admission.admit(job)).toMatchObject({ outcome: 'enqueued' });
      const added = await queue.getJob(jobIdOf(job));
      expect(await added?.getState()).toBe('delayed');
      expect(added?.delay).toBeGreaterThan(800);
      expect(added?.delay).toBeLessThanOrEqual(1000);
      const slots = await coalescer.fetchOpenSlots(job.authorId, job.channelId);
      expect(slots.get(job.personalityId)).toMatchObject({
        jobId: jobIdOf(job),
        named: true,
        trigger: 'mention',
      });
      expect((await coalescer.fetchOpenSlots(job.authorId, buildTestChannelId(1))).size).toBe(0);
    });

    it.each<[string, Partial<ReplyJob>]>([
      ['a regeneration', { answersMessageId: '400000000000000001' }],
      [
        'a link of a personality chain',
        { chain: { depth: 1, speakerPersonalityId: 'bobpersona', rootMessageId: '400000000000000001' } },
      ],
    ])('opens none for %s, which is added to run at once', async (_name, overrides) => {
      const job = freshJob(overrides);
      await admission.admit(job);
      expect(await (await queue.getJob(jobIdOf(job)))?.getState()).toBe('prioritized');
      expect((await coalescer.fetchOpenSlots(job.authorId, job.channelId)).size).toBe(0);
    });

    it('opens none, and adds the job to run at once, with the window 0', async () => {
      const off = new ReplyAdmission(redis, { prefix, logger, limits: ROOMY_LIMITS, queue });
      const job = freshJob();
      await off.admit(job);
      expect(await (await queue.getJob(jobIdOf(job)))?.getState()).toBe('prioritized');
      expect(await redis.exists(buildCoalesceSlotsKey(prefix, job.authorId))).toBe(0);
    });
  });

  describe('when follow-ups join before the reply starts', () => {
    it('the reply’s claim returns them oldest first, and a retry’s the same ones', async () => {
      const job = freshJob();
      await admission.admit(job);
      expect(await join(job, followUp('second'))).toBe('joined');
      expect(await join(job, followUp('third'), true)).toBe('joined');
      const first = await start(job);
      expect(first.isTurn).toBe(true);
      expect(texts(first.parts)).toEqual(['second', 'third']);
      // Closed: a later follow-up is refused and routed on its own; the retry sees what the first try saw.
      expect(await join(job, followUp('too late'))).toBe('started');
      expect(await coalescer.claim(job)).toEqual(first.parts);
      expect((await coalescer.fetchOpenSlots(job.authorId, job.channelId)).size).toBe(0);
    });

    it('moves the slot’s latest time on, and marks it named when a follow-up names the personality', async () => {
      const job = freshJob({ trigger: 'activation' });
      await admission.admit(job);
      const part = followUp('named now');
      await join(job, { ...part, at: job.messageCreatedAt + 900 }, true);
      expect(
        (await coalescer.fetchOpenSlots(job.authorId, job.channelId)).get(job.personalityId),
      ).toMatchObject({
        lastAt: job.messageCreatedAt + 900,
        named: true,
        trigger: 'activation',
      });
    });

    it('joins a message once however many gateway replicas try, and admitting it is a duplicate', async () => {
      const job = freshJob();
      await admission.admit(job);
      const part = followUp('once');
      expect(await join(job, part)).toBe('joined');
      expect(await join(job, part)).toBe('duplicate');
      const ownJob = freshJob({ messageId: part.messageId, content: part.content });
      expect(await admission.admit(ownJob)).toEqual({ outcome: 'duplicate', jobId: jobIdOf(ownJob) });
      expect(await queue.getJob(jobIdOf(ownJob))).toBeUndefined();
      expect(texts(await coalescer.claim(job))).toEqual(['once']);
    });

    it('does not join a message already admitted on its own (it has its own reply)', async () => {
      const job = freshJob();
      await admission.admit(job);
      const part = followUp('mine');
      await admission.admit(freshJob({ messageId: part.messageId, channelId: buildTestChannelId(2) }));
      expect(await join(job, part)).toBe('duplicate');
      expect(await coalescer.claim(job)).toEqual([]);
    });

    it('refuses a follow-up once the group holds the most messages, the first included', async () => {
      const job = freshJob();
      await admission.admit(job);
      for (const text of ['2', '3', '4']) expect(await join(job, followUp(text))).toBe('joined');
      expect(await join(job, followUp('5'))).toBe('full');
      expect(texts(await coalescer.claim(job))).toEqual(['2', '3', '4']);
    });

    it('cuts a part to the most characters of one', async () => {
      const small = new ReplyCoalescer(redis, { prefix, windowMs: WINDOW_MS, maxPartChars: 5 });
      const job = freshJob();
      await admission.admit(job);
      await small.join(
        {
          authorId: job.authorId,
          channelId: job.channelId,
          personalityId: job.personalityId,
          jobId: jobIdOf(job),
        },
        followUp('abcdefgh'),
        false,
      );
      expect(texts(await small.claim(job))).toEqual(['abcde']);
    });
  });

  describe('when a newer job of the conversation took the slot', () => {
    it('joins follow-ups to the newer one, and the older one’s claim leaves its slot alone', async () => {
      const older = freshJob();
      await admission.admit(older);
      const newer = freshJob();
      await admission.admit(newer);
      expect(await join(older, followUp('to the older'))).toBe('started');
      expect(await join(newer, followUp('to the newer'))).toBe('joined');
      expect(await coalescer.claim(older)).toEqual([]);
      expect(
        (await coalescer.fetchOpenSlots(newer.authorId, newer.channelId)).get(newer.personalityId)?.jobId,
      ).toBe(jobIdOf(newer));
    });
  });

  describe('when the job waits for an earlier job of its conversation', () => {
    it('keeps its group open through the claim, until its turn comes', async () => {
      const earlier = freshJob();
      const later = freshJob();
      await admission.admit(earlier);
      await admission.admit(later);
      expect(await join(later, followUp('while waiting'))).toBe('joined');
      expect((await start(later)).isTurn).toBe(false);
      expect(await join(later, followUp('still waiting'))).toBe('joined');
      await admission.settle(earlier);
      const { isTurn, parts } = await start(later);
      expect(isTurn).toBe(true);
      expect(texts(parts)).toEqual(['while waiting', 'still waiting']);
    });
  });

  describe('when a joined follow-up is deleted', () => {
    it('takes it out of the group before the reply starts, and changes nothing after', async () => {
      const job = freshJob();
      await admission.admit(job);
      const [kept, deleted, late] = [followUp('kept'), followUp('deleted'), followUp('deleted late')];
      for (const part of [kept, deleted, late]) await join(job, part);
      expect(await coalescer.forgetMessage(deleted.messageId)).toBe(1);
      expect(await coalescer.forgetMessage('400000000000000999')).toBe(0);
      expect(texts(await coalescer.claim(job))).toEqual(['kept', 'deleted late']);
      expect(await coalescer.forgetMessage(late.messageId)).toBe(0);
      expect(texts(await coalescer.claim(job))).toEqual(['kept', 'deleted late']);
    });
  });

  describe('when a joined follow-up is edited', () => {
    it('takes the new text before the reply starts, and keeps the old one after', async () => {
      const job = freshJob();
      await admission.admit(job);
      const part = followUp('draft');
      await join(job, part);
      expect(await coalescer.recordEdit(job.authorId, part.messageId, 'final')).toBe(true);
      expect(await coalescer.recordEdit(job.authorId, '400000000000000999', 'other')).toBe(false);
      expect(texts(await coalescer.claim(job))).toEqual(['final']);
      expect(await coalescer.recordEdit(job.authorId, part.messageId, 'after the start')).toBe(false);
      expect(texts(await coalescer.claim(job))).toEqual(['final']);
    });
  });

  describe('when the reply settles', () => {
    it('drops its slot and its group', async () => {
      const job = freshJob();
      await admission.admit(job);
      await join(job, followUp('part'));
      await admission.settle(job);
      expect(await redis.hlen(buildCoalesceSlotsKey(prefix, job.authorId))).toBe(0);
      expect(await redis.hlen(buildCoalesceGroupsKey(prefix, job.authorId))).toBe(0);
    });

    it('leaves both hashes alone for a job that cannot open a slot', async () => {
      const job = freshJob();
      await admission.admit(job);
      await join(job, followUp('part'));
      // A regeneration in the same conversation: admitted without a slot, settled without reading them.
      const regeneration = freshJob({ answersMessageId: job.messageId });
      await admission.admit(regeneration);
      expect(admission.buildSettleCall(regeneration).args[4]).toBe('');
      await admission.settle(regeneration);
      expect(await redis.hlen(buildCoalesceSlotsKey(prefix, job.authorId))).toBe(1);
      expect(await redis.hexists(buildCoalesceGroupsKey(prefix, job.authorId), jobIdOf(job))).toBe(1);
      await admission.settle(job);
      expect(await redis.hlen(buildCoalesceSlotsKey(prefix, job.authorId))).toBe(0);
      expect(await redis.hlen(buildCoalesceGroupsKey(prefix, job.authorId))).toBe(0);
    });

    it('drops a lost job’s slot and group at the user’s next admission', async () => {
      const lost = freshJob();
      await admission.admit(lost);
      await join(lost, followUp('part'));
      // Its lease lapsed (the gateway died before Queue.add and no replica repaired it).
      await redis.zrem(buildPendingKey(prefix, lost.authorId), jobIdOf(lost));
      await admission.admit(freshJob({ channelId: buildTestChannelId(3) }));
      expect(
        await redis.hexists(
          buildCoalesceSlotsKey(prefix, lost.authorId),
          `${lost.channelId}:${lost.personalityId}`,
        ),
      ).toBe(0);
      expect(await redis.hexists(buildCoalesceGroupsKey(prefix, lost.authorId), jobIdOf(lost))).toBe(0);
    });
  });

  describe('the keys it writes', () => {
    it('all expire, and the deletion index goes once the reply has started', async () => {
      const job = freshJob();
      await admission.admit(job);
      const part = followUp('part');
      await join(job, part);
      for (const key of [
        buildCoalesceSlotsKey(prefix, job.authorId),
        buildCoalesceGroupsKey(prefix, job.authorId),
        buildAdmittedKey(prefix, job.authorId),
        buildJoinedMessageKey(prefix, part.messageId),
      ]) {
        const ttl = await redis.pttl(key);
        expect(ttl, key).toBeGreaterThan(0);
        expect(ttl, key).toBeLessThanOrEqual(coalescer.options.keyTtlMs);
      }
      const parts = await coalescer.claim(job);
      await RedisBatch.together((batch) => coalescer.forgetJoinedMessages(parts, batch));
      expect(await redis.exists(buildJoinedMessageKey(prefix, part.messageId))).toBe(0);
      expect(await redis.pttl(buildCoalesceGroupsKey(prefix, job.authorId))).toBeGreaterThan(0);
    });
  });
});
