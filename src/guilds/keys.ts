import { buildKey } from '../redis/index.js';

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
