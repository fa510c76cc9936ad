/**
 * The conversation order gate against real Redis: order within a conversation, independence across
 * conversations, healing when an earlier job was lost (never added, or its lease expired), and waiting: a
 * parked job is woken by the earlier job's settle, or by its fallback delay when that wake-up is lost.
 */
import { type Job, Worker } from 'bullmq';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
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
import {
  buildAdmittedKey,
  buildGateKey,
  buildGateWaitingKey,
  buildPendingKey,
  buildPrioritiesKey,
} from '../../../src/queue/keys.js';
import { QueueScript, runQueueScript } from '../../../src/queue/queue-scripts.js';
import { RedisBatch } from '../../../src/redis/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { buildTestJob, ROOMY_LIMITS } from './build-test-job.js';

/** Where the queues the tests open log their errors. */
const logger = createLogger({ level: 'silent', service: 'test' });

const redis = createTestRedis();

let prefix: string;
let queue: ReplyQueue;
let now: number;
const clock = () => now;

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

function setup(): { admission: ReplyAdmission; gate: ConversationGate } {
  return {
    admission: new ReplyAdmission(redis, {
      prefix,
      logger,
      limits: ROOMY_LIMITS,
      queue,
      now: clock,
      leaseMs: 60_000,
    }),
    gate: new ConversationGate(redis, { prefix, now: clock, leaseMs: 60_000, addGraceMs: 5_000 }),
  };
}

describe('ConversationGate', () => {
  describe('when several messages of one conversation are pending', () => {
    it('lets only the earliest unsettled one through, in message order', async () => {
      const { admission, gate } = setup();
      const [first, second, third] = [1, 2, 3].map(() => buildTestJob());
      // Admitted out of order: the gate follows the messages, not the admissions.
      for (const job of [third!, first!, second!]) await admission.admit(job);
      expect(await gate.isTurn(first!)).toBe(true);
      expect(await gate.isTurn(second!)).toBe(false);
      expect(await gate.isTurn(third!)).toBe(false);

      await admission.settle(first!);
      expect(await gate.isTurn(second!)).toBe(true);
      expect(await gate.isTurn(third!)).toBe(false);
      await admission.settle(second!);
      expect(await gate.isTurn(third!)).toBe(true);
    });

    it('does not hold back other conversations of the same user', async () => {
      const { admission, gate } = setup();
      const earlier = buildTestJob();
      const otherChannel = buildTestJob({ channelId: '200000000000000002' });
      const otherPersonality = buildTestJob({ personalityId: 'bobpersona' });
      const later = buildTestJob();
      for (const job of [earlier, otherChannel, otherPersonality, later]) await admission.admit(job);
      expect(await gate.isTurn(otherChannel)).toBe(true);
      expect(await gate.isTurn(otherPersonality)).toBe(true);
      expect(await gate.isTurn(later)).toBe(false);
    });
  });

  describe('when an earlier job was admitted but never reached BullMQ', () => {
    /** `next`, admitted behind a job whose gateway never ran Queue.add. */
    async function admitBehindLostJob() {
      const { admission, gate } = setup();
      const stuckQueue = createReplyQueue(redis, { prefix, logger });
      stuckQueue.add = () => new Promise(() => undefined);
      const lost = buildTestJob();
      void new ReplyAdmission(redis, {
        prefix,
        logger,
        limits: ROOMY_LIMITS,
        queue: stuckQueue,
        now: clock,
      }).admit(lost);
      const next = buildTestJob();
      await admission.admit(next);
      // The lost admission's script runs concurrently; once both are pending, `next` sits behind it.
      // Jobs have a lease above 0; the set's empty member (score 0) only keeps the key.
      const pendingKey = buildPendingKey(prefix, next.authorId);
      for (
        let attempt = 0;
        attempt < 200 && (await redis.zcount(pendingKey, '(0', '+inf')) < 2;
        attempt += 1
      ) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return { gate, next, pendingKey, stuckQueue };
    }

    it('waits out the add grace period, then drops it', async () => {
      const { gate, next, pendingKey, stuckQueue } = await admitBehindLostJob();
      expect(await gate.isTurn(next)).toBe(false);
      now += 5_001;
      expect(await gate.isTurn(next)).toBe(true);
      // Dropped for good: the lost job no longer counts as pending either.
      expect(await redis.zcount(pendingKey, '(0', '+inf')).toBe(1);
      await stuckQueue.close();
    });

    it('checks within a batch, and drops it after the batch on its own', async () => {
      const { gate, next, pendingKey, stuckQueue } = await admitBehindLostJob();
      now += 5_001;
      const [isTurn, pendingWithTheCheck] = await RedisBatch.together((batch) =>
        Promise.all([
          gate.isTurn(next, batch),
          RedisBatch.send<number>(redis, batch, pendingKey, (client) =>
            client.zcount(pendingKey, '(0', '+inf'),
          ),
        ]),
      );
      expect(isTurn).toBe(true);
      // The read went out with the check, before the repair.
      expect(pendingWithTheCheck).toBe(2);
      expect(await redis.zcount(pendingKey, '(0', '+inf')).toBe(1);
      await stuckQueue.close();
    });
  });

  describe('when an earlier job’s lease expired', () => {
    it('stops blocking the conversation', async () => {
      const { admission, gate } = setup();
      const [earlier, later] = [buildTestJob(), buildTestJob()];
      await admission.admit(earlier);
      await admission.admit(later);
      expect(await gate.isTurn(later)).toBe(false);
      now += 30_000;
      // The later job's worker keeps renewing its own lease; the earlier one's is never renewed.
      expect(await gate.isTurn(later)).toBe(false);
      now += 30_001;
      // The only job pending is its own, so the gate is not read: the stale entry stays until the settle.
      expect(await gate.isTurn(later)).toBe(true);
      expect(await redis.zcard(buildGateKey(prefix, later.authorId))).toBe(3);
      await admission.settle(later);
      expect(await redis.zrange(buildGateKey(prefix, later.authorId), 0, '-1')).toEqual(['']);
    });
  });

  describe('when it renews the job’s lease', () => {
    /** The keys holding the job's entries, which share one expiry. */
    function entryKeys(job: ReplyJob): string[] {
      return [buildPendingKey, buildPrioritiesKey, buildGateKey].map((build) => build(prefix, job.authorId));
    }

    function keyTtls(job: ReplyJob): Promise<number[]> {
      return Promise.all(entryKeys(job).map((key) => redis.pttl(key)));
    }

    it('leaves the keys’ TTL alone while they outlive the lease by over half the margin', async () => {
      const { admission, gate } = setup();
      const job = buildTestJob();
      await admission.admit(job);
      const admitted = await keyTtls(job);
      expect(await gate.isTurn(job)).toBe(true);
      const checked = await keyTtls(job);
      // The gate's key TTL is twice its lease; admission gave them the lease plus the duplicate window, longer.
      for (const [index, ttl] of checked.entries()) {
        expect(ttl).toBeGreaterThan(120_000);
        expect(ttl).toBeLessThanOrEqual(admitted[index]!);
      }
    });

    it('renews the keys’ TTL once less than half the margin past the lease is left', async () => {
      const { admission, gate } = setup();
      const job = buildTestJob();
      await admission.admit(job);
      const admittedKey = buildAdmittedKey(prefix, job.authorId);
      // As the keys stand 85 s before the expiry their marker records.
      await redis.zadd(admittedKey, now + 85_000, 'keys-expire-at');
      for (const key of [...entryKeys(job), admittedKey]) await redis.pexpire(key, 85_000);
      now += 1_000;
      expect(await gate.isTurn(job)).toBe(true);
      for (const ttl of await keyTtls(job)) {
        expect(ttl).toBeGreaterThan(110_000);
        expect(ttl).toBeLessThanOrEqual(120_000);
      }
      expect(await redis.pttl(admittedKey)).toBeGreaterThan(110_000);
      expect(Number(await redis.zscore(admittedKey, 'keys-expire-at'))).toBe(now + 120_000);
    });

    it('renews them when no marker records their expiry (keys of an older version)', async () => {
      const { admission, gate } = setup();
      const job = buildTestJob();
      await admission.admit(job);
      const admittedKey = buildAdmittedKey(prefix, job.authorId);
      await redis.zrem(admittedKey, 'keys-expire-at');
      await redis.zrem(buildGateKey(prefix, job.authorId), '');
      for (const key of [...entryKeys(job), admittedKey]) await redis.pexpire(key, 85_000);
      now += 1_000;
      expect(await gate.isTurn(job)).toBe(true);
      for (const ttl of await keyTtls(job)) expect(ttl).toBeGreaterThan(110_000);
      expect(Number(await redis.zscore(admittedKey, 'keys-expire-at'))).toBe(now + 120_000);
      // Written with the marker, so gate is not deleted (and re-created without a TTL) while the marker stands.
      expect(await redis.zscore(buildGateKey(prefix, job.authorId), '')).toBe('0');
    });
  });

  describe('when the job itself was already settled', () => {
    it('still answers from the jobs before it', async () => {
      const { admission, gate } = setup();
      const [earlier, later] = [buildTestJob(), buildTestJob()];
      await admission.admit(earlier);
      await admission.admit(later);
      await admission.settle(later);
      expect(await gate.isTurn(later)).toBe(false);
      await admission.settle(earlier);
      expect(await gate.isTurn(later)).toBe(true);
    });
  });

  describe('when a job that passed its turn check settles', () => {
    it('leaves no waiting mark, though its settle does not take one', async () => {
      const { admission, gate } = setup();
      const [earlier, later] = [buildTestJob(), buildTestJob()];
      await admission.admit(earlier);
      await admission.admit(later);
      const waitingKey = buildGateWaitingKey(prefix, later.authorId);
      expect(await gate.isTurn(later)).toBe(false);
      expect(await redis.sismember(waitingKey, buildReplyJobId(later.messageId, later.personalityId))).toBe(
        1,
      );
      // The earlier job's lease lapsed: no settle woke the later one (which would have taken its mark).
      await redis.zadd(
        buildPendingKey(prefix, earlier.authorId),
        1,
        buildReplyJobId(earlier.messageId, earlier.personalityId),
      );
      expect(await gate.isTurn(later)).toBe(true);
      // The settle as the post-answer script sends it, after the attempt's turn check.
      const call = admission.buildSettleCall(later, { turnChecked: true });
      expect(call.args[5]).toBe('1');
      await runQueueScript(redis, QueueScript.settleReply, call.keys, call.args);
      expect(await redis.scard(waitingKey)).toBe(0);
      expect(
        await redis.zscore(
          buildPendingKey(prefix, later.authorId),
          buildReplyJobId(later.messageId, later.personalityId),
        ),
      ).toBeNull();
    });
  });
});

describe('ConversationGate waits', () => {
  /** Manual BullMQ worker: takes jobs as a worker would, with a lock token. */
  let worker: Worker;
  const token = 'test-token';

  beforeEach(() => {
    // BullMQ delays from the real clock, so admission and gate use it too.
    now = Date.now();
    worker = new Worker(QUEUE_NAME, null, { connection: redis, prefix: buildBullPrefix(prefix) });
  });

  afterEach(async () => {
    await worker.close();
  });

  /**
   * Admits `jobs` (one conversation, in order) latest first, as gateways racing each other may, so none is
   * delayed at admission; then takes them all from the queue, as workers would.
   */
  async function admitAndTake(jobs: readonly ReplyJob[]) {
    const { admission } = setup();
    const gate = new ConversationGate(redis, { prefix, leaseMs: 60_000, wakeFallbackMs: 60_000 });
    for (const job of [...jobs].reverse()) await admission.admit(job);
    const taken = new Map<string, Job>();
    for (const _ of jobs) {
      const bullJob = (await worker.getNextJob(token)) as Job;
      taken.set(bullJob.id!, bullJob);
    }
    const bullJobOf = (job: ReplyJob) => taken.get(buildReplyJobId(job.messageId, job.personalityId))!;
    return { admission, gate, bullJobOf };
  }

  describe('when the earlier job settles after the later one was parked', () => {
    it('promotes the later one', async () => {
      const [first, second] = [buildTestJob(), buildTestJob()];
      const { admission, gate, bullJobOf } = await admitAndTake([first!, second!]);
      expect(await gate.isTurn(second!)).toBe(false);
      await gate.wait(second!, bullJobOf(second!), token);
      expect(await bullJobOf(second!).getState()).toBe('delayed');

      await admission.settle(first!);
      expect(await bullJobOf(second!).getState()).toBe('prioritized');
    });
  });

  describe('when the earlier job settles before the later one is parked', () => {
    it('lets the later one wake itself at once', async () => {
      const [first, second] = [buildTestJob(), buildTestJob()];
      const { admission, gate, bullJobOf } = await admitAndTake([first!, second!]);
      expect(await gate.isTurn(second!)).toBe(false);
      // The settle's wake-up meets a job still active: it cannot promote it, and does not fail.
      await admission.settle(first!);
      await gate.wait(second!, bullJobOf(second!), token);
      expect(await bullJobOf(second!).getState()).toBe('prioritized');
    });
  });

  describe('when a later job never waited', () => {
    it('leaves it where it is', async () => {
      const { admission } = setup();
      const [first, second] = [buildTestJob(), buildTestJob()];
      // Admitted before the earlier message's job, so not waiting from the start.
      await admission.admit(second!);
      await admission.admit(first!);
      await admission.settle(first!);
      const job = await queue.getJob(buildReplyJobId(second!.messageId, second!.personalityId));
      expect(await job!.getState()).toBe('prioritized');
    });
  });

  describe('when the wake-up is lost', () => {
    it('brings the job back after the fallback delay', async () => {
      const [first, second] = [buildTestJob(), buildTestJob()];
      const { admission, bullJobOf } = await admitAndTake([first!, second!]);
      const gate = new ConversationGate(redis, { prefix, leaseMs: 60_000, wakeFallbackMs: 300 });
      expect(await gate.isTurn(second!)).toBe(false);
      await gate.wait(second!, bullJobOf(second!), token);
      // The settler dies between its settle and the wake-up.
      queue.backend.promote = () => Promise.reject(new Error('connection lost'));
      await expect(admission.settle(first!)).rejects.toThrow('connection lost');
      expect(await bullJobOf(second!).getState()).toBe('delayed');
      await new Promise((resolve) => setTimeout(resolve, 400));
      const back = await worker.getNextJob(token);
      expect(back?.id).toBe(bullJobOf(second!).id);
      expect(await gate.isTurn(second!)).toBe(true);
    });
  });
});
