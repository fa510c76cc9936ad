import type { Queue } from 'bullmq';

/** The one command {@link readJobEvents} sends: a `Redis` or a `Cluster` client. */
interface StreamReader {
  xrange(key: string, start: string, end: string): Promise<[id: string, fields: string[]][]>;
}

/**
 * The job ids of `queue`'s `event` entries (BullMQ's events stream: `added`, `completed`, `failed`…), oldest
 * first, one per event: a completed job is removed at once, so the stream is what still says it was added and
 * how it ended (a job id added again after its job was removed appears twice).
 */
export async function readJobEvents(
  redis: StreamReader,
  queue: Pick<Queue, 'toKey'>,
  event: string,
): Promise<string[]> {
  const entries = await redis.xrange(queue.toKey('events'), '-', '+');
  const ids: string[] = [];
  for (const [, fields] of entries) {
    const values = new Map<string, string>();
    for (let index = 0; index + 1 < fields.length; index += 2) values.set(fields[index]!, fields[index + 1]!);
    const jobId = values.get('jobId');
    if (values.get('event') === event && jobId !== undefined) ids.push(jobId);
  }
  return ids;
}
