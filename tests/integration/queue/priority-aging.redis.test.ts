/**
 * Aging against real Redis and BullMQ: jobs waiting at a priority above 1 past the threshold are raised to
 * priority 1, once; later jobs of the same priority wait their turn.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/log/index.js';
import {
  buildReplyJobId,
  createReplyQueue,
  PriorityAging,
  REPLY_JOB_NAME,
  ReplyAdmission,
  type ReplyJob,
  type ReplyQueue,
} from '../../../src/queue/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { buildTestChannelId, buildTestJob, buildTestUserId, ROOMY_LIMITS } from './build-test-job.js';

/** Where the queues the tests open log their errors. */
const logger = createLogger({ level: 'silent', service: 'test' });

const redis = createTestRedis();

let prefix: string;
let queue: ReplyQueue;
let now: number;

beforeEach(() => {
  prefix = createTestPrefix();
  queue = createReplyQueue(redis, { prefix, logger });
  now = Date.UTC(2025, 5, 1);
});

afterEach(async () => {
  await queue.close();
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

function jobIdOf(job: ReplyJob): string {
  return buildReplyJobId(job.messageId, job.personalityId);
}

function prioritiesOf(jobs: readonly ReplyJob[]): Promise<Array<number | undefined>> {
  return Promise.all(jobs.map(async (job) => (await queue.getJob(jobIdOf(job)))?.priority));
}

describe('PriorityAging', () => {
  describe('when a user’s later jobs wait past the threshold', () => {
    it('raises them to priority 1 once', async () => {
      const admission = new ReplyAdmission(redis, {
        prefix,
        logger,
        limits: ROOMY_LIMITS,
        queue,
        now: () => now,
      });
      const aging = new PriorityAging(redis, queue, {
        ageAfterMs: 30_000,
        now: () => now,
        batchSize: 2,
      });
      // Each in its own channel: a later job of one conversation waits delayed, which aging leaves alone.
      const jobs = [1, 2, 3, 4].map((index) => buildTestJob({ channelId: buildTestChannelId(index) }));
      for (const job of jobs) await admission.admit(job);

      now += 29_999;
      expect(await aging.sweep()).toBe(0);
      now += 2;
      expect(await aging.sweep()).toBe(3);
      const priorities = await Promise.all(
        jobs.map(
          async (job) => (await queue.getJob(`reply-${job.messageId}-${job.personalityId}`))?.priority,
        ),
      );
      expect(priorities).toEqual([1, 1, 1, 1]);
      expect(await aging.sweep()).toBe(0);
    });
  });

  describe('when a priority holds many jobs none of which waited long enough', () => {
    it('reads only its first job, however many wait', async () => {
      const admission = new ReplyAdmission(redis, {
        prefix,
        logger,
        limits: ROOMY_LIMITS,
        queue,
        now: () => now,
      });
      const aging = new PriorityAging(redis, queue, { ageAfterMs: 30_000, now: () => now });
      // 60 users with two jobs each: their first at priority 1, their second at priority 2.
      for (let user = 1; user <= 60; user += 1)
        for (const channel of [1, 2])
          await admission.admit(
            buildTestJob({ authorId: buildTestUserId(user), channelId: buildTestChannelId(channel) }),
          );
      now += 1_000;
      const reads = vi.spyOn(redis, 'zrangebyscore');
      const hashReads = vi.spyOn(redis, 'hget');
      try {
        expect(await aging.sweep()).toBe(0);
        // Priority 2 probed with its first job (too young: the band is skipped), then nothing above it.
        expect(reads.mock.calls.map((call) => call.at(-1))).toEqual([1, 1]);
        expect(hashReads).toHaveBeenCalledTimes(1);
      } finally {
        reads.mockRestore();
        hashReads.mockRestore();
      }
    });
  });

  describe('when only some jobs of a priority waited past the threshold', () => {
    it('raises those, leaves the later ones and never touches priority 1', async () => {
      const admission = new ReplyAdmission(redis, {
        prefix,
        logger,
        limits: ROOMY_LIMITS,
        queue,
        now: () => now,
      });
      const aging = new PriorityAging(redis, queue, { ageAfterMs: 30_000, now: () => now });
      const early = [1, 2].map((index) =>
        buildTestJob({ authorId: buildTestUserId(1), channelId: buildTestChannelId(index) }),
      );
      for (const job of early) await admission.admit(job);
      now += 20_000;
      const late = [1, 2].map((index) =>
        buildTestJob({ authorId: buildTestUserId(2), channelId: buildTestChannelId(index) }),
      );
      for (const job of late) await admission.admit(job);

      now += 10_001;
      expect(await aging.sweep()).toBe(1);
      expect(await prioritiesOf([...early, ...late])).toEqual([1, 1, 1, 2]);
      now += 20_000;
      expect(await aging.sweep()).toBe(1);
      expect(await prioritiesOf(late)).toEqual([1, 1]);
    });
  });

  describe('when jobs wait at a priority whose scores come near 2^52', () => {
    it('raises each old one exactly once', async () => {
      const aging = new PriorityAging(redis, queue, {
        ageAfterMs: 1_000,
        now: () => now,
        batchSize: 10,
      });
      // BullMQ scores priority * 2^32 + counter: every step of the scan through them must stay exact.
      const high = [now - 5_000, now - 4_000, now].map((timestamp) => ({ job: buildTestJob(), timestamp }));
      for (const { job, timestamp } of high) {
        await queue.add(REPLY_JOB_NAME, job, { jobId: jobIdOf(job), priority: 1_000_000, timestamp });
      }
      expect(await aging.sweep()).toBe(2);
      expect(await prioritiesOf(high.map(({ job }) => job))).toEqual([1, 1, 1_000_000]);
    });
  });

  describe('when started', () => {
    it('sweeps on its timer until disposed', async () => {
      const admission = new ReplyAdmission(redis, {
        prefix,
        logger,
        limits: ROOMY_LIMITS,
        queue,
        now: () => now,
      });
      const jobs = [1, 2].map((index) => buildTestJob({ channelId: buildTestChannelId(index) }));
      for (const job of jobs) await admission.admit(job);
      now += 60_000;
      const errors: unknown[] = [];
      const aging = new PriorityAging(redis, queue, {
        intervalMs: 10,
        now: () => now,
        onError: (error) => errors.push(error),
      }).start();
      const id = `reply-${jobs[1]!.messageId}-${jobs[1]!.personalityId}`;
      for (let attempt = 0; attempt < 200 && (await queue.getJob(id))?.priority !== 1; attempt += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await aging[Symbol.asyncDispose]();
      expect((await queue.getJob(id))?.priority).toBe(1);
      expect(errors).toEqual([]);
    });
  });
});
