import type { Queue } from 'bullmq';
import { RedisBatch, type RedisClient } from '../redis/index.js';

/**
 * States whose jobs BullMQ keeps, data and all, after they ran (until `removeOnComplete`/`removeOnFail`). Both
 * queues remove completed jobs at once; the completed set holds only those an earlier version kept, until the
 * workers' sweep removes them.
 */
const RETAINED_STATES = ['completed', 'failed'] as const;

/** Job ids read (and job data fetched, in one round trip) at a time. */
const PAGE_SIZE = 500;

/** What {@link removeRetainedJobsOf} needs of a BullMQ queue. */
export type RetainedJobQueue = Pick<Queue, 'toKey' | 'remove'>;

/**
 * Removes the finished jobs `queues` retain whose data names `userId` (a reply's `authorId`, a task's
 * `userId`: any JSON string value equal to the id): their data holds the user's id, display name and message
 * text. Scans each queue's completed and failed sets page by page, which the queues' retention bounds; jobs
 * still waiting or running are left to finish. Returns how many jobs it removed.
 */
export async function removeRetainedJobsOf(
  redis: RedisClient,
  queues: readonly RetainedJobQueue[],
  userId: string,
): Promise<number> {
  const needle = JSON.stringify(userId);
  let removed = 0;
  for (const queue of queues) {
    const matching: string[] = [];
    for (const state of RETAINED_STATES) {
      const setKey = queue.toKey(state);
      for (let start = 0; ; start += PAGE_SIZE) {
        const jobIds = await redis.zrange(setKey, String(start), String(start + PAGE_SIZE - 1));
        const data = await RedisBatch.together((batch) =>
          Promise.all(
            jobIds.map((jobId) => {
              const jobKey = queue.toKey(jobId);
              return RedisBatch.send<string | null>(redis, batch, jobKey, (pipeline) =>
                pipeline.hget(jobKey, 'data'),
              );
            }),
          ),
        );
        jobIds.forEach((jobId, index) => {
          if (data[index]?.includes(needle)) matching.push(jobId);
        });
        if (jobIds.length < PAGE_SIZE) break;
      }
    }
    // Removed after the scan, so removals do not shift the pages still to read.
    for (const jobId of matching) removed += await queue.remove(jobId);
  }
  return removed;
}
