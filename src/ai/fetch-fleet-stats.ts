import type { RedisClient } from '../redis/index.js';
import { buildWorkerIndexKey, buildWorkerStatsKey } from './keys.js';
import {
  type FleetStats,
  mergeWorkerStats,
  parseWorkerStatsFields,
  type WorkerStats,
} from './worker-stats.js';
import { DefaultWorkerStatsPublisherOptions, HEARTBEAT_TTL_PERIODS } from './worker-stats-publisher.js';

/**
 * Reads every live worker's published statistics and merges them (for the gateway's /status). Workers whose
 * last heartbeat is older than `staleAfterMs` are pruned from the index first; entries that expired or do not
 * parse are skipped.
 */
export async function fetchFleetStats(
  redis: RedisClient,
  prefix: string,
  now: number,
  staleAfterMs: number = DefaultWorkerStatsPublisherOptions.intervalMs * HEARTBEAT_TTL_PERIODS,
): Promise<FleetStats> {
  const indexKey = buildWorkerIndexKey(prefix);
  await redis.zremrangebyscore(indexKey, '-inf', `(${now - staleAfterMs}`);
  const workerIds = await redis.zrange(indexKey, '0', '-1');
  // Each worker's hash sits in its own slot: one HGETALL each, sent together.
  const hashes = await Promise.all(
    workerIds.map((workerId) => redis.hgetall(buildWorkerStatsKey(prefix, workerId))),
  );
  const workers = hashes
    .map((fields) => parseWorkerStatsFields(fields))
    .filter((stats): stats is WorkerStats => stats !== null);
  return mergeWorkerStats(workers, now);
}
