/**
 * Key building blocks shared by every area's `keys.ts`. Keys are `<prefix>:<area>:...`; a per-user key puts
 * the user in a hash tag so all of one user's keys share a Redis Cluster slot; a channel's keys updated together
 * share its channel tag.
 */

/** `{u:<userId>}`: the hash tag of a user's keys. */
export function buildUserTag(userId: string): string {
  return `{u:${userId}}`;
}

/** `{c:<channelId>}`: the hash tag of a channel's keys that one script updates together. */
export function buildChannelTag(channelId: string): string {
  return `{c:${channelId}}`;
}

/** Joins key parts with `:` under `prefix`. */
export function buildKey(prefix: string, ...parts: ReadonlyArray<string | number>): string {
  return `${prefix}:${parts.join(':')}`;
}
