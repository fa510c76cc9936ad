import { buildKey, buildUserTag } from '../redis/index.js';

/** Redis keys of the guilds area. A server's settings stand alone under its own `{g:<guildId>}` tag. */
const AREA = 'guilds';

/** The hash tag of one server's keys. */
export function buildGuildTag(guildId: string): string {
  return `{g:${guildId}}`;
}

/** STRING: a server's settings, as {@link GuildSettings} JSON (absent = the defaults). Permanent, until the bot leaves. */
export function buildGuildSettingsKey(prefix: string, guildId: string): string {
  return buildKey(prefix, AREA, buildGuildTag(guildId), 'settings');
}

/**
 * STRING (expiring): the user was told, in the current window, that a server's settings kept a personality from
 * answering them. Under the user's tag: one notice per user per window, whichever server.
 */
export function buildPolicyNoticeKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'policy-notified');
}
