/**
 * Admission against real Redis and BullMQ: the fairness proof (dequeue order with a real Worker), the
 * per-user limits, idempotent admission, self-healing pending state and the queue-depth cap.
 */
import { type Job, Worker } from 'bullmq';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/log/index.js';
import {
  type AdmissionLimits,
  type AdmissionResult,
  buildBullPrefix,
  buildReplyJobId,
  createReplyQueue,
  QUEUE_NAME,
  REPLY_JOB_NAME,
  ReplyAdmission,
  type ReplyJob,
  type ReplyQueue,
} from '../../../src/queue/index.js';
import { buildPendingKey } from '../../../src/queue/keys.js';
import { RedisBatch } from '../../../src/redis/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { spyOnSocketWrites } from '../../support/socket-writes.js';
import { buildTestChannelId, buildTestJob, buildTestUserId } from './build-test-job.js';

/** Where the queues the tests open log their errors. */
const logger = createLogger({ level: 'silent', service: 'test' });

const redis = createTestRedis();
/** Author of every job buildTestJob makes unless told otherwise. */
const USER = buildTestJob().authorId;
const RAISED: AdmissionLimits = {
  userMaxPending: 10_000,
  userRatePerMinute: 1_000_000,
  userBurst: 10_000,
  queueMaxDepth: 1_000_000,
  fairQueue: true,
};
const DEFAULTS: AdmissionLimits = {
  userMaxPending: 5,
  userRatePerMinute: 6,
  userBurst: 3,
  queueMaxDepth: 10_000,
  fairQueue: true,
};

let prefix: string;
let queue: ReplyQueue;
const closers: Array<() => Promise<unknown>> = [];

beforeEach(() => {
  prefix = createTestPrefix();
  queue = createReplyQueue(redis, { prefix, logger });
  closers.push(() => queue.close());
});

afterEach(async () => {
  vi.restoreAllMocks();
  for (const close of closers.splice(0).reverse()) await close();
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

function admissionWith(limits: AdmissionLimits, now: () => number = Date.now): ReplyAdmission {
  return new ReplyAdmission(redis, { prefix, logger, limits, queue, now });
}

/**
 * Starts one worker (concurrency 1) whose first job blocks until released, as a long AI call would; records
 * the order jobs are taken and settles each.
 */
function startRecordingWorker(admission: ReplyAdmission): {
  order: string[];
  release: () => void;
  waitFor: (count: number) => Promise<void>;
} {
  const order: string[] = [];
  let release: () => void = () => undefined;
  const blocked = new Promise<void>((resolve) => {
    release = resolve;
  });
  const worker = new Worker(
    QUEUE_NAME,
    async (job: Job<ReplyJob>) => {
      order.push(job.id ?? '');
      if (order.length === 1) await blocked;
      await admission.settle(job.data);
    },
    { connection: createTestRedis(), prefix: buildBullPrefix(prefix), concurrency: 1 },
  );
  closers.push(async () => {
    await worker.close(true);
    await (worker.opts.connection as ReturnType<typeof createTestRedis>).quit();
  });
  const waitFor = async (count: number) => {
    while (order.length < count) await new Promise((resolve) => setTimeout(resolve, 20));
  };
  return { order, release, waitFor };
}

async function admitAll(admission: ReplyAdmission, jobs: readonly ReplyJob[]): Promise<AdmissionResult[]> {
  const results: AdmissionResult[] = [];
  for (const job of jobs) results.push(await admission.admit(job));
  return results;
}

function jobIdOf(result: AdmissionResult): string {
  if (result.outcome === 'refused') throw new Error('expected an admitted job');
  return result.jobId;
}

describe('ReplyAdmission', () => {
  describe('when one user floods and 20 others write just after (fair mode, limits raised)', () => {
    it('serves every one of the 20 before the flooder’s third job', async () => {
      const admission = admissionWith(RAISED);
      const worker = startRecordingWorker(admission);
      const flooder = buildTestUserId(0);
      const flood = await admitAll(
        admission,
        Array.from({ length: 200 }, () => buildTestJob({ authorId: flooder })),
      );
      const others = await admitAll(
        admission,
        Array.from({ length: 20 }, (_, index) => buildTestJob({ authorId: buildTestUserId(index + 1) })),
      );
      expect([...flood, ...others].every((result) => result.outcome === 'enqueued')).toBe(true);
      await worker.waitFor(1);
      worker.release();
      await worker.waitFor(25);

      const flooderIds = new Set(flood.map(jobIdOf));
      const flooderPositions = worker.order.flatMap((id, index) => (flooderIds.has(id) ? [index] : []));
      const thirdFlooderJob = flooderPositions[2]!;
      for (const id of others.map(jobIdOf)) {
        expect(worker.order.indexOf(id)).toBeGreaterThanOrEqual(0);
        expect(worker.order.indexOf(id)).toBeLessThan(thirdFlooderJob);
      }
    });
  });

  describe('when the queue is in FIFO mode', () => {
    it('serves jobs in admission order, the flood first', async () => {
      const admission = admissionWith({ ...RAISED, fairQueue: false });
      const worker = startRecordingWorker(admission);
      // Across channels: a later message of one conversation waits for the earlier one's settle instead.
      const flood = await admitAll(
        admission,
        Array.from({ length: 30 }, (_, index) =>
          buildTestJob({ authorId: buildTestUserId(0), channelId: buildTestChannelId(index) }),
        ),
      );
      const others = await admitAll(
        admission,
        Array.from({ length: 5 }, (_, index) => buildTestJob({ authorId: buildTestUserId(index + 1) })),
      );
      expect(
        [...flood, ...others].every((result) => result.outcome === 'enqueued' && result.priority === 1),
      ).toBe(true);
      await worker.waitFor(1);
      worker.release();
      await worker.waitFor(35);
      expect(worker.order).toEqual([...flood, ...others].map(jobIdOf));
    });
  });

  describe('when one user floods under the default limits', () => {
    it('cuts the flood at the burst and notifies the user exactly once', async () => {
      const now = Date.UTC(2025, 5, 1);
      const admission = admissionWith(DEFAULTS, () => now);
      const results = await admitAll(
        admission,
        Array.from({ length: 200 }, () => buildTestJob({ authorId: buildTestUserId(0) })),
      );
      expect(results.filter((result) => result.outcome === 'enqueued')).toHaveLength(3);
      const refused = results.filter((result) => result.outcome === 'refused');
      expect(refused).toHaveLength(197);
      expect(refused.every((result) => result.reason === 'user-rate')).toBe(true);
      expect(refused.filter((result) => result.notify)).toHaveLength(1);
      // 6 per minute: the next token is 10 s away.
      expect(refused[0]).toMatchObject({ retryAfterMs: 10_000, notify: true });
      expect(await queue.count()).toBe(3);
    });

    it('admits again once the bucket refilled', async () => {
      let now = Date.UTC(2025, 5, 1);
      const admission = admissionWith(DEFAULTS, () => now);
      const user = buildTestUserId(0);
      await admitAll(
        admission,
        [1, 2, 3].map(() => buildTestJob({ authorId: user })),
      );
      expect((await admission.admit(buildTestJob({ authorId: user }))).outcome).toBe('refused');
      now += 10_000;
      expect((await admission.admit(buildTestJob({ authorId: user }))).outcome).toBe('enqueued');
    });
  });

  describe('when a user has as many unsettled jobs as allowed', () => {
    it('refuses with user-pending until one is settled', async () => {
      const admission = admissionWith({ ...RAISED, userMaxPending: 2 });
      const user = buildTestUserId(0);
      const jobs = [1, 2].map(() => buildTestJob({ authorId: user }));
      await admitAll(admission, jobs);
      const refused = await admission.admit(buildTestJob({ authorId: user }));
      expect(refused).toMatchObject({ outcome: 'refused', reason: 'user-pending', notify: true });
      expect(await admission.admit(buildTestJob({ authorId: user }))).toMatchObject({ notify: false });
      await admission.settle(jobs[0]!);
      await admission.settle(jobs[0]!);
      expect((await admission.admit(buildTestJob({ authorId: user }))).outcome).toBe('enqueued');
    });

    it('gives each next job of the user the next priority', async () => {
      const admission = admissionWith(RAISED);
      const results = await admitAll(
        admission,
        [1, 2, 3].map(() => buildTestJob({ authorId: buildTestUserId(0) })),
      );
      expect(results.map((result) => (result.outcome === 'enqueued' ? result.priority : 0))).toEqual([
        1, 2, 3,
      ]);
      const job = await queue.getJob(jobIdOf(results[2]!));
      expect(job?.priority).toBe(3);
    });
  });

  describe('when two gateways admit the same message', () => {
    it('enqueues one job, one pending entry, and spends one token', async () => {
      const now = Date.UTC(2025, 5, 1);
      const admission = admissionWith(DEFAULTS, () => now);
      const job = buildTestJob();
      const results = await Promise.all([admission.admit(job), admission.admit(job)]);
      expect(results.map((result) => result.outcome).sort()).toEqual(['duplicate', 'enqueued']);
      expect(await queue.count()).toBe(1);
      // Jobs have a lease above 0; the set's empty member (score 0) only keeps the key.
      expect(await redis.zcount(buildPendingKey(prefix, job.authorId), '(0', '+inf')).toBe(1);
      // Burst 3: the duplicate took nothing, so two more fit.
      const more = await admitAll(
        admission,
        [1, 2, 3].map(() => buildTestJob({ authorId: job.authorId })),
      );
      expect(more.map((result) => result.outcome)).toEqual(['enqueued', 'enqueued', 'refused']);
    });

    it('stays a duplicate after the first one was settled', async () => {
      const admission = admissionWith(RAISED);
      const job = buildTestJob();
      const first = await admission.admit(job);
      await admission.settle(job);
      expect(await admission.admit(job)).toEqual({ outcome: 'duplicate', jobId: jobIdOf(first) });
      expect(await queue.count()).toBe(1);
    });
  });

  describe('when a gateway dies between the script and Queue.add', () => {
    it('re-adds the job from a replica admitting the same message', async () => {
      const stuckQueue = createReplyQueue(redis, { prefix, logger });
      closers.push(() => stuckQueue.close());
      // The first gateway never gets past Queue.add: as if its process died there.
      stuckQueue.add = () => new Promise(() => undefined);
      const job = buildTestJob();
      void new ReplyAdmission(redis, { prefix, logger, limits: RAISED, queue: stuckQueue }).admit(job);
      await waitUntil(
        async () => (await redis.zcount(buildPendingKey(prefix, job.authorId), '(0', '+inf')) === 1,
      );
      expect(await queue.count()).toBe(0);

      const result = await admissionWith(RAISED).admit(job);
      expect(result.outcome).toBe('duplicate');
      expect(await queue.count()).toBe(1);
    });

    it('frees the pending slot once the lease expires', async () => {
      let now = Date.UTC(2025, 5, 1);
      const stuckQueue = createReplyQueue(redis, { prefix, logger });
      closers.push(() => stuckQueue.close());
      stuckQueue.add = () => new Promise(() => undefined);
      const limits = { ...RAISED, userMaxPending: 1 };
      const user = buildTestUserId(0);
      void new ReplyAdmission(redis, {
        prefix,
        logger,
        limits,
        queue: stuckQueue,
        now: () => now,
        leaseMs: 60_000,
      }).admit(buildTestJob({ authorId: user }));
      await waitUntil(async () => (await redis.zcount(buildPendingKey(prefix, user), '(0', '+inf')) === 1);

      const admission = admissionWith(limits, () => now);
      expect(await admission.admit(buildTestJob({ authorId: user }))).toMatchObject({
        reason: 'user-pending',
      });
      now += 60_001;
      expect((await admission.admit(buildTestJob({ authorId: user }))).outcome).toBe('enqueued');
      expect(await redis.zcount(buildPendingKey(prefix, user), '(0', '+inf')).toBe(1);
    });
  });

  describe('when Queue.add fails', () => {
    it('rolls the admission back so the message can be admitted again', async () => {
      const failingQueue = createReplyQueue(redis, { prefix, logger });
      closers.push(() => failingQueue.close());
      failingQueue.add = () => Promise.reject(new Error('connection lost'));
      const job = buildTestJob();
      await expect(
        new ReplyAdmission(redis, { prefix, logger, limits: RAISED, queue: failingQueue }).admit(job),
      ).rejects.toThrow('connection lost');
      expect(await redis.zcount(buildPendingKey(prefix, job.authorId), '(0', '+inf')).toBe(0);
      expect((await admissionWith(RAISED).admit(job)).outcome).toBe('enqueued');
    });
  });

  describe('when the queue is as deep as allowed', () => {
    it('refuses with queue-full and notifies each user once', async () => {
      const admission = admissionWith({ ...RAISED, queueMaxDepth: 2 });
      await admitAll(
        admission,
        [1, 2].map((index) => buildTestJob({ authorId: buildTestUserId(index) })),
      );
      const user = buildTestUserId(9);
      const first = await admission.admit(buildTestJob({ authorId: user }));
      const second = await admission.admit(buildTestJob({ authorId: user }));
      expect(first).toMatchObject({ outcome: 'refused', reason: 'queue-full', notify: true });
      expect(second).toMatchObject({ outcome: 'refused', reason: 'queue-full', notify: false });
      expect(first.outcome === 'refused' && first.retryAfterMs).toBe(60_000);
      expect(await queue.count()).toBe(2);
    });
  });

  describe('reading the queue depth', () => {
    it('counts what Queue.count() counts: waiting, prioritized and delayed jobs', async () => {
      const admission = admissionWith(RAISED);
      await queue.add(REPLY_JOB_NAME, buildTestJob(), { jobId: 'job-plain' });
      await queue.add(REPLY_JOB_NAME, buildTestJob(), { jobId: 'job-prioritized', priority: 2 });
      await queue.add(REPLY_JOB_NAME, buildTestJob(), { jobId: 'job-delayed', delay: 60_000 });
      expect(await admission.readQueueDepth()).toBe(3);
      expect(await queue.count()).toBe(3);
    });

    it('reads it in the caller’s batch, in the same write as the caller’s own commands', async () => {
      const admission = admissionWith(RAISED);
      await admitAll(admission, [buildTestJob(), buildTestJob()]);
      const writes = spyOnSocketWrites(redis);
      const [depth, pending] = await RedisBatch.together((batch) =>
        Promise.all([
          admission.readQueueDepth(batch),
          RedisBatch.send(redis, batch, buildPendingKey(prefix, USER), (commands) =>
            commands.zcount(buildPendingKey(prefix, USER), '(0', '+inf'),
          ),
        ]),
      );
      expect([depth, pending]).toEqual([2, 2]);
      expect(writes()).toBe(1);
    });

    describe('when sampled (queueDepthSampleMs)', () => {
      it('reads Redis once per period, counting the jobs it added since, then reads again', async () => {
        let now = 1_000_000;
        const admission = new ReplyAdmission(redis, {
          prefix,
          logger,
          limits: RAISED,
          queue,
          now: () => now,
          queueDepthSampleMs: 1000,
        });
        await queue.add(REPLY_JOB_NAME, buildTestJob(), { jobId: 'job-elsewhere' });
        expect(await admission.readQueueDepth()).toBe(1);
        await admitAll(admission, [buildTestJob(), buildTestJob()]);
        // Another process's job, not seen until the sample is a period old.
        await queue.add(REPLY_JOB_NAME, buildTestJob(), { jobId: 'job-elsewhere-2' });
        const writes = spyOnSocketWrites(redis);
        expect(await admission.readQueueDepth()).toBe(3);
        expect(writes()).toBe(0);
        now += 1000;
        expect(await admission.readQueueDepth()).toBe(4);
        expect(writes()).toBe(1);
      });

      it('refuses at the cap from the sampled depth without reading it again', async () => {
        const admission = new ReplyAdmission(redis, {
          prefix,
          logger,
          limits: { ...RAISED, queueMaxDepth: 2 },
          queue,
          queueDepthSampleMs: 60_000,
        });
        const admitted = [];
        for (let index = 0; index < 3; index += 1) {
          const depth = await admission.readQueueDepth();
          admitted.push((await admission.admit(buildTestJob(), depth)).outcome);
        }
        expect(admitted).toEqual(['enqueued', 'enqueued', 'refused']);
        expect(await queue.count()).toBe(2);
      });
    });
  });

  describe('when the caller passes the queue depth it read', () => {
    it('applies the cap to that depth', async () => {
      const admission = admissionWith({ ...RAISED, queueMaxDepth: 5 });
      expect(await admission.admit(buildTestJob(), 5)).toMatchObject({
        outcome: 'refused',
        reason: 'queue-full',
      });
      expect((await admission.admit(buildTestJob(), 4)).outcome).toBe('enqueued');
    });
  });

  describe('when a job is settled', () => {
    it('frees its pending slot in one write', async () => {
      const admission = admissionWith(RAISED);
      const jobs = [buildTestJob(), buildTestJob()];
      await admitAll(admission, jobs);
      const writes = spyOnSocketWrites(redis);
      await admission.settle(jobs[1]!);
      expect(writes()).toBe(1);
      expect(await redis.zrangebyscore(buildPendingKey(prefix, USER), '(0', '+inf')).toEqual([
        buildReplyJobId(jobs[0]!.messageId, jobs[0]!.personalityId),
      ]);
    });
  });

  describe('when the job is malformed', () => {
    it('throws before touching Redis', async () => {
      const admission = admissionWith(RAISED);
      await expect(admission.admit({ ...buildTestJob(), personalityId: 'X' })).rejects.toThrow();
      expect(await queue.count()).toBe(0);
    });
  });
});

async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('condition never became true');
}
