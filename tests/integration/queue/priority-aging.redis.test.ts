/**
 * Aging against real Redis and BullMQ: jobs waiting past the threshold are raised to priority 1, once, and
 * entries of jobs that are gone are dropped.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AdmissionLimits,
  createReplyQueue,
  PriorityAging,
  ReplyAdmission,
  type ReplyQueue,
} from '../../../src/queue/index.js';
import { buildAgingKey } from '../../../src/queue/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { buildTestJob } from './build-test-job.js';

const redis = createTestRedis();
const LIMITS: AdmissionLimits = {
  userMaxPending: 100,
  userRatePerMinute: 100_000,
  userBurst: 100,
  queueMaxDepth: 100_000,
  fairQueue: true,
};

let prefix: string;
let queue: ReplyQueue;
let now: number;

beforeEach(() => {
  prefix = createTestPrefix();
  queue = createReplyQueue(redis, { prefix });
  now = Date.UTC(2025, 5, 1);
});

afterEach(async () => {
  await queue.close();
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

describe('PriorityAging', () => {
  describe('when a user’s later jobs wait past the threshold', () => {
    it('raises them to priority 1 once', async () => {
      const admission = new ReplyAdmission(redis, { prefix, limits: LIMITS, queue, now: () => now });
      const aging = new PriorityAging(redis, queue, {
        prefix,
        ageAfterMs: 30_000,
        now: () => now,
        batchSize: 2,
      });
      const jobs = [1, 2, 3, 4].map(() => buildTestJob());
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
      expect(await redis.zcard(buildAgingKey(prefix))).toBe(0);
    });
  });

  describe('when an aged job no longer exists', () => {
    it('drops its entry without promoting anything', async () => {
      const admission = new ReplyAdmission(redis, { prefix, limits: LIMITS, queue, now: () => now });
      const aging = new PriorityAging(redis, queue, { prefix, ageAfterMs: 1_000, now: () => now });
      const jobs = [1, 2].map(() => buildTestJob());
      for (const job of jobs) await admission.admit(job);
      await queue.remove(`reply-${jobs[1]!.messageId}-${jobs[1]!.personalityId}`);
      now += 1_001;
      expect(await aging.sweep()).toBe(0);
      expect(await redis.zcard(buildAgingKey(prefix))).toBe(0);
    });
  });

  describe('when started', () => {
    it('sweeps on its timer until disposed', async () => {
      const admission = new ReplyAdmission(redis, { prefix, limits: LIMITS, queue, now: () => now });
      const jobs = [1, 2].map(() => buildTestJob());
      for (const job of jobs) await admission.admit(job);
      now += 60_000;
      const errors: unknown[] = [];
      const aging = new PriorityAging(redis, queue, {
        prefix,
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
