/**
 * A server's stricter per-user limits at admission, against real Redis and BullMQ: its pending cap and its
 * per-minute cap refuse with their own reason (told once per window), the operator's limits still apply, other
 * servers and DMs are unaffected, the state stays bounded by the limits, and it all costs no extra command.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/log/index.js';
import {
  type AdmissionLimits,
  createReplyQueue,
  ReplyAdmission,
  type ReplyJob,
  type ReplyQueue,
  type ServerLimits,
} from '../../../src/queue/index.js';
import { buildServerAdmittedKey, buildServerPendingKey } from '../../../src/queue/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { spyOnSocketWrites } from '../../support/socket-writes.js';
import { buildTestChannelId, buildTestJob, buildTestUserId, ROOMY_LIMITS } from './build-test-job.js';

const logger = createLogger({ level: 'silent', service: 'test' });
const redis = createTestRedis();
const GUILD = '300000000000000001';
const OTHER_GUILD = '300000000000000002';
const NONE: ServerLimits = { userMaxPending: null, userRatePerMinute: null };

let prefix: string;
let queue: ReplyQueue;
let channel = 0;

beforeEach(() => {
  prefix = createTestPrefix();
  queue = createReplyQueue(redis, { prefix, logger });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await queue.close();
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

function admissionWith(limits: AdmissionLimits = ROOMY_LIMITS, now: () => number = Date.now): ReplyAdmission {
  return new ReplyAdmission(redis, { prefix, logger, limits, queue, now });
}

/** A job of user 0 in `guildId`, each in its own channel: no job waits for another's turn. */
function jobIn(guildId: string | null): ReplyJob {
  channel += 1;
  return buildTestJob({ authorId: buildTestUserId(0), guildId, channelId: buildTestChannelId(channel) });
}

describe('ReplyAdmission with server limits', () => {
  describe('when the server caps pending replies', () => {
    const limits: ServerLimits = { userMaxPending: 2, userRatePerMinute: null };

    it('refuses with server-pending, naming its limit, and tells the user once per window', async () => {
      const admission = admissionWith();
      const jobs = [jobIn(GUILD), jobIn(GUILD)];
      for (const job of jobs) expect((await admission.admit(job, 0, limits)).outcome).toBe('enqueued');
      expect(await admission.admit(jobIn(GUILD), 0, limits)).toMatchObject({
        outcome: 'refused',
        reason: 'server-pending',
        notify: true,
        limit: 2,
        retryAfterMs: 20_000,
      });
      expect(await admission.admit(jobIn(GUILD), 0, limits)).toMatchObject({
        reason: 'server-pending',
        notify: false,
      });

      await admission.settle(jobs[0]!);
      expect((await admission.admit(jobIn(GUILD), 0, limits)).outcome).toBe('enqueued');
    });

    it('counts only that server’s jobs, and leaves other servers and DMs alone', async () => {
      const admission = admissionWith();
      for (const job of [jobIn(OTHER_GUILD), jobIn(OTHER_GUILD), jobIn(null)])
        await admission.admit(job, 0, NONE);
      expect((await admission.admit(jobIn(GUILD), 0, limits)).outcome).toBe('enqueued');
      expect((await admission.admit(jobIn(GUILD), 0, limits)).outcome).toBe('enqueued');
      expect((await admission.admit(jobIn(GUILD), 0, limits)).outcome).toBe('refused');
      expect((await admission.admit(jobIn(OTHER_GUILD), 0, NONE)).outcome).toBe('enqueued');
      // A DM has no server: limits passed along with it do not apply.
      expect((await admission.admit(jobIn(null), 0, limits)).outcome).toBe('enqueued');
    });

    it('keeps its entries within the user’s pending jobs however many are admitted and settled', async () => {
      const admission = admissionWith();
      for (let index = 0; index < 30; index += 1) {
        const job = jobIn(GUILD);
        expect((await admission.admit(job, 0, limits)).outcome).toBe('enqueued');
        await admission.settle(job);
      }
      expect(await redis.scard(buildServerPendingKey(prefix, buildTestUserId(0)))).toBeLessThanOrEqual(1);
    });
  });

  describe('when the server caps messages per minute', () => {
    const limits: ServerLimits = { userMaxPending: null, userRatePerMinute: 2 };

    it('refuses with server-rate until the oldest admission is a minute old', async () => {
      let now = Date.UTC(2025, 5, 1);
      const admission = admissionWith(ROOMY_LIMITS, () => now);
      await admission.admit(jobIn(GUILD), 0, limits);
      now += 10_000;
      await admission.admit(jobIn(GUILD), 0, limits);
      now += 20_000;
      expect(await admission.admit(jobIn(GUILD), 0, limits)).toMatchObject({
        outcome: 'refused',
        reason: 'server-rate',
        notify: true,
        limit: 2,
        retryAfterMs: 30_000,
      });
      expect((await admission.admit(jobIn(OTHER_GUILD), 0, NONE)).outcome).toBe('enqueued');
      now += 29_999;
      expect(await admission.admit(jobIn(GUILD), 0, limits)).toMatchObject({
        reason: 'server-rate',
        notify: false,
      });
      now += 1;
      expect((await admission.admit(jobIn(GUILD), 0, limits)).outcome).toBe('enqueued');
    });

    it('takes no token of the operator’s bucket when it refuses', async () => {
      const admission = admissionWith(
        { ...ROOMY_LIMITS, userBurst: 3, userRatePerMinute: 1 },
        () => 1_000_000,
      );
      const oneAMinute: ServerLimits = { userMaxPending: null, userRatePerMinute: 1 };
      expect((await admission.admit(jobIn(GUILD), 0, oneAMinute)).outcome).toBe('enqueued');
      for (let index = 0; index < 3; index += 1) {
        expect((await admission.admit(jobIn(GUILD), 0, oneAMinute)).outcome).toBe('refused');
      }
      // The two tokens left are still there for another server.
      expect((await admission.admit(jobIn(OTHER_GUILD), 0, NONE)).outcome).toBe('enqueued');
      expect((await admission.admit(jobIn(OTHER_GUILD), 0, NONE)).outcome).toBe('enqueued');
      expect(await admission.admit(jobIn(OTHER_GUILD), 0, NONE)).toMatchObject({ reason: 'user-rate' });
    });

    it('keeps its window within the limit’s minute however many messages pass', async () => {
      let now = Date.UTC(2025, 5, 1);
      const admission = admissionWith(ROOMY_LIMITS, () => now);
      for (let index = 0; index < 40; index += 1) {
        await admission.admit(jobIn(GUILD), 0, limits);
        now += 15_000;
      }
      // One admission every 15 s: at most the four of the last minute are kept.
      expect(await redis.zcard(buildServerAdmittedKey(prefix, buildTestUserId(0)))).toBeLessThanOrEqual(4);
    });
  });

  describe('when the server’s limits are looser than the operator’s', () => {
    const loose: ServerLimits = { userMaxPending: 1_000, userRatePerMinute: 1_000 };

    it('still refuses at the operator’s pending cap', async () => {
      const admission = admissionWith({ ...ROOMY_LIMITS, userMaxPending: 2 });
      await admission.admit(jobIn(GUILD), 0, loose);
      await admission.admit(jobIn(GUILD), 0, loose);
      expect(await admission.admit(jobIn(GUILD), 0, loose)).toMatchObject({
        reason: 'user-pending',
        limit: 2,
      });
    });

    it('still refuses at the operator’s rate', async () => {
      const admission = admissionWith(
        { ...ROOMY_LIMITS, userBurst: 2, userRatePerMinute: 6 },
        () => 1_000_000,
      );
      await admission.admit(jobIn(GUILD), 0, loose);
      await admission.admit(jobIn(GUILD), 0, loose);
      expect(await admission.admit(jobIn(GUILD), 0, loose)).toMatchObject({ reason: 'user-rate', limit: 6 });
    });
  });

  it('applies the server’s limits in the admission script: no extra command', async () => {
    const admission = admissionWith();
    const both: ServerLimits = { userMaxPending: 50, userRatePerMinute: 50 };
    // Loads the scripts: each write below is one command.
    await admission.admit(jobIn(GUILD), 0);
    const plain = spyOnSocketWrites(redis);
    await admission.admit(jobIn(GUILD), 0);
    const plainWrites = plain();
    vi.restoreAllMocks();
    const limited = spyOnSocketWrites(redis);
    await admission.admit(jobIn(GUILD), 0, both);
    expect(limited()).toBe(plainWrites);
    expect(plainWrites).toBe(2);
  });
});
