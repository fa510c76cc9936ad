import { buildChannelTag, buildKey } from '../redis/index.js';

/**
 * Redis keys of the webhook manager. A channel's keys share the `{c:<channelId>}` hash tag, so its pool, lock and
 * notices live in one Cluster slot. The rate-limit state has its own keys (`rate-limiter/keys.ts`).
 * Webhook tokens are values only: never part of a key name.
 */

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

/** String: the channel (thread parent) that owns a webhook of ours, for edits and deletes by message. */
export function buildWebhookChannelKey(prefix: string, webhookId: string): string {
  return buildKey(prefix, 'webhooks', 'webhook', webhookId, 'channel');
}

/**
 * String holding a `WebhookUnavailableReason` for a short while after Discord refused the channel a webhook,
 * so a burst of jobs does not repeat the same refused request (Discord bans IPs that pile up 401/403/429s).
 */
export function buildUnavailableKey(prefix: string, channelId: string): string {
  return buildKey(prefix, 'webhooks', buildChannelTag(channelId), 'unavailable');
}
