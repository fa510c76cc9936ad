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

/**
 * `<prefix>:ai:breaker:{<breakerKey>}:open`: STRING that exists while the fleet's breaker for `breakerKey`
 * (`<provider>/<model>/<keyFingerprint>`) is open; its PTTL is the time left until the half-open probe. The
 * breaker key is the hash tag, so this key and its probe lease share a slot on a cluster.
 */
export function buildBreakerOpenKey(prefix: string, breakerKey: string): string {
  return buildKey(prefix, 'ai', 'breaker', `{${breakerKey}}`, 'open');
}

/** `<prefix>:ai:breaker:{<breakerKey>}:probe`: STRING lease (PX) held by the one worker probing that breaker. */
export function buildBreakerProbeKey(prefix: string, breakerKey: string): string {
  return buildKey(prefix, 'ai', 'breaker', `{${breakerKey}}`, 'probe');
}

/** `<prefix>:ai:breakers`: pub/sub channel of breaker transitions (open, closed) between workers. */
export function buildBreakerChannel(prefix: string): string {
  return buildKey(prefix, 'ai', 'breakers');
}
