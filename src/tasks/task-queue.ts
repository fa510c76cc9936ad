import { Queue } from 'bullmq';
import type { Logger } from '../log/index.js';
import { buildBullPrefix, logQueueErrors } from '../queue/index.js';
import type { RedisClient } from '../redis/index.js';
import { buildTaskJobId, type TaskJob, TaskJobSchema } from './task-job.js';

/** The BullMQ queue of tasks (work for a worker that is not a reply). */
export const TASK_QUEUE_NAME = 'tasks';

/** The task queue as producers see it; the job name is the task's `kind`. */
export type TaskQueue = Queue<TaskJob, unknown, TaskJob['kind']>;

/** Options for {@link createTaskQueue}. */
export interface TaskQueueOptions {
  /** `REDIS_PREFIX`; BullMQ gets `{<prefix>}`, beside the reply queue. */
  prefix: string;
  /** Attempts per task before it fails for good. @defaultValue 3 */
  attempts: number;
  /** First retry delay, doubled per attempt, in ms. @defaultValue 1000 */
  backoffMs: number;
  /**
   * How long a failed task is kept for inspection, in seconds. Short: its data holds an interaction token,
   * which dies after 15 minutes anyway. @defaultValue 3600
   */
  keepFailedSeconds: number;
  /** Most failed tasks kept, whatever their age. @defaultValue 1000 */
  keepFailedCount: number;
  /** Where the queue's `error` events are logged. */
  logger: Logger;
}

export const DefaultTaskQueueOptions = {
  attempts: 3,
  backoffMs: 1000,
  keepFailedSeconds: 3600,
  keepFailedCount: 1000,
} as const satisfies Omit<Required<TaskQueueOptions>, 'prefix' | 'logger'>;

/**
 * Opens the task queue on `connection` (BullMQ does not close a client it was given). Completed tasks are
 * removed at once: nothing reads them, and their data holds an interaction token. Its `error` events are logged.
 */
export function createTaskQueue(
  connection: RedisClient,
  options: Pick<TaskQueueOptions, 'prefix' | 'logger'> & Partial<TaskQueueOptions>,
): TaskQueue {
  const settings = { ...DefaultTaskQueueOptions, ...options };
  const queue = new Queue<TaskJob, unknown, TaskJob['kind']>(TASK_QUEUE_NAME, {
    connection,
    prefix: buildBullPrefix(settings.prefix),
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

/** Validates and enqueues a task, once per interaction (the job id comes from the interaction's id). */
export async function enqueueTask(queue: TaskQueue, task: TaskJob): Promise<string> {
  const data = TaskJobSchema.parse(task);
  const jobId = buildTaskJobId(data);
  await queue.add(data.kind, data, { jobId });
  return jobId;
}
