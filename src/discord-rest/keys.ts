import { buildKey } from '../redis/index.js';

/**
 * Redis keys of the fleet-wide limiter of bot-token requests. Both share the `{bot-rate}` hash tag: every
 * reservation reads the block and the reservations in one script, so they must sit in one Cluster slot.
 */

/** The hash tag of the bot-token limiter's keys. */
const BOT_RATE_TAG = '{bot-rate}';

/** Sorted set of the send times (Unix ms) reserved for bot-token requests, fleet-wide. */
export function buildBotRequestSlotsKey(prefix: string): string {
  return buildKey(prefix, 'discord-rest', BOT_RATE_TAG, 'slots');
}

/** String: no bot-token request before this time (Unix ms), set after Discord answered a global 429. */
export function buildBotRequestBlockKey(prefix: string): string {
  return buildKey(prefix, 'discord-rest', BOT_RATE_TAG, 'block');
}
