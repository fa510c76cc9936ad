import { buildChannelTag, buildKey, buildUserTag } from '../redis/index.js';

/**
 * Redis keys of the state area, one pure builder per key. Per-user keys carry `{u:<userId>}` so one
 * user's keys share a Cluster slot; the public catalog shares the `{catalog}` slot; a channel's activity
 * records, deletion marks and posted-message entries share `{c:<channelId>}`; other per-channel and
 * per-message keys stand alone (single-key operations need no shared slot).
 */
const AREA = 'state';

/** HASH personality id → Personality JSON: every personality of one owner (the source of truth). */
export function buildPersonalitiesKey(prefix: string, ownerId: string): string {
  return buildKey(prefix, AREA, buildUserTag(ownerId), 'personalities');
}

/** HASH normalized name or alias → personality id: the owner's names, unique under one key. */
export function buildPersonalityNamesKey(prefix: string, ownerId: string): string {
  return buildKey(prefix, AREA, buildUserTag(ownerId), 'personality-names');
}

/**
 * SET of personality ids the user co-edits (an index under the co-editor's tag; entries are verified against
 * the owner's record on read), so their edit autocomplete and `/forget-me` find them without SCAN.
 */
export function buildSharedPersonalitiesKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'shared-personalities');
}

/** The hash tag of the public catalog: one slot for every public name, so a lookup is one script. */
const CATALOG_TAG = '{catalog}';

/** ZSET (all scores 0, ordered by member) of `<normalized name>\0<createdAt>\0<id>` for public personalities. */
export function buildCatalogNamesKey(prefix: string): string {
  return buildKey(prefix, AREA, CATALOG_TAG, 'names');
}

/** HASH id → Personality JSON: the public projection (a copy of the owner's record) of each public personality. */
export function buildCatalogEntriesKey(prefix: string): string {
  return buildKey(prefix, AREA, CATALOG_TAG, 'entries');
}

/** HASH id → its normalized names joined by `\n`: which name members to drop when it changes. */
export function buildCatalogEntryNamesKey(prefix: string): string {
  return buildKey(prefix, AREA, CATALOG_TAG, 'entry-names');
}

/** ZSET id → createdAt: public personalities, oldest first (for paging and the total). */
export function buildCatalogListingKey(prefix: string): string {
  return buildKey(prefix, AREA, CATALOG_TAG, 'listing');
}

/** STRING: the activation of one channel (JSON), the record readers trust. */
export function buildActivationKey(prefix: string, channelId: string): string {
  return buildKey(prefix, AREA, 'activation', channelId);
}

/** SET of channel ids with an activation in a guild (an index; entries are verified on read). */
export function buildGuildActivationsKey(prefix: string, guildId: string): string {
  return buildKey(prefix, AREA, `{g:${guildId}}`, 'activations');
}

/** SET of channel ids a personality is activated in (an index; entries are verified on read). */
export function buildPersonalityActivationsKey(prefix: string, personalityId: string): string {
  return buildKey(prefix, AREA, `{p:${personalityId}}`, 'activations');
}

/**
 * SET of channel ids whose activation the user made (an index; entries are verified on read), so `/forget-me`
 * finds the activation records naming them without SCAN. Entries leave when the activation is replaced or
 * removed, so it holds at most the channels where the user's activation still stands.
 */
export function buildUserActivationsKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'activations');
}

/**
 * STRING (JSON, expiring): which personality posted a message. Under its channel's tag, so the worker writes it
 * in one call with the reply's lines in the channel's window.
 */
export function buildPostedMessageKey(prefix: string, channelId: string, messageId: string): string {
  return buildKey(prefix, AREA, 'posted', buildChannelTag(channelId), messageId);
}

/**
 * The untagged key {@link buildPostedMessageKey} had before entries were keyed by channel: such entries are
 * still read and erased until they expire (one TTL after the change).
 */
export function buildLegacyPostedMessageKey(prefix: string, messageId: string): string {
  return buildKey(prefix, AREA, 'posted', messageId);
}

/**
 * ZSET `<channelId>:<messageId>` → posted time (Unix ms), expiring: the user's entries in
 * {@link buildPostedMessageKey}, bounded by count and age (see shared/boundIndex), so `/forget-me` finds them without SCAN. A member
 * without a channel (a bare message id) names a {@link buildLegacyPostedMessageKey} entry.
 */
export function buildUserPostedKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'posted');
}

/**
 * SET of personality ids that greeted the user in DMs (their card's `first_mes`), expiring
 * ({@link GreetingRepository}): each personality greets a user once.
 */
export function buildUserGreetedKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'greeted');
}

/**
 * SET of personality ids that greeted a channel when first activated there, expiring ({@link GreetingRepository}).
 */
export function buildChannelGreetedKey(prefix: string, channelId: string): string {
  return buildKey(prefix, AREA, 'channel-greeted', buildChannelTag(channelId));
}

/** STRING: the personality a user's DMs go to. */
export function buildDmStickyKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'dm-sticky');
}

/** The part of a conversation key after the user: `<channelId>:<personalityId>`. */
export function buildConversationSuffix(channelId: string, personalityId: string): string {
  return `${channelId}:${personalityId}`;
}

/** Everything before the suffix of a user's conversation keys. */
export function buildConversationKeyPrefix(prefix: string, userId: string): string {
  return `${buildKey(prefix, AREA, buildUserTag(userId), 'conversation')}:`;
}

/** LIST of turn JSON, oldest first: one conversation (user, channel, personality). */
export function buildConversationKey(
  prefix: string,
  userId: string,
  channelId: string,
  personalityId: string,
): string {
  return buildConversationKeyPrefix(prefix, userId) + buildConversationSuffix(channelId, personalityId);
}

/**
 * ZSET conversation suffix → last append (Unix ms): lists a user's conversations without SCAN (Cluster-safe).
 * Bounded by count, and by age once full (see shared/boundIndex; a SET in older versions, migrated on write).
 */
export function buildConversationIndexKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'conversations');
}

/** HASH provider → encrypted key record. */
export function buildApiKeysKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'api-keys');
}

/**
 * STRING (expiring): the user deleted this message. Under its channel's tag, so a worker reads it in one call with
 * the channel's other keys (the newest-message records).
 */
export function buildDeletedMessageKey(prefix: string, channelId: string, messageId: string): string {
  return buildKey(prefix, AREA, 'deleted', buildChannelTag(channelId), messageId);
}

/** HASH messageId → latest edited text (expiring): edits of the user's messages that produced a reply job. */
export function buildEditsKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'edits');
}

/**
 * Pub/sub channel (not a key) on which writes of what routing reads (activations, server settings, personalities)
 * are announced, so gateways' routing caches forget what they hold.
 */
export function buildRoutingChangesChannel(prefix: string): string {
  return buildKey(prefix, AREA, 'routing-changes');
}

/** Pub/sub channel (not a key) on which deleted message ids are published, to abort in-flight AI calls. */
export function buildCancelChannel(prefix: string): string {
  return buildKey(prefix, AREA, 'cancel');
}

/** STRING (expiring): the newest message id seen in a channel, so a late answer knows to quote its question. */
export function buildChannelLatestKey(prefix: string, channelId: string): string {
  return buildKey(prefix, AREA, 'channel-latest', buildChannelTag(channelId));
}

/**
 * STRING (expiring): the newest message id a person (not a bot or webhook) wrote in a channel, so a personality
 * chain's link that has not started yet stops when someone spoke since.
 */
export function buildChannelLatestHumanKey(prefix: string, channelId: string): string {
  return buildKey(prefix, AREA, 'channel-latest', buildChannelTag(channelId), 'human');
}
