import { buildChannelTag, buildKey, buildUserTag } from '../redis/index.js';

/**
 * Redis keys of the context area, one pure builder per key. A channel's keys share the hash tag `{c:<channelId>}`
 * (one Cluster slot, so one script reads and trims them together); the index of the channels holding a user's
 * lines sits under the user's tag `{u:<userId>}` with their other keys.
 */
const AREA = 'context';

/**
 * STRING (expiring): the channel is live, a personality was addressed or answered there within the window's age.
 * Only a live channel's messages are kept.
 */
export function buildWindowLiveKey(prefix: string, channelId: string): string {
  return buildKey(prefix, AREA, buildChannelTag(channelId), 'live');
}

/** HASH message id → line JSON (expiring): the channel's recent conversation. */
export function buildWindowLinesKey(prefix: string, channelId: string): string {
  return buildKey(prefix, AREA, buildChannelTag(channelId), 'lines');
}

/** ZSET message id → when it was sent (Unix ms), expiring: the order of {@link buildWindowLinesKey}, trimmed. */
export function buildWindowOrderKey(prefix: string, channelId: string): string {
  return buildKey(prefix, AREA, buildChannelTag(channelId), 'order');
}

/** HASH message id → line JSON (expiring): reply-chain ancestors fetched from Discord, older than the window. */
export function buildFetchedLinesKey(prefix: string, channelId: string): string {
  return buildKey(prefix, AREA, buildChannelTag(channelId), 'fetched');
}

/** ZSET message id → when it was fetched (Unix ms), expiring: bounds {@link buildFetchedLinesKey} by age and count. */
export function buildFetchedOrderKey(prefix: string, channelId: string): string {
  return buildKey(prefix, AREA, buildChannelTag(channelId), 'fetched-order');
}

/**
 * ZSET message id → when it was removed (Unix ms), expiring within minutes: deleted messages, so a second
 * gateway's late append of the same message does not bring it back.
 */
export function buildWindowRemovedKey(prefix: string, channelId: string): string {
  return buildKey(prefix, AREA, buildChannelTag(channelId), 'removed');
}

/**
 * ZSET user id → when their entry in the user's index of windows ({@link buildUserWindowsKey}) was last written
 * for this channel (Unix ms), expiring: the entry is rewritten once per refresh period, not per line.
 */
export function buildWindowIndexedKey(prefix: string, channelId: string): string {
  return buildKey(prefix, AREA, buildChannelTag(channelId), 'indexed');
}

/** Every key of one channel's window, for deleting them together (one slot). */
export function buildWindowKeys(prefix: string, channelId: string): string[] {
  return [
    buildWindowLiveKey(prefix, channelId),
    buildWindowLinesKey(prefix, channelId),
    buildWindowOrderKey(prefix, channelId),
    buildFetchedLinesKey(prefix, channelId),
    buildFetchedOrderKey(prefix, channelId),
    buildWindowRemovedKey(prefix, channelId),
    buildWindowIndexedKey(prefix, channelId),
  ];
}

/**
 * ZSET channel id → last time a line of the user was written there (Unix ms), expiring: the windows holding the
 * user's lines, so `/forget-me` finds them without SCAN. Bounded by age and count on every write.
 */
export function buildUserWindowsKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'windows');
}
