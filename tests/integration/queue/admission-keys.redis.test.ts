/**
 * What admission keeps in the user's slot between admissions: the token bucket inside the priorities hash,
 * and the keys' TTLs, given together and recorded by admitted's `keys-expire-at` marker, set again only when
 * that runs short or a key is created, never leaving a key without one. Data an older version wrote (a
 * separate bucket key, keys without the marker) is handled.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log/index.js';
import {
  type AdmissionLimits,
  buildReplyJobId,
  createReplyQueue,
  ReplyAdmission,
  type ReplyJob,
  type ReplyQueue,
} from '../../../src/queue/index.js';
import {
  buildAdmittedKey,
  buildBucketKey,
  buildGateKey,
  buildPendingKey,
  buildPrioritiesKey,
  buildUserQueueKeys,
} from '../../../src/queue/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { buildTestJob, buildTestUserId } from './build-test-job.js';

const logger = createLogger({ level: 'silent', service: 'test' });
const redis = createTestRedis();
const LIMITS: AdmissionLimits = {
  userMaxPending: 5,
  userRatePerMinute: 6,
  userBurst: 3,
  queueMaxDepth: 10_000,
  fairQueue: true,
};
const LEASE_MS = 60_000;
const WINDOW_MS = 120_000;
/** The longest an entry lasts (the duplicate window; the bucket refills in 30 s) plus the shorter of the two. */
const KEY_TTL_MS = WINDOW_MS + LEASE_MS;
const MARKER = 'keys-expire-at';

let prefix: string;
let queue: ReplyQueue;
let now: number;
let user: string;

beforeEach(() => {
  prefix = createTestPrefix();
  queue = createReplyQueue(redis, { prefix, logger });
  now = Date.UTC(2025, 5, 1);
  user = buildTestUserId(7);
});

afterEach(async () => {
  await queue.close();
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

function admissionWith(limits: AdmissionLimits = LIMITS): ReplyAdmission {
  return new ReplyAdmission(redis, {
    prefix,
    logger,
    limits,
    queue,
    now: () => now,
    leaseMs: LEASE_MS,
    duplicateWindowMs: WINDOW_MS,
  });
}

function jobOf(overrides: Partial<ReplyJob> = {}): ReplyJob {
  return buildTestJob({ authorId: user, ...overrides });
}

/** The four keys that share one TTL, in the order pending, priorities, admitted, gate. */
function sharedKeys(): string[] {
  return [buildPendingKey, buildPrioritiesKey, buildAdmittedKey, buildGateKey].map((build) =>
    build(prefix, user),
  );
}

async function ttls(): Promise<number[]> {
  return Promise.all(sharedKeys().map((key) => redis.pttl(key)));
}

async function marker(): Promise<number | null> {
  const score = await redis.zscore(buildAdmittedKey(prefix, user), MARKER);
  return score === null ? null : Number(score);
}

describe('admission’s keys', () => {
  describe('the token bucket', () => {
    it('lives in the priorities hash, beside the job priorities, and writes no key of its own', async () => {
      const admission = admissionWith();
      const job = jobOf();
      await admission.admit(job);
      const priorities = await redis.hgetall(buildPrioritiesKey(prefix, user));
      expect(priorities).toEqual({
        [buildReplyJobId(job.messageId, job.personalityId)]: '1',
        tokens: '2',
        at: String(now),
      });
      expect(await redis.exists(buildBucketKey(prefix, user))).toBe(0);
    });

    it('gives the next job the next priority, not reading the bucket fields as priorities', async () => {
      const admission = admissionWith();
      const first = await admission.admit(jobOf());
      const second = await admission.admit(jobOf());
      expect(first).toMatchObject({ outcome: 'enqueued', priority: 1 });
      expect(second).toMatchObject({ outcome: 'enqueued', priority: 2 });
    });

    it('survives its jobs settling, so a settled burst still costs its tokens', async () => {
      const admission = admissionWith();
      for (let index = 0; index < 3; index += 1) {
        const job = jobOf();
        await admission.admit(job);
        await admission.settle(job);
      }
      expect(await admission.admit(jobOf())).toMatchObject({ outcome: 'refused', reason: 'user-rate' });
    });

    it('ignores a bucket key an older version left: the user starts from a full bucket once', async () => {
      await redis.hset(buildBucketKey(prefix, user), 'tokens', '0', 'at', String(now));
      await redis.pexpire(buildBucketKey(prefix, user), 31_000);
      const admission = admissionWith();
      const results = [];
      for (let index = 0; index < 4; index += 1) results.push((await admission.admit(jobOf())).outcome);
      expect(results).toEqual(['enqueued', 'enqueued', 'enqueued', 'refused']);
    });
  });

  describe('their TTLs', () => {
    it('gives all four the same TTL on a first admission and records it', async () => {
      await admissionWith().admit(jobOf());
      for (const ttl of await ttls()) {
        expect(ttl).toBeGreaterThan(KEY_TTL_MS - 5_000);
        expect(ttl).toBeLessThanOrEqual(KEY_TTL_MS);
      }
      expect(await marker()).toBe(now + KEY_TTL_MS);
    });

    it('leaves them alone while the recorded expiry is far enough', async () => {
      const admission = admissionWith();
      await admission.admit(jobOf());
      for (const key of sharedKeys()) await redis.pexpire(key, KEY_TTL_MS + 50_000);
      now += 10_000;
      await admission.admit(jobOf());
      for (const ttl of await ttls()) expect(ttl).toBeGreaterThan(KEY_TTL_MS + 40_000);
      expect(await marker()).toBe(now - 10_000 + KEY_TTL_MS);
    });

    it('gives a key its TTL when the admission re-creates it, between refreshes', async () => {
      const admission = admissionWith();
      const first = jobOf();
      await admission.admit(first);
      // The last settle leaves pending and gate their empty member, so Redis keeps them, with their TTL.
      await admission.settle(first);
      expect(await redis.zrange(buildPendingKey(prefix, user), 0, '-1')).toEqual(['']);
      expect(await redis.zrange(buildGateKey(prefix, user), 0, '-1')).toEqual(['']);
      // An older version's prune drops pending's member (its score is below now), and its last settle the key.
      await redis.del(buildPendingKey(prefix, user));
      now += 10_000;
      await admission.admit(jobOf());
      for (const ttl of await ttls()) expect(ttl).toBeGreaterThan(0);
      const [pendingTtl] = await ttls();
      expect(pendingTtl).toBeGreaterThan(KEY_TTL_MS - 5_000);
      expect(await redis.zscore(buildPendingKey(prefix, user), '')).toBe('0');
    });

    it('does not count pending’s empty member as a job, nor prune it as an expired one', async () => {
      const admission = admissionWith();
      const first = jobOf();
      await admission.admit(first);
      now += LEASE_MS + 1;
      // The first job's lease expired: pruned, so the next job is the only one pending.
      expect(await admission.admit(jobOf())).toMatchObject({ outcome: 'enqueued', priority: 1 });
      const pending = await redis.zrange(buildPendingKey(prefix, user), 0, '-1');
      expect(pending).toHaveLength(2);
      expect(pending[0]).toBe('');
      expect(pending).not.toContain(buildReplyJobId(first.messageId, first.personalityId));
    });

    it('refreshes all four, and prunes admitted, once less than half the shorter margin is left', async () => {
      const admission = admissionWith();
      const old = jobOf();
      await admission.admit(old);
      await admission.settle(old);
      // Past the duplicate window, within the refresh margin: hold (120 s) + half of 60 s.
      now += WINDOW_MS + 1;
      await admission.admit(jobOf());
      for (const ttl of await ttls()) expect(ttl).toBeGreaterThan(KEY_TTL_MS - 5_000);
      expect(await marker()).toBe(now + KEY_TTL_MS);
      const admitted = await redis.zrange(buildAdmittedKey(prefix, user), 0, '-1');
      expect(admitted).not.toContain(buildReplyJobId(old.messageId, old.personalityId));
    });

    it('treats an admission older than the window as new before any refresh pruned it', async () => {
      const admission = admissionWith();
      const job = jobOf();
      await admission.admit(job);
      await admission.settle(job);
      now += WINDOW_MS + 1;
      // The refresh is put off: the marker still says the keys have long to live.
      await redis.zadd(buildAdmittedKey(prefix, user), now + KEY_TTL_MS, MARKER);
      expect(await admission.admit(job)).toMatchObject({ outcome: 'enqueued' });
    });

    it('refreshes keys an older version wrote (no marker), keeping their entries', async () => {
      const jobId = 'reply-1-old';
      await redis.zadd(buildPendingKey(prefix, user), now + LEASE_MS, jobId);
      await redis.hset(buildPrioritiesKey(prefix, user), jobId, '1');
      await redis.zadd(buildAdmittedKey(prefix, user), now, jobId);
      await redis.zadd(buildGateKey(prefix, user), 0, `1:p:${'1'.padStart(20, '0')}:${jobId}`);
      for (const key of sharedKeys()) await redis.pexpire(key, 5_000);
      expect(await admissionWith().admit(jobOf())).toMatchObject({ outcome: 'enqueued', priority: 2 });
      for (const ttl of await ttls()) expect(ttl).toBeGreaterThan(KEY_TTL_MS - 5_000);
      expect(await marker()).toBe(now + KEY_TTL_MS);
      expect(await redis.zscore(buildAdmittedKey(prefix, user), jobId)).toBe(String(now));
      expect(await redis.zscore(buildGateKey(prefix, user), '')).toBe('0');
    });

    it('gives priorities its TTL when it is created between refreshes', async () => {
      const admission = admissionWith();
      const job = jobOf();
      await admission.admit(job);
      await admission.settle(job);
      // As when a turn check wrote the marker over an older version's priorities (no bucket), then the last
      // settle emptied them.
      await redis.del(buildPrioritiesKey(prefix, user));
      now += 1_000;
      await admission.admit(jobOf());
      expect(await marker()).toBe(now - 1_000 + KEY_TTL_MS);
      expect(await redis.pttl(buildPrioritiesKey(prefix, user))).toBeGreaterThan(KEY_TTL_MS - 5_000);
    });

    it('refreshes them when admitted expired on its own (its marker went with it)', async () => {
      const admission = admissionWith();
      await admission.admit(jobOf());
      await redis.del(buildAdmittedKey(prefix, user));
      now += 1_000;
      await admission.admit(jobOf());
      for (const ttl of await ttls()) expect(ttl).toBeGreaterThan(KEY_TTL_MS - 5_000);
      expect(await marker()).toBe(now + KEY_TTL_MS);
    });

    it('never leaves one of the user’s queue keys without a TTL over many admissions and settles', async () => {
      const admission = admissionWith({ ...LIMITS, userRatePerMinute: 600_000, userBurst: 1_000 });
      const unsettled: ReplyJob[] = [];
      for (let step = 0; step < 60; step += 1) {
        now += 7_000;
        const job = jobOf();
        await admission.admit(job);
        unsettled.push(job);
        // Settle the oldest now and then, and all of them often enough that the pending set empties.
        const settling = step % 5 === 0 ? unsettled.length : step % 3 === 0 ? 0 : 1;
        for (const settled of unsettled.splice(0, settling)) await admission.settle(settled);
        for (const key of buildUserQueueKeys(prefix, user)) {
          // -2: no such key; -1: a key without TTL.
          expect({ key, ttl: await redis.pttl(key) }).not.toMatchObject({ ttl: -1 });
        }
      }
    });
  });
});
