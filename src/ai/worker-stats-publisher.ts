import type { Logger } from '../log/index.js';
import type { RedisClient } from '../redis/index.js';
import type { BreakerSnapshot } from './breaker-registry.js';
import type { ProviderCallStats } from './call-stats-window.js';
import { buildWorkerIndexKey, buildWorkerStatsKey } from './keys.js';
import { buildWorkerStatsFields, selectPublishedBreakers, type WorkerStats } from './worker-stats.js';

/** Where the statistics come from: the worker's AiService. */
export interface WorkerStatsSource {
  breakerSnapshots(): BreakerSnapshot[];
  callStats(): ProviderCallStats[];
  readonly callsInFlight: number;
}

/** Options {@link WorkerStatsPublisher} cannot do without. */
export interface RequiredWorkerStatsPublisherOptions {
  redis: RedisClient;
  /** `REDIS_PREFIX`. */
  prefix: string;
  /** This worker's id, unique in the fleet. */
  workerId: string;
  ai: WorkerStatsSource;
  logger: Logger;
}

/** Options of {@link WorkerStatsPublisher} with defaults ({@link DefaultWorkerStatsPublisherOptions}). */
export interface OptionalWorkerStatsPublisherOptions {
  /** Heartbeat period, ms. The entry lives three periods, so one missed beat does not drop it. @defaultValue 5_000 */
  intervalMs: number;
  /** Jobs this worker is running; null = its AI calls in flight. @defaultValue null */
  jobsInFlight: (() => number) | null;
  /** Most breaker snapshots written per heartbeat (the troubled ones first). @defaultValue 100 */
  maxPublishedBreakers: number;
  /** Clock, Unix ms. @defaultValue Date.now */
  now: () => number;
}

export type WorkerStatsPublisherOptions = RequiredWorkerStatsPublisherOptions &
  Partial<OptionalWorkerStatsPublisherOptions>;

export const DefaultWorkerStatsPublisherOptions = {
  intervalMs: 5_000,
  jobsInFlight: null,
  maxPublishedBreakers: 100,
  now: Date.now,
} as const satisfies Required<OptionalWorkerStatsPublisherOptions>;

/** How many heartbeat periods a worker's entry outlives its last heartbeat. */
export const HEARTBEAT_TTL_PERIODS = 3;

/**
 * Publishes this worker's AI statistics (breakers, per-model latency and errors, jobs in flight) to Redis
 * every `intervalMs`, so any gateway's /status can show the whole fleet: a hash with a TTL of three periods
 * (a dead worker's entry expires by itself) plus the worker's heartbeat in the fleet index ZSET. Starts on
 * construction; disposing it stops the timer and removes the entry at once.
 */
export class WorkerStatsPublisher implements AsyncDisposable {
  readonly options: Readonly<RequiredWorkerStatsPublisherOptions & OptionalWorkerStatsPublisherOptions>;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private closed = false;

  constructor(options: WorkerStatsPublisherOptions) {
    this.options = { ...DefaultWorkerStatsPublisherOptions, ...options };
    this.log = this.options.logger.child({ module: 'ai' });
    this.tick();
  }

  /**
   * Writes one heartbeat now, or joins the one being written (the timer calls this; so may tests, to know the
   * first heartbeat, sent on construction, has landed). Does nothing once disposed.
   */
  publish(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.running ??= this.write().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Stops publishing and removes this worker's entry, so /status drops it without waiting for the TTL. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    const { redis, prefix, workerId } = this.options;
    try {
      await redis.del(buildWorkerStatsKey(prefix, workerId));
      await redis.zrem(buildWorkerIndexKey(prefix), workerId);
    } catch (error) {
      this.log.warn({ err: error }, 'worker stats entry could not be removed; it will expire');
    }
  }

  private tick(): void {
    void this.publish()
      .catch((error: unknown) => this.log.warn({ err: error }, 'worker stats could not be published'))
      .finally(() => {
        if (this.closed) return;
        this.timer = setTimeout(() => this.tick(), this.options.intervalMs);
        this.timer.unref();
      });
  }

  private async write(): Promise<void> {
    const { redis, prefix, workerId, ai, intervalMs } = this.options;
    const now = this.options.now();
    const breakers = ai.breakerSnapshots();
    const stats: WorkerStats = {
      workerId,
      updatedAt: now,
      jobsInFlight: this.options.jobsInFlight?.() ?? ai.callsInFlight,
      breakerCount: breakers.length,
      breakers: selectPublishedBreakers(breakers, this.options.maxPublishedBreakers),
      providers: ai.callStats(),
    };
    const key = buildWorkerStatsKey(prefix, workerId);
    const ttlMs = intervalMs * HEARTBEAT_TTL_PERIODS;
    // One key per MULTI (its own slot on a cluster); the index lives in another slot, so it is written apart.
    const replies = await redis
      .multi()
      .del(key)
      .hset(key, buildWorkerStatsFields(stats))
      .pexpire(key, ttlMs)
      .exec();
    const failed = replies?.find(([error]) => error !== null);
    if (failed) throw failed[0];
    const indexKey = buildWorkerIndexKey(prefix);
    await redis.zadd(indexKey, now, workerId);
    await redis.zremrangebyscore(indexKey, '-inf', `(${now - ttlMs}`);
    // Gone with the last worker, like the entries it lists.
    await redis.pexpire(indexKey, ttlMs);
  }
}
