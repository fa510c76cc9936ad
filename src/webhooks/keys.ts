import { buildKey } from '../redis/index.js';

/**
 * Redis keys of the webhook manager. A channel's keys share the `{c:<channelId>}` hash tag, so its pool, lock,
 * notices and rate-limit buckets live in one Cluster slot and one script may touch several of them. Webhook
 * tokens are values only: never part of a key name.
 */

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
  return buildKey(prefix, 'webhooks', buildChannelTag(channelId), 'bucket', bucket, webhookId);
}

/** String: the channel (thread parent) that owns a webhook of ours, for edits and deletes by message. */
export function buildWebhookChannelKey(prefix: string, webhookId: string): string {
  return buildKey(prefix, 'webhooks', 'webhook', webhookId, 'channel');
}

/** String: the next free slot (Unix ms) of the fleet-wide limiter every webhook execute passes. */
export function buildGlobalRateKey(prefix: string): string {
  return buildKey(prefix, 'webhooks', 'global-rate');
}

/**
 * String holding a `WebhookUnavailableReason` for a short while after Discord refused the channel a webhook,
 * so a burst of jobs does not repeat the same refused request (Discord bans IPs that pile up 401/403/429s).
 */
export function buildUnavailableKey(prefix: string, channelId: string): string {
  return buildKey(prefix, 'webhooks', buildChannelTag(channelId), 'unavailable');
}
