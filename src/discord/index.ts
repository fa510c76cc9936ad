export { DiscordErrorCode, DiscordLimits } from './discord-limits.js';
export { type FencedBlock, type FencedBlockOptions, findFencedBlocks } from './markdown-fences.js';
export { buildSnowflake, DISCORD_EPOCH_MS, parseSnowflakeTimestamp, shardForGuild } from './snowflake.js';
