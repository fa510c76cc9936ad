import { DiscordHttpError } from '../discord-errors.js';
import { GatewayIntents } from '../gateway-intents.js';
import type { RestRouter } from '../rest-router.js';
import { ChannelType, type GuildRecord } from '../sandbox-store.js';
import type { RouteContext } from './route-context.js';

function unknownGuild(): DiscordHttpError {
  return new DiscordHttpError(404, { message: 'Unknown Guild', code: 10004 });
}

/** Guild reads the bot uses: the guild, its channels, roles, members and active threads. */
export function registerGuildRoutes(router: RestRouter, context: RouteContext): void {
  const { store, serializer } = context;

  const requireBotGuild = (guildId: string): GuildRecord => {
    const guild = store.guilds.get(guildId);
    if (!guild?.members.has(context.botUserId)) throw unknownGuild();
    return guild;
  };

  router.add({
    method: 'GET',
    template: '/guilds/:guildId',
    auth: 'bot',
    handler: ({ params, query }) => {
      const guild = requireBotGuild(params['guildId'] ?? '');
      const counts =
        query.get('with_counts') === 'true'
          ? { approximate_member_count: guild.members.size, approximate_presence_count: 0 }
          : {};
      return { status: 200, body: { ...serializer.guild(guild), ...counts } };
    },
  });

  router.add({
    method: 'GET',
    template: '/guilds/:guildId/channels',
    auth: 'bot',
    handler: ({ params }) => {
      const guild = requireBotGuild(params['guildId'] ?? '');
      const channels = [...store.channels.values()].filter(
        (channel) => channel.guildId === guild.id && channel.type !== ChannelType.PublicThread,
      );
      return { status: 200, body: channels.map((channel) => serializer.channel(channel)) };
    },
  });

  router.add({
    method: 'GET',
    template: '/guilds/:guildId/roles',
    auth: 'bot',
    handler: ({ params }) => ({
      status: 200,
      body: [...requireBotGuild(params['guildId'] ?? '').roles.values()].map((role) => serializer.role(role)),
    }),
  });

  router.add({
    method: 'GET',
    template: '/guilds/:guildId/members/:userId',
    auth: 'bot',
    handler: ({ params }) => {
      const guild = requireBotGuild(params['guildId'] ?? '');
      const member = guild.members.get(params['userId'] ?? '');
      if (!member) throw new DiscordHttpError(404, { message: 'Unknown Member', code: 10007 });
      return { status: 200, body: serializer.member(guild, member, { withUser: true }) };
    },
  });

  router.add({
    method: 'GET',
    template: '/guilds/:guildId/members',
    auth: 'bot',
    handler: ({ params, query }) => {
      const guild = requireBotGuild(params['guildId'] ?? '');
      // Listing members needs the privileged GUILD_MEMBERS intent switched on for the application.
      if ((context.enabledPrivilegedIntents() & GatewayIntents.GuildMembers) === 0) {
        throw new DiscordHttpError(403, { message: 'Missing Access', code: 50001 });
      }
      const limit = Math.min(Math.max(Number(query.get('limit') ?? 1), 1), 1000);
      const after = BigInt(query.get('after') ?? '0');
      const members = [...guild.members.values()]
        .filter((member) => BigInt(member.userId) > after)
        .sort((a, b) => (BigInt(a.userId) < BigInt(b.userId) ? -1 : 1))
        .slice(0, limit);
      return {
        status: 200,
        body: members.map((member) => serializer.member(guild, member, { withUser: true })),
      };
    },
  });

  router.add({
    method: 'GET',
    template: '/guilds/:guildId/threads/active',
    auth: 'bot',
    handler: ({ params }) => {
      const guild = requireBotGuild(params['guildId'] ?? '');
      return {
        status: 200,
        body: {
          threads: store.activeThreads(guild.id).map((thread) => serializer.channel(thread)),
          members: [],
        },
      };
    },
  });
}
