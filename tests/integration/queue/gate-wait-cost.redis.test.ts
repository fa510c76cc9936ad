/**
 * What a job waiting for an earlier message of its conversation costs Redis while it waits, counted with
 * MONITOR (every command under this file's prefix, from every connection), with a real BullMQ worker running
 * the gate as the reply worker does. Counted, not timed: a polling wait shows up as commands.
 */
import { DelayedError, type Job, Worker } from 'bullmq';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisMonitor } from '../../../bench/redis-monitor.js';
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
  createTestPrefix,
  createTestRedis,
  deleteKeysWithPrefix,
  TEST_REDIS_URL,
} from '../../support/redis.js';
import { buildTestJob, ROOMY_LIMITS } from './build-test-job.js';

const logger = createLogger({ level: 'silent', service: 'test' });

const redis = createTestRedis();
/** Each half of the wait the commands are counted over. */
const HALF_WAIT_MS = 750;

let prefix: string;
let queue: ReplyQueue;

beforeEach(() => {
  prefix = createTestPrefix();
  queue = createReplyQueue(redis, { prefix, logger });
});

afterEach(async () => {
  await queue.close();
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

/** Settles and resolves as its promise is resolved: a job held for as long as the test says. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe('a job waiting for its turn', () => {
  it.each([
    { entry: 'admitted behind the earlier job (delayed from admission)', admitLaterFirst: false },
    { entry: 'admitted before it (parked by its worker)', admitLaterFirst: true },
  ])(
    'sends no command while it waits, and runs as soon as the earlier job settles, when $entry',
    async ({ admitLaterFirst }) => {
      const admission = new ReplyAdmission(redis, { prefix, limits: ROOMY_LIMITS, queue, logger });
      // A fallback longer than the test: only the settle can wake the job.
      const gate = new ConversationGate(redis, { prefix, wakeFallbackMs: 60_000 });
      const [first, second] = [buildTestJob(), buildTestJob()] as [ReplyJob, ReplyJob];
      const secondId = buildReplyJobId(second.messageId, second.personalityId);
      const releaseFirst = deferred();
      const firstStarted = deferred();
      const parked = deferred();
      const answered: string[] = [];
      let secondTries = 0;
      const connection = redis.duplicate();
      const worker = new Worker(
        QUEUE_NAME,
        async (bullJob: Job, token?: string) => {
          const data = bullJob.data as ReplyJob;
          if (data.messageId === second.messageId) secondTries += 1;
          if (!(await gate.isTurn(data))) {
            await gate.wait(data, bullJob, token);
            parked.resolve();
            throw new DelayedError();
          }
          if (data.messageId === first.messageId) {
            firstStarted.resolve();
            await releaseFirst.promise;
          }
          answered.push(data.messageId);
          await admission.settle(data);
        },
        {
          connection,
          prefix: buildBullPrefix(prefix),
          concurrency: 2,
          // No lock renewal or stalled check inside the counted window.
          lockDuration: 60_000,
          stalledInterval: 60_000,
          // Started once both jobs are admitted: a worker taking the later job before the earlier one is
          // admitted would rightly answer it at once (the gate orders admitted jobs only).
          autorun: false,
        },
      );
      // Commands sent (a script counts once) after each barrier: MONITOR reports in execution order, so every
      // command after a barrier's ran after it.
      const barriers = [`${prefix}:barrier:parked`, `${prefix}:barrier:later`];
      const commands: string[][] = [];
      const monitor = await RedisMonitor.start(TEST_REDIS_URL, (command) => {
        if (barriers.some((barrier) => command.line.includes(barrier))) commands.push([]);
        else if (!command.fromScript && command.line.includes(prefix)) commands.at(-1)?.push(command.line);
      });
      try {
        for (const job of admitLaterFirst ? [second, first] : [first, second]) await admission.admit(job);
        void worker.run();
        // Delayed by its admission, the later job is parked once admitted; otherwise its worker parks it.
        if (!admitLaterFirst) parked.resolve();
        await Promise.all([parked.promise, firstStarted.promise]);
        for (const barrier of barriers) {
          await redis.exists(barrier);
          await new Promise((resolve) => setTimeout(resolve, HALF_WAIT_MS));
        }
        const [sinceParked = [], later = ['barrier not seen']] = commands.map((lines) => [...lines]);
        releaseFirst.resolve();
        const done = new Promise<void>((resolve) =>
          worker.on('completed', (job) => job.id === secondId && resolve()),
        );
        await done;

        expect(answered).toEqual([first.messageId, second.messageId]);
        // Delayed from its admission, the later job is never taken before its turn.
        expect(secondTries).toBe(admitLaterFirst ? 2 : 1);
        // Nothing touches the waiting job or its user's keys while it waits. The worker only reacts once to
        // the job being delayed (BullMQ's delay marker), then sends nothing at all.
        const waitingOnes = [...sinceParked, ...later].filter(
          (line) => line.includes(secondId) || line.includes(`{u:${second.authorId}}`),
        );
        expect(waitingOnes).toEqual([]);
        expect(sinceParked.length).toBeLessThanOrEqual(5);
        expect(later).toEqual([]);
      } finally {
        monitor.close();
        await worker.close();
        connection.disconnect();
      }
    },
  );
});
