import type { Channel } from 'discord.js';

/** Whether a channel is age-restricted (Discord's `nsfw`); a thread has no flag of its own and follows its parent. */
export function isAgeRestrictedChannel(channel: Channel): boolean {
  const holder = channel.isThread() ? channel.parent : channel;
  return holder !== null && 'nsfw' in holder && holder.nsfw === true;
}
