/**
 * How many finished jobs BullMQ keeps: the reply and task queues cap them by count as well as by age, so a
 * busy hour cannot keep every job (and the message text in its data).
 */
import { type Queue, Worker } from 'bullmq';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/index.js';
import { buildBullPrefix, createReplyQueue } from '../../../src/queue/index.js';
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

/** Adds `count` jobs to `queue` and has a worker finish each one as `outcome` says. */
async function finishJobs(queue: Queue, count: number, outcome: 'completed' | 'failed'): Promise<void> {
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
      if (finished === count) resolve();
    });
  });
  await worker.close();
  connection.disconnect();
}

describe('retention of finished jobs', () => {
  it('caps the reply queue by count, 1000 completed and 5000 failed by default', async () => {
    const queue = createReplyQueue(redis, { prefix, logger, keepCompletedCount: 2, keepFailedCount: 1 });
    try {
      await finishJobs(queue as unknown as Queue, 4, 'completed');
      await finishJobs(queue as unknown as Queue, 3, 'failed');
      expect(await queue.getCompletedCount()).toBe(2);
      expect(await queue.getFailedCount()).toBe(1);
    } finally {
      await queue.close();
    }
    const defaults = createReplyQueue(redis, { prefix, logger });
    expect(defaults.defaultJobOptions.removeOnComplete).toEqual({ age: 3600, count: 1000 });
    expect(defaults.defaultJobOptions.removeOnFail).toEqual({ age: 86_400, count: 5000 });
    await defaults.close();
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
