/** Discord's epoch (2015-01-01T00:00:00Z) in Unix ms. */
export const DISCORD_EPOCH_MS = 1_420_070_400_000n;

/** The creation time, in Unix ms, encoded in a snowflake. */
export function parseSnowflakeTimestamp(snowflake: string): number {
  return Number((BigInt(snowflake) >> 22n) + DISCORD_EPOCH_MS);
}

/** A snowflake for `timestampMs` with the given low bits (worker/process/increment). */
export function buildSnowflake(timestampMs: number, lowBits = 0n): string {
  return (((BigInt(timestampMs) - DISCORD_EPOCH_MS) << 22n) | (lowBits & 0x3fffffn)).toString();
}

/** The shard a guild's events go to. @see https://discord.com/developers/docs/events/gateway#sharding */
export function shardForGuild(guildId: string, shardCount: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}
