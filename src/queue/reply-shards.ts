import { computeKeySlot } from '../redis/index.js';
import { buildBullPrefix, buildReplyShardTag } from './keys.js';

/**
 * How replies spread over K BullMQ queues ("shards", `REPLY_QUEUE_SHARDS`) on different Redis Cluster slots
 * (docs/fair-queue.md, Shards). Pure: the tags and the user → shard choice are computed, never stored.
 */

/**
 * The masters' slot ranges of a default 3-master Redis Cluster (`redis-cli --cluster create` splits the 16384
 * slots evenly): shard tags are chosen to fall in different ones.
 */
export const DEFAULT_MASTER_SLOT_RANGES: readonly (readonly [first: number, last: number])[] = [
  [0, 5460],
  [5461, 10922],
  [10923, 16383],
];

/** Index in {@link DEFAULT_MASTER_SLOT_RANGES} of the range holding `slot`. */
export function findMasterRange(slot: number): number {
  return DEFAULT_MASTER_SLOT_RANGES.findIndex(([first, last]) => slot >= first && slot <= last);
}

/**
 * The BullMQ prefix of each of `count` reply shards, shard 0 first. Shard 0 is `{<prefix>}`, today's queue (and
 * the task queue's slot), so one shard keeps today's keys. Shard i ≥ 1 is `{<prefix>:replies-<n>}`, with the
 * smallest n not yet taken whose slot lies in range `(r0 + i) mod 3` of {@link DEFAULT_MASTER_SLOT_RANGES}, r0
 * being shard 0's range: on a default 3-master layout, 3 shards sit on the 3 masters, and more shards cycle
 * over them. For `chorus`: `{chorus}` (slot 2053), `{chorus:replies-3}` (7960), `{chorus:replies-1}` (16218).
 */
export function buildReplyShardPrefixes(prefix: string, count: number): string[] {
  const first = buildBullPrefix(prefix);
  const prefixes = [first];
  const firstRange = findMasterRange(computeKeySlot(first));
  const taken = new Set<number>();
  for (let shard = 1; shard < count; shard += 1) {
    const range = (firstRange + shard) % DEFAULT_MASTER_SLOT_RANGES.length;
    for (let n = 1; ; n += 1) {
      const tag = buildReplyShardTag(prefix, n);
      if (taken.has(n) || findMasterRange(computeKeySlot(tag)) !== range) continue;
      taken.add(n);
      prefixes.push(buildBullPrefix(tag));
      break;
    }
  }
  return prefixes;
}

/**
 * The shard of `userId`'s reply jobs: every job of a user lands in one shard, so the user's conversation order
 * and limits work as with one queue. CRC16 of the id (the slot function), modulo `count`.
 */
export function findReplyShard(userId: string, count: number): number {
  return computeKeySlot(userId) % count;
}

/**
 * A worker process's concurrency split over `count` shards (one BullMQ Worker each): the budget is shared out
 * evenly, so the process never runs more than `total` replies at once, except that each shard gets at least
 * one slot (a budget below `count` runs `count`).
 */
export function splitConcurrency(total: number, count: number): number[] {
  return Array.from({ length: count }, (_, shard) =>
    Math.max(1, Math.floor(total / count) + (shard < total % count ? 1 : 0)),
  );
}
