import type { JobType } from 'bullmq';
import type { RedisClient } from '../redis/index.js';
import { createReplyQueue, type ReplyQueue, type ReplyQueueOptions } from './reply-queue.js';
import { buildReplyShardPrefixes, findReplyShard } from './reply-shards.js';

/** A reply job as read back from any shard. */
type ReplyQueueJob = NonNullable<Awaited<ReturnType<ReplyQueue['getJob']>>>;

/**
 * The K reply queues (`REPLY_QUEUE_SHARDS`, docs/fair-queue.md, Shards): a user's jobs go to one shard
 * ({@link ReplyQueueShards.forUser}); whatever reads or erases jobs without knowing their user reads every shard.
 * With one shard it is today's single queue.
 */
export class ReplyQueueShards {
  /** The queues, shard 0 first (shard 0 is `{<prefix>}`). */
  readonly shards: readonly [ReplyQueue, ...ReplyQueue[]];

  constructor(shards: readonly ReplyQueue[]) {
    const [first, ...rest] = shards;
    if (first === undefined) throw new RangeError('a reply queue needs at least one shard');
    this.shards = [first, ...rest];
  }

  /**
   * Opens `count` shards on `connection` (which BullMQ does not close), with `options` for each. One shard is
   * exactly today's queue.
   */
  static open(
    connection: RedisClient,
    count: number,
    options: Pick<ReplyQueueOptions, 'prefix' | 'logger'> & Partial<Omit<ReplyQueueOptions, 'bullPrefix'>>,
  ): ReplyQueueShards {
    return new ReplyQueueShards(
      buildReplyShardPrefixes(options.prefix, count).map((bullPrefix) =>
        createReplyQueue(connection, { ...options, bullPrefix }),
      ),
    );
  }

  /** The shard holding `userId`'s jobs. */
  forUser(userId: string): ReplyQueue {
    return this.shards[findReplyShard(userId, this.shards.length)] ?? this.shards[0];
  }

  /** The job with this id, from whichever shard holds it (one look-up per shard); undefined when none does. */
  async getJob(jobId: string): Promise<ReplyQueueJob | undefined> {
    for (const shard of this.shards) {
      const job = await shard.getJob(jobId);
      if (job !== undefined) return job;
    }
    return undefined;
  }

  /** The jobs in `types` of every shard, shard after shard (no order across shards). */
  async getJobs(types: JobType | JobType[]): Promise<ReplyQueueJob[]> {
    return (await Promise.all(this.shards.map((shard) => shard.getJobs(types)))).flat();
  }

  /** Job counts per state, added up over the shards (as `Queue.getJobCounts`). */
  async getJobCounts(...types: JobType[]): Promise<Record<string, number>> {
    const totals: Record<string, number> = {};
    for (const counts of await Promise.all(this.shards.map((shard) => shard.getJobCounts(...types)))) {
      for (const [type, count] of Object.entries(counts)) totals[type] = (totals[type] ?? 0) + count;
    }
    return totals;
  }

  /** Jobs waiting to run, over every shard (as `Queue.count`). */
  async count(): Promise<number> {
    const counts = await Promise.all(this.shards.map((shard) => shard.count()));
    return counts.reduce((sum, count) => sum + count, 0);
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((shard) => shard.close()));
  }
}
