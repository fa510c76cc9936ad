export { DiscordErrorCode, DiscordLimits } from './discord-limits.js';
export { buildSnowflake, DISCORD_EPOCH_MS, parseSnowflakeTimestamp, shardForGuild } from './snowflake.js';
