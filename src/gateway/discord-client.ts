import { Client, GatewayIntentBits, Options, Partials } from 'discord.js';
import type { Config } from '../config/index.js';

/**
 * The gateway's discord.js client. Partials Channel and Message let deletes and edits of messages that are
 * not cached (e.g. after a restart) still arrive; DMs need the Channel partial to arrive at all.
 */
export function createDiscordClient(config: Config): Client {
  return new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.MessageContent,
      GatewayIntentBits.DirectMessages,
    ],
    partials: [Partials.Channel, Partials.Message],
    rest: { api: config.discord.apiUrl },
    // Routing needs the message only while its event is handled; no cache keeps memory flat.
    makeCache: Options.cacheWithLimits({ ...Options.DefaultMakeCacheSettings, MessageManager: 0 }),
    allowedMentions: { parse: [], repliedUser: false },
    ...(config.discord.shardCount === undefined
      ? {}
      : { shardCount: config.discord.shardCount, shards: config.discord.shardIds ?? 'auto' }),
  });
}
