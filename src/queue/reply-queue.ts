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
 *
 * A completed job is removed at once: nothing reads it, and its data holds the message. A duplicate of it is
 * not added again within admission's duplicate window (`admitReply` answers "already settled"); one added
 * after it runs again and posts nothing, the delivery ledger remembering the reply.
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
      removeOnComplete: true,
      removeOnFail: { age: settings.keepFailedSeconds, count: settings.keepFailedCount },
    },
  });
  logQueueErrors(queue, settings.logger);
  return queue;
}

/** How often a worker removes the completed reply jobs an earlier version kept, in ms (see below). */
export const KEPT_COMPLETED_SWEEP_MS = 3_600_000;

/**
 * Removes every completed reply job in `queue`: those an earlier version kept (an hour, at most 1000 per shard),
 * and those of the jobs it added, which finish as it said even once this version runs. Nothing else removes
 * them now, so a worker calls this at start and every {@link KEPT_COMPLETED_SWEEP_MS}: once the set is
 * empty, one script that finds nothing. Returns how many it removed.
 */
export async function removeKeptCompletedJobs(queue: Pick<ReplyQueue, 'clean'>): Promise<number> {
  // Grace 0 and no limit: nothing reads a completed reply job, whatever its age.
  return (await queue.clean(0, 0, 'completed')).length;
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
