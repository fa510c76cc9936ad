import { buildKey } from '../redis/index.js';

/**
 * Redis keys of the webhook manager. A channel's keys share the `{c:<channelId>}` hash tag, so its pool, lock and
 * notices live in one Cluster slot. The rate-limit state (the fleet-wide limiter and every webhook's bucket)
 * shares the `{rate}` tag instead: each send reserves a bucket slot and a fleet-wide slot in one script, and every
 * send already goes through the one fleet-wide key, so putting the buckets beside it costs Cluster no spread.
 * Webhook tokens are values only: never part of a key name.
 */

/** The hash tag of the rate-limit state, fleet-wide and per bucket. */
const RATE_TAG = '{rate}';

/** `{c:<channelId>}`: the hash tag of one channel's keys. */
export function buildChannelTag(channelId: string): string {
  return `{c:${channelId}}`;
}

/** Hash `webhookId → token`: the channel's webhook pool, shared by every worker. */
export function buildWebhookPoolKey(prefix: string, channelId: string): string {
  return buildKey(prefix, 'webhooks', buildChannelTag(channelId), 'pool');
}

/** String holding the owner token of the channel's find-or-create lock. */
export function buildWebhookLockKey(prefix: string, channelId: string): string {
  return buildKey(prefix, 'webhooks', buildChannelTag(channelId), 'lock');
}

/** Marker set while Discord refuses further webhooks in the channel (30007), so nobody asks again soon. */
export function buildPoolGrowthBlockedKey(prefix: string, channelId: string): string {
  return buildKey(prefix, 'webhooks', buildChannelTag(channelId), 'growth-blocked');
}

/** Marker that makes a notice to the channel appear once per TTL; `reason` is a fixed word. */
export function buildNoticeKey(prefix: string, channelId: string, reason: string): string {
  return buildKey(prefix, 'webhooks', buildChannelTag(channelId), 'notice', reason);
}

/**
 * Hash with the shared state of one webhook's rate-limit bucket. Discord limits per bucket and major parameter
 * (the webhook), so the pair names one limit; `bucket` names the route's bucket (see `EXECUTE_BUCKET`).
 */
export function buildBucketKey(prefix: string, channelId: string, bucket: string, webhookId: string): string {
  return buildKey(prefix, 'webhooks', RATE_TAG, 'bucket', channelId, bucket, webhookId);
}

/** String: the channel (thread parent) that owns a webhook of ours, for edits and deletes by message. */
export function buildWebhookChannelKey(prefix: string, webhookId: string): string {
  return buildKey(prefix, 'webhooks', 'webhook', webhookId, 'channel');
}

/** Sorted set of the send times (Unix ms) reserved on the fleet-wide limiter every webhook request passes. */
export function buildGlobalSlotsKey(prefix: string): string {
  return buildKey(prefix, 'webhooks', RATE_TAG, 'global-slots');
}

/**
 * String: the origin (Unix ms) of the grid every fleet-wide reservation lies on, whole intervals from it, while any
 * is held.
 */
export function buildGlobalGridKey(prefix: string): string {
  return buildKey(prefix, 'webhooks', RATE_TAG, 'global-grid');
}

/** String: no webhook request before this time (Unix ms), set after Discord answered a global 429. */
export function buildGlobalBlockKey(prefix: string): string {
  return buildKey(prefix, 'webhooks', RATE_TAG, 'global-block');
}

/**
 * String holding a `WebhookUnavailableReason` for a short while after Discord refused the channel a webhook,
 * so a burst of jobs does not repeat the same refused request (Discord bans IPs that pile up 401/403/429s).
 */
export function buildUnavailableKey(prefix: string, channelId: string): string {
  return buildKey(prefix, 'webhooks', buildChannelTag(channelId), 'unavailable');
}
