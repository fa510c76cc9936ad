/**
 * Admission of a job behind an earlier pending job of its conversation, against real Redis and BullMQ: it is
 * added delayed and marked waiting, so no worker takes it before the earlier job's settle promotes it (with its
 * priority and admission time); the settle coming between the script and Queue.add, a gateway dying there and
 * a lost wake-up all still end the wait. Real clock: BullMQ delays from it.
 */
import { Worker } from 'bullmq';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/log/index.js';
import {
  buildBullPrefix,
  buildReplyJobId,
  ConversationGate,
  createReplyQueue,
  QUEUE_NAME,
  ReplyAdmission,
  type ReplyJob,
  type ReplyQueue,
} from '../../../src/queue/index.js';
import { buildPendingKey } from '../../../src/queue/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { spyOnSocketWrites } from '../../support/socket-writes.js';
import { buildTestChannelId, buildTestJob, ROOMY_LIMITS } from './build-test-job.js';

const logger = createLogger({ level: 'silent', service: 'test' });
const redis = createTestRedis();
/** Longer than any test: only a settle (or the gateway's own check) can end a wait early. */
const LONG_FALLBACK_MS = 60_000;

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

function admissionWith(
  options: { queue?: ReplyQueue; wakeFallbackMs?: number; now?: () => number } = {},
): ReplyAdmission {
  return new ReplyAdmission(redis, {
    prefix,
    logger,
    limits: ROOMY_LIMITS,
    queue,
    wakeFallbackMs: LONG_FALLBACK_MS,
    ...options,
  });
}

function jobIdOf(job: ReplyJob): string {
  return buildReplyJobId(job.messageId, job.personalityId);
}

async function stateOf(job: ReplyJob): Promise<string | undefined> {
  return (await queue.getJob(jobIdOf(job)))?.getState();
}

async function waitUntil(condition: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('condition not met within 1 s');
}

/** A queue whose Queue.add waits until `release` is called, then adds: a gateway slow between its two steps. */
function holdAdds(): { queue: ReplyQueue; release: () => void } {
  const held = createReplyQueue(redis, { prefix, logger });
  closers.push(() => held.close());
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const add = held.add.bind(held);
  held.add = async (...args) => {
    await released;
    return add(...args);
  };
  return { queue: held, release };
}

describe('ReplyAdmission', () => {
  describe('when the conversation already has an earlier pending job', () => {
    it('adds the job delayed by the wake fallback, and the settle promotes it with its priority and admission time', async () => {
      const now = Date.now();
      const admission = admissionWith({ now: () => now });
      const [first, second] = [buildTestJob(), buildTestJob()] as [ReplyJob, ReplyJob];
      await admission.admit(first);
      expect(await admission.admit(second)).toMatchObject({ outcome: 'enqueued', priority: 2 });
      const delayed = await queue.getJob(jobIdOf(second));
      expect(await delayed!.getState()).toBe('delayed');
      expect(delayed!.delay).toBe(LONG_FALLBACK_MS);
      expect(await stateOf(first)).toBe('prioritized');

      await admission.settle(first);
      const woken = await queue.getJob(jobIdOf(second));
      expect(await woken!.getState()).toBe('prioritized');
      // Aging counts from the admission, and the job keeps its place among the user's jobs.
      expect(woken!.priority).toBe(2);
      expect(woken!.timestamp).toBe(now);
    });

    it('wakes only the next job, and each settle the one after it', async () => {
      const admission = admissionWith();
      const jobs = [1, 2, 3].map(() => buildTestJob()) as [ReplyJob, ReplyJob, ReplyJob];
      for (const job of jobs) await admission.admit(job);
      expect(await Promise.all(jobs.map(stateOf))).toEqual(['prioritized', 'delayed', 'delayed']);
      await admission.settle(jobs[0]);
      expect(await Promise.all(jobs.slice(1).map(stateOf))).toEqual(['prioritized', 'delayed']);
      await admission.settle(jobs[1]);
      expect(await stateOf(jobs[2])).toBe('prioritized');
    });

    it('sends one command more than a job with no earlier one: the check for a settle in between', async () => {
      const admission = admissionWith();
      // Loads the scripts (admission, BullMQ's delayed and prioritized adds): each write below is one command.
      await admission.admit(buildTestJob(), 0);
      await admission.admit(buildTestJob(), 0);
      const writes = spyOnSocketWrites(redis);
      await admission.admit(buildTestJob({ channelId: buildTestChannelId(1) }), 0);
      expect(writes()).toBe(2);
      await admission.admit(buildTestJob(), 0);
      expect(writes()).toBe(5);
    });
  });

  describe('when the earlier job settled before the later one was admitted', () => {
    it('adds the later one at once', async () => {
      const admission = admissionWith();
      const [first, second] = [buildTestJob(), buildTestJob()] as [ReplyJob, ReplyJob];
      await admission.admit(first);
      await admission.settle(first);
      await admission.admit(second);
      expect(await stateOf(second)).toBe('prioritized');
    });
  });

  describe('when the earlier job settles between the script and Queue.add', () => {
    it('does not leave the job delayed until the fallback', async () => {
      const [first, second] = [buildTestJob(), buildTestJob()] as [ReplyJob, ReplyJob];
      const admission = admissionWith();
      await admission.admit(first);
      const slow = holdAdds();
      const admitting = admissionWith({ queue: slow.queue }).admit(second);
      // Both jobs pending (a lease above 0; the set's empty member, score 0, only keeps the key).
      await waitUntil(
        async () => (await redis.zcount(buildPendingKey(prefix, second.authorId), '(0', '+inf')) === 2,
      );
      // The settle's wake-up finds no job to promote yet, and does not fail.
      await admission.settle(first);
      expect(await queue.getJob(jobIdOf(second))).toBeUndefined();
      slow.release();
      expect((await admitting).outcome).toBe('enqueued');
      expect(await stateOf(second)).toBe('prioritized');
    });
  });

  describe('when a gateway dies between the script and Queue.add of a waiting job', () => {
    /** `second`, admitted behind `first` by a gateway that never gets past Queue.add. */
    async function admitOnDyingGateway(admission: ReplyAdmission) {
      const [first, second] = [buildTestJob(), buildTestJob()] as [ReplyJob, ReplyJob];
      await admission.admit(first);
      void admissionWith({ queue: holdAdds().queue }).admit(second);
      await waitUntil(
        async () => (await redis.zcount(buildPendingKey(prefix, second.authorId), '(0', '+inf')) === 2,
      );
      return { first, second };
    }

    it('is re-added delayed by a replica while the earlier job is pending, and woken by its settle', async () => {
      const admission = admissionWith();
      const { first, second } = await admitOnDyingGateway(admission);
      expect((await admission.admit(second)).outcome).toBe('duplicate');
      expect(await stateOf(second)).toBe('delayed');
      await admission.settle(first);
      expect(await stateOf(second)).toBe('prioritized');
    });

    it('is re-added at once by a replica once the earlier job has settled', async () => {
      const admission = admissionWith();
      const { first, second } = await admitOnDyingGateway(admission);
      await admission.settle(first);
      expect((await admission.admit(second)).outcome).toBe('duplicate');
      expect(await stateOf(second)).toBe('prioritized');
    });
  });

  describe('when the wake-up is lost', () => {
    it('lets a worker take the job after the fallback delay, and it is its turn', async () => {
      const worker = new Worker(QUEUE_NAME, null, { connection: redis, prefix: buildBullPrefix(prefix) });
      closers.push(() => worker.close());
      const admission = admissionWith({ wakeFallbackMs: 300 });
      const [first, second] = [buildTestJob(), buildTestJob()] as [ReplyJob, ReplyJob];
      await admission.admit(first);
      await admission.admit(second);
      expect((await worker.getNextJob('token-first'))?.id).toBe(jobIdOf(first));
      // The settler dies between its settle and the wake-up.
      queue.backend.promote = () => Promise.reject(new Error('connection lost'));
      await expect(admission.settle(first)).rejects.toThrow('connection lost');
      expect(await stateOf(second)).toBe('delayed');
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect((await worker.getNextJob('token-second'))?.id).toBe(jobIdOf(second));
      expect(await new ConversationGate(redis, { prefix }).isTurn(second)).toBe(true);
    });
  });
});
