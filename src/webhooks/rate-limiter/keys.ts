import { buildKey } from '../../redis/index.js';

/**
 * Redis keys of a fleet-wide rate limiter. Every key shares the `{rate}` hash tag: each send reserves a bucket slot
 * and a fleet-wide slot in one script, and every send already goes through the one fleet-wide key, so putting the
 * buckets beside it costs Cluster no spread. `keyspace` names the limiter (`webhooks` for webhook requests), so
 * limiters of different Discord limits keep apart state.
 */

/** The hash tag of the rate-limit state, fleet-wide and per bucket. */
const RATE_TAG = '{rate}';

/**
 * Hash with the shared state of one rate-limit bucket (`limit`, `windowMs`, `blockedUntil`, `slots`, and
 * `keptUntil`: Unix ms before which the key does not expire, so a reservation renews its TTL only when short).
 * Discord limits per bucket and major parameter (for webhook routes the webhook), so the pair names one limit;
 * `bucket` names the route's bucket, `ownerId` the channel.
 */
export function buildBucketKey(
  prefix: string,
  keyspace: string,
  ownerId: string,
  bucket: string,
  majorId: string,
): string {
  return buildKey(prefix, keyspace, RATE_TAG, 'bucket', ownerId, bucket, majorId);
}

/**
 * Sorted set of the send times (Unix ms) reserved on the fleet-wide limiter every request passes. It also fixes the
 * grid they lie on (the previous version kept its origin in `global-grid`, a string with a TTL, now left to expire).
 */
export function buildGlobalSlotsKey(prefix: string, keyspace: string): string {
  return buildKey(prefix, keyspace, RATE_TAG, 'global-slots');
}

/** String: no request before this time (Unix ms), set after Discord answered a global 429. */
export function buildGlobalBlockKey(prefix: string, keyspace: string): string {
  return buildKey(prefix, keyspace, RATE_TAG, 'global-block');
}

/**
 * Hash of one channel's budget (Discord's hidden per-channel limit over all its webhooks): `slots` (the newest
 * reserved send times, ascending Unix ms, comma-separated), `blockedUntil` (after a shared 429), and `w:<userId>`
 * (how many of that user's posts wait in the channel's queue).
 */
export function buildChannelKey(prefix: string, keyspace: string, channelId: string): string {
  return buildKey(prefix, keyspace, RATE_TAG, 'channel', channelId);
}

/** Sorted set of the posts waiting for a busy channel's slots (member `<userId>:<requestId>`, score = turn order). */
export function buildChannelWaitersKey(prefix: string, keyspace: string, channelId: string): string {
  return buildKey(prefix, keyspace, RATE_TAG, 'channel-waiters', channelId);
}

/** Sorted set of the same waiters scored by when they are forgotten if they have not come back (Unix ms). */
export function buildChannelWaiterDeadlinesKey(prefix: string, keyspace: string, channelId: string): string {
  return buildKey(prefix, keyspace, RATE_TAG, 'channel-deadlines', channelId);
}
