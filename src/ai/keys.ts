import { buildKey } from '../redis/index.js';

/**
 * `<prefix>:workers:{<workerId>}:stats`: the hash one worker publishes its AI statistics to, with a TTL so a
 * dead worker's entry disappears by itself. The worker id is the hash tag: one slot per worker on a cluster.
 */
export function buildWorkerStatsKey(prefix: string, workerId: string): string {
  return buildKey(prefix, 'workers', `{${workerId}}`, 'stats');
}

/** `<prefix>:workers:index`: ZSET of worker ids scored by their last heartbeat (Unix ms). */
export function buildWorkerIndexKey(prefix: string): string {
  return buildKey(prefix, 'workers', 'index');
}
