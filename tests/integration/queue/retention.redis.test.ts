/**
 * How many finished jobs BullMQ keeps: completed reply jobs and tasks none (their data holds the message, and
 * nothing reads them); failed ones are capped by count as well as by age, so a busy hour cannot keep every
 * job (and the message text in its data).
 */
import { Queue, Worker } from 'bullmq';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/index.js';
import {
  buildBullPrefix,
  createReplyQueue,
  QUEUE_NAME,
  REPLY_JOB_NAME,
  removeKeptCompletedJobs,
} from '../../../src/queue/index.js';
import { createTaskQueue } from '../../../src/tasks/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { buildTestJob } from './build-test-job.js';

const logger = createLogger({ level: 'silent', service: 'test' });

const redis = createTestRedis();
let prefix: string;

beforeEach(() => {
  prefix = createTestPrefix();
});

afterEach(async () => {
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

/**
 * Adds `count` jobs to `queue` and has a worker finish each one as `outcome` says, with the `waiting` jobs
 * already there.
 */
async function finishJobs(
  queue: Queue,
  count: number,
  outcome: 'completed' | 'failed',
  waiting = 0,
): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    await queue.add('reply', buildTestJob(), { priority: 1, attempts: 1 });
  }
  let finished = 0;
  const connection = redis.duplicate();
  const worker = new Worker(
    queue.name,
    async () => {
      if (outcome === 'failed') throw new Error('fails on purpose');
    },
    { connection, prefix: buildBullPrefix(prefix) },
  );
  await new Promise<void>((resolve) => {
    worker.on(outcome, () => {
      finished += 1;
      if (finished === count + waiting) resolve();
    });
  });
  await worker.close();
  connection.disconnect();
}

describe('retention of finished jobs', () => {
  it('removes a completed reply job at once and caps failed ones by count, 5000 by default', async () => {
    const queue = createReplyQueue(redis, { prefix, logger, keepFailedCount: 1 });
    try {
      await finishJobs(queue as unknown as Queue, 4, 'completed');
      await finishJobs(queue as unknown as Queue, 3, 'failed');
      expect(await queue.getCompletedCount()).toBe(0);
      expect(await queue.getFailedCount()).toBe(1);
      // Nothing of a completed job is left: its hash went with it, only the failed one's remains.
      const jobKeys = await redis.keys(`${buildBullPrefix(prefix)}:${queue.name}:[0-9]*`);
      expect(jobKeys).toHaveLength(1);
    } finally {
      await queue.close();
    }
    const defaults = createReplyQueue(redis, { prefix, logger });
    expect(defaults.defaultJobOptions.removeOnComplete).toBe(true);
    expect(defaults.defaultJobOptions.removeOnFail).toEqual({ age: 86_400, count: 5000 });
    await defaults.close();
  });

  it('removes the completed reply jobs an earlier version kept, and those its jobs leave as they finish', async () => {
    const queue = createReplyQueue(redis, { prefix, logger, keepFailedCount: 1 });
    // The earlier version's reply queue: completed jobs kept an hour, at most 1000, which each job's options say.
    const earlier = new Queue(QUEUE_NAME, {
      connection: redis,
      prefix: buildBullPrefix(prefix),
      defaultJobOptions: { removeOnComplete: { age: 3600, count: 1000 } },
    });
    try {
      await finishJobs(earlier, 2, 'completed');
      await finishJobs(queue as unknown as Queue, 1, 'failed');
      // Added by the earlier version, finished once this one runs: kept as its options said.
      await earlier.add(REPLY_JOB_NAME, buildTestJob(), { priority: 1 });
      await finishJobs(queue as unknown as Queue, 1, 'completed', 1);
      expect(await queue.getCompletedCount()).toBe(3);

      expect(await removeKeptCompletedJobs(queue)).toBe(3);
      expect(await queue.getCompletedCount()).toBe(0);
      expect(await queue.getFailedCount()).toBe(1);
      // Their hashes (the message text) went with them; the failed job's stays.
      expect(await redis.keys(`${buildBullPrefix(prefix)}:${queue.name}:[0-9]*`)).toHaveLength(1);
      // Once none is left, a sweep finds nothing.
      expect(await removeKeptCompletedJobs(queue)).toBe(0);
    } finally {
      await earlier.close();
      await queue.close();
    }
  });

  it('caps the task queue’s failed tasks by count, 1000 by default', async () => {
    const queue = createTaskQueue(redis, { prefix, logger, keepFailedCount: 1 });
    try {
      await finishJobs(queue as unknown as Queue, 3, 'failed');
      expect(await queue.getFailedCount()).toBe(1);
    } finally {
      await queue.close();
    }
    const defaults = createTaskQueue(redis, { prefix, logger });
    expect(defaults.defaultJobOptions.removeOnFail).toEqual({ age: 3600, count: 1000 });
    await defaults.close();
  });
});
