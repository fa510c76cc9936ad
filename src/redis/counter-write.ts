/**
 * Additions to the counters of one expiring Redis key, as the usage scripts take them (see
 * lua/shared/addToCounters.lua, which any area's script may include). Pure.
 */
export interface CounterWrite {
  readonly key: string;
  readonly kind: 'hash' | 'zset';
  /** TTL refreshed with the write, seconds. */
  readonly ttlSeconds: number;
  /** Field (HASH) or member (ZSET) → amount added. */
  readonly add: ReadonlyMap<string, number>;
}

/** The JSON spec `addToCounters` reads for one key. */
export function buildCounterSpec(write: CounterWrite): string {
  return JSON.stringify({ kind: write.kind, ttl: write.ttlSeconds, add: [...write.add] });
}
