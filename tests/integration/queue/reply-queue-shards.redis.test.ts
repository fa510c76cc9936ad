/**
 * The reply queue split over 3 shards (`REPLY_QUEUE_SHARDS=3`) on real Redis and BullMQ: a user's jobs stay in
 * one shard and in conversation order, workers take jobs from every shard, the queue depth counts every shard,
 * and `/forget-me`'s eraser of retained jobs reaches every shard.
 */
import { type Job, Worker } from 'bullmq';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeRetainedJobsOf } from '../../../src/commands/retained-job-eraser.js';
import { createLogger } from '../../../src/log/index.js';
import {
  type AdmissionLimits,
  buildReplyShardPrefixes,
  findReplyShard,
  QUEUE_NAME,
  REPLY_JOB_NAME,
  ReplyAdmission,
  type ReplyJob,
  ReplyQueueShards,
} from '../../../src/queue/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { buildTestJob, buildTestUserId } from './build-test-job.js';

const logger = createLogger({ level: 'silent', service: 'test' });
const SHARDS = 3;
const ROOMY: AdmissionLimits = {
  userMaxPending: 1000,
  userRatePerMinute: 100_000,
  userBurst: 1000,
  queueMaxDepth: 100_000,
  fairQueue: true,
};

const redis = createTestRedis();
let prefix: string;
let queues: ReplyQueueShards;
let admission: ReplyAdmission;
const closers: Array<() => Promise<unknown>> = [];

beforeEach(() => {
  prefix = createTestPrefix();
  queues = ReplyQueueShards.open(redis, SHARDS, { prefix, logger });
  admission = new ReplyAdmission(redis, { prefix, logger, limits: ROOMY, queue: queues });
  closers.push(() => queues.close());
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

/** One Worker per shard, as a worker process runs them; each records `<shard>:<jobId>` and settles the job. */
function startShardWorkers(): { taken: string[]; waitFor: (count: number) => Promise<void> } {
  const taken: string[] = [];
  buildReplyShardPrefixes(prefix, SHARDS).forEach((bullPrefix, shard) => {
    const connection = createTestRedis();
    const worker = new Worker(
      QUEUE_NAME,
      async (job: Job<ReplyJob>) => {
        taken.push(`${shard}:${job.id}`);
        await admission.settle(job.data);
      },
      { connection, prefix: bullPrefix, concurrency: 2 },
    );
    closers.push(async () => {
      await worker.close(true);
      await connection.quit();
    });
  });
  const waitFor = async (count: number) => {
    while (taken.length < count) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  return { taken, waitFor };
}

describe('ReplyQueueShards', () => {
  it('opens shard 0 on {<prefix>} and the others on their own tags', () => {
    expect(queues.shards.map((shard) => shard.opts.prefix)).toEqual(buildReplyShardPrefixes(prefix, SHARDS));
    expect(queues.shards[0].opts.prefix).toBe(`{${prefix}}`);
  });

  describe('when one user writes several messages in one conversation', () => {
    it('puts every job in the user’s shard and answers them in order', async () => {
      const user = buildTestUserId(7);
      const jobs = Array.from({ length: 5 }, () => buildTestJob({ authorId: user }));
      const ids: string[] = [];
      for (const job of jobs) {
        const result = await admission.admit(job);
        if (result.outcome !== 'enqueued') throw new Error(`not enqueued: ${result.outcome}`);
        ids.push(result.jobId);
      }
      const home = findReplyShard(user, SHARDS);
      for (const [shard, queue] of queues.shards.entries()) {
        const found = await Promise.all(ids.map((id) => queue.getJob(id)));
        expect(found.every((job) => (job !== undefined) === (shard === home))).toBe(true);
      }

      // Later jobs wait (delayed, 30 s fallback) until the earlier one's settle wakes them in the same shard.
      const workers = startShardWorkers();
      await workers.waitFor(ids.length);
      expect(workers.taken).toEqual(ids.map((id) => `${home}:${id}`));
    }, 10_000);
  });

  describe('when many users write', () => {
    it('spreads them over every shard, counts every shard in the depth, and every shard’s worker serves them', async () => {
      const jobs = Array.from({ length: 30 }, (_, index) =>
        buildTestJob({ authorId: buildTestUserId(index) }),
      );
      for (const job of jobs) expect((await admission.admit(job)).outcome).toBe('enqueued');
      expect(await admission.readQueueDepth()).toBe(jobs.length);
      expect(await queues.count()).toBe(jobs.length);
      const perShard = await Promise.all(queues.shards.map((shard) => shard.count()));
      expect(perShard.every((count) => count > 0)).toBe(true);

      const workers = startShardWorkers();
      await workers.waitFor(jobs.length);
      const servedBy = new Set(workers.taken.map((entry) => entry.split(':')[0]));
      expect(servedBy).toEqual(new Set(['0', '1', '2']));
      for (const entry of workers.taken) {
        const [shard, jobId] = entry.split(':');
        const job = jobs.find((candidate) => jobId?.startsWith(`reply-${candidate.messageId}-`));
        expect(String(findReplyShard(job?.authorId ?? '', SHARDS))).toBe(shard);
      }
    }, 10_000);
  });

  describe('when /forget-me erases a user whose failed jobs sit in every shard', () => {
    it('removes them from every shard and keeps other users’ jobs', async () => {
      const user = buildTestUserId(1);
      const other = buildTestUserId(2);
      // Jobs of one user in every shard: what a change of REPLY_QUEUE_SHARDS leaves behind. Failed ones: a
      // completed job is removed at once, a failed one is kept for a day.
      for (const queue of queues.shards) {
        for (const authorId of [user, other]) {
          const job = buildTestJob({ authorId });
          await queue.add(REPLY_JOB_NAME, job, {
            jobId: `reply-${job.messageId}-p`,
            priority: 1,
            attempts: 1,
          });
        }
      }
      const connection = createTestRedis();
      const finished = buildReplyShardPrefixes(prefix, SHARDS).map(
        (bullPrefix) =>
          new Worker(
            QUEUE_NAME,
            async () => {
              throw new Error('fails on purpose');
            },
            { connection, prefix: bullPrefix },
          ),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      while ((await queues.getJobCounts('failed')).failed !== 2 * SHARDS)
        await new Promise((resolve) => setTimeout(resolve, 20));
      await Promise.all(finished.map((worker) => worker.close()));
      await connection.quit();

      expect(await removeRetainedJobsOf(redis, queues.shards, user)).toBe(SHARDS);
      expect((await queues.getJobCounts('failed')).failed).toBe(SHARDS);
      const left = await queues.getJobs(['failed']);
      expect(left.every((job) => job.data.authorId === other)).toBe(true);
    }, 10_000);
  });
});
