import { ErrorCode, Queue } from 'bullmq';
import type { Logger } from '../log/index.js';
import type { RedisClient } from '../redis/index.js';
import { buildBullPrefix, QUEUE_NAME } from './keys.js';
import { logQueueErrors } from './queue-errors.js';
import type { ReplyJob } from './reply-job.js';

/** Options for {@link createReplyQueue}. */
export interface ReplyQueueOptions {
  /** `REDIS_PREFIX`; BullMQ gets `{<prefix>}` (see {@link buildBullPrefix}) unless `bullPrefix` says otherwise. */
  prefix: string;
  /**
   * The BullMQ prefix of the shard this queue is (see `buildReplyShardPrefixes`); null = `{<prefix>}`, shard 0.
   * @defaultValue null
   */
  bullPrefix: string | null;
  /** Attempts per job before it fails for good. @defaultValue 3 */
  attempts: number;
  /** First retry delay, doubled per attempt, in ms. @defaultValue 2000 */
  backoffMs: number;
  /** How long a completed job is kept (it also makes a late duplicate add a no-op), in seconds. @defaultValue 3600 */
  keepCompletedSeconds: number;
  /**
   * Most completed jobs kept, whatever their age: a busy hour must not keep every reply's job (its data holds
   * the message). A duplicate added after its job is gone still posts nothing twice: the delivery ledger
   * remembers the reply. @defaultValue 1000
   */
  keepCompletedCount: number;
  /** How long a failed job is kept for inspection, in seconds. @defaultValue 86400 */
  keepFailedSeconds: number;
  /** Most failed jobs kept, whatever their age. @defaultValue 5000 */
  keepFailedCount: number;
  /** Where the queue's `error` events are logged. */
  logger: Logger;
}

export const DefaultReplyQueueOptions = {
  bullPrefix: null,
  attempts: 3,
  backoffMs: 2000,
  keepCompletedSeconds: 3600,
  keepCompletedCount: 1000,
  keepFailedSeconds: 86_400,
  keepFailedCount: 5000,
} as const satisfies Omit<Required<ReplyQueueOptions>, 'prefix' | 'logger'>;

/** The BullMQ name of a reply job (one kind of job in the queue). */
export const REPLY_JOB_NAME = 'reply';

/** The reply queue as producers see it. */
export type ReplyQueue = Queue<ReplyJob, unknown, typeof REPLY_JOB_NAME>;

/**
 * Opens the reply queue on `connection` (a `bullmq-producer` or `commands` client; BullMQ does not close a
 * client it was given). Every job carries an explicit priority ≥ 1: see docs/fair-queue.md. Its `error` events
 * are logged.
 */
export function createReplyQueue(
  connection: RedisClient,
  options: Pick<ReplyQueueOptions, 'prefix' | 'logger'> & Partial<ReplyQueueOptions>,
): ReplyQueue {
  const settings = { ...DefaultReplyQueueOptions, ...options };
  const queue = new Queue<ReplyJob, unknown, typeof REPLY_JOB_NAME>(QUEUE_NAME, {
    connection,
    prefix: settings.bullPrefix ?? buildBullPrefix(settings.prefix),
    defaultJobOptions: {
      attempts: settings.attempts,
      backoff: { type: 'exponential', delay: settings.backoffMs },
      removeOnComplete: { age: settings.keepCompletedSeconds, count: settings.keepCompletedCount },
      removeOnFail: { age: settings.keepFailedSeconds, count: settings.keepFailedCount },
    },
  });
  logQueueErrors(queue, settings.logger);
  return queue;
}

/**
 * Promotes a delayed reply job (`Job.promote`, or the queue backend's `promote` by id) so that a worker takes it
 * now. Returns false when the job was not delayed: already woken, running, finished or gone, which a wake-up
 * may meet in a race and can ignore.
 */
export async function wakeReplyJob(job: { promote(): Promise<void> }): Promise<boolean> {
  try {
    await job.promote();
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === ErrorCode.JobNotInState) return false;
    throw error;
  }
}
