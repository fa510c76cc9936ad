import { RedisBatch, type RedisClient } from '../redis/index.js';
import type { ReplyQueue } from './reply-queue.js';

/** Options for {@link PriorityAging}. */
export interface PriorityAgingOptions {
  /** A job waiting longer than this is raised to priority 1, in ms. @defaultValue 30000 */
  ageAfterMs: number;
  /** Time between sweeps when started, in ms. @defaultValue 5000 */
  intervalMs: number;
  /** Jobs examined per script call; a sweep repeats until a call returns fewer. @defaultValue 200 */
  batchSize: number;
  /** Called with a sweep's error (the timer keeps running). @defaultValue ignores it */
  onError: (error: unknown) => void;
  /** Clock. @defaultValue Date.now */
  now: () => number;
}

export const DefaultPriorityAgingOptions = {
  ageAfterMs: 30_000,
  intervalMs: 5_000,
  batchSize: 200,
  onError: () => undefined,
  now: Date.now,
} as const satisfies Required<PriorityAgingOptions>;

/** The priority every aged job gets: the front band, behind the jobs already in it (FIFO within it). */
const AGED_PRIORITY = 1;
/** BullMQ scores a prioritized job `priority * 2^32 + counter`: each priority's jobs sit together, in order added. */
const PRIORITY_BAND = 0x1_0000_0000;

/**
 * Aging for the fair queue: fair priorities let light users overtake a heavy user's backlog, and this
 * sweep bounds how long that can go on. A job waiting at a priority above 1 more than `ageAfterMs` after it
 * was added joins priority 1 (at its end), so under any load every job is eventually served. The sweep reads
 * BullMQ's own prioritized set (see {@link PriorityAging.collectAged}), so admission and settling keep no index
 * for it.
 * Any number of processes may sweep: two that race on one job both promote it, which only moves it along
 * the end of priority 1.
 */
export class PriorityAging implements AsyncDisposable {
  readonly options: Readonly<PriorityAgingOptions>;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly redis: RedisClient,
    private readonly queue: ReplyQueue,
    options: Partial<PriorityAgingOptions> = {},
  ) {
    this.options = { ...DefaultPriorityAgingOptions, ...options };
  }

  /** Promotes every job that has waited too long; returns how many were promoted. */
  async sweep(): Promise<number> {
    const cutoff = this.options.now() - this.options.ageAfterMs;
    let promoted = 0;
    for (;;) {
      const aged = await this.collectAged(cutoff);
      let promotedNow = 0;
      for (const jobId of aged) {
        try {
          await this.queue.backend.changePriority(jobId, AGED_PRIORITY);
          promotedNow += 1;
        } catch {
          // Taken by a worker or gone meanwhile; if it waits again, the next sweep finds it again.
        }
      }
      promoted += promotedNow;
      // A full batch of jobs that could not be promoted would come back unchanged: leave them to the next sweep.
      if (aged.length < this.options.batchSize || promotedNow === 0) return promoted;
    }
  }

  /**
   * Up to `batchSize` jobs waiting at a priority above 1 that were added at or before `cutoff`, lowest priority
   * number first. Within a priority it goes on only while jobs are old enough (the rest were added later
   * still) and then jumps to the next priority. Each priority is probed with its first job alone, and the page
   * doubles while every job read was old enough, so a priority with nothing to promote costs two commands
   * however many jobs wait in it; each page's `timestamp`s come in one more round trip. Not a Lua script: a
   * script must declare every key it touches, and the job hashes are known only once the set is read.
   */
  private async collectAged(cutoff: number): Promise<string[]> {
    const prioritized = this.queue.toKey('prioritized');
    const aged: string[] = [];
    let from = 2 * PRIORITY_BAND;
    let pageSize = 1;
    while (aged.length < this.options.batchSize) {
      const band = Math.floor(from / PRIORITY_BAND);
      const page = await this.redis.zrangebyscore(
        prioritized,
        from,
        '+inf',
        'WITHSCORES',
        'LIMIT',
        0,
        Math.min(pageSize, this.options.batchSize - aged.length),
      );
      if (page.length === 0) break;
      const jobIds = page.filter((_, index) => index % 2 === 0);
      // Every job hash shares the queue's hash tag: one slot, one round trip.
      const addedAts = await RedisBatch.together((batch) =>
        Promise.all(
          jobIds.map((jobId) => {
            const key = this.queue.toKey(jobId);
            return RedisBatch.send<string | null>(this.redis, batch, key, (pipeline) =>
              pipeline.hget(key, 'timestamp'),
            );
          }),
        ),
      );
      for (const [index, jobId] of jobIds.entries()) {
        const score = Number(page[index * 2 + 1]);
        const addedAt = addedAts[index];
        if (addedAt != null && Number(addedAt) > cutoff) {
          // The rest of this priority was added later still.
          from = (Math.floor(score / PRIORITY_BAND) + 1) * PRIORITY_BAND;
          break;
        }
        // A job gone meanwhile (taken by a worker) is skipped.
        if (addedAt != null) aged.push(jobId);
        from = score + 1;
      }
      // Still in the band it started in, every job old enough: read more of it at once; a new band is probed.
      pageSize = Math.floor(from / PRIORITY_BAND) === band ? pageSize * 2 : 1;
    }
    return aged;
  }

  /** Sweeps every `intervalMs` until disposed. The timer is unref'd: it never keeps the process alive. */
  start(): this {
    if (this.timer !== null) return this;
    this.timer = setInterval(() => {
      if (this.running !== null) return;
      this.running = this.sweep()
        .catch((error: unknown) => {
          this.options.onError(error);
          return 0;
        })
        .finally(() => {
          this.running = null;
        });
    }, this.options.intervalMs);
    this.timer.unref();
    return this;
  }

  /** Stops the timer and waits for a sweep in progress. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
