import { DiscordHttpError } from '../discord-errors.js';
import type { RestRouter } from '../rest-router.js';
import { ChannelType } from '../sandbox-store.js';
import { isObject, type RouteContext } from './route-context.js';

/** Application flags Discord sets for the privileged intents an app has switched on (the "limited" variants). */
const APPLICATION_INTENT_FLAGS = {
  presence: 1 << 13,
  guildMembers: 1 << 15,
  messageContent: 1 << 19,
} as const;

/** The application's flags as READY and `GET /applications/@me` report them. */
export function applicationFlags(enabledPrivilegedIntents: number): number {
  let flags = 0;
  if (enabledPrivilegedIntents & (1 << 8)) flags |= APPLICATION_INTENT_FLAGS.presence;
  if (enabledPrivilegedIntents & (1 << 1)) flags |= APPLICATION_INTENT_FLAGS.guildMembers;
  if (enabledPrivilegedIntents & (1 << 15)) flags |= APPLICATION_INTENT_FLAGS.messageContent;
  return flags;
}

/** Gateway discovery, the bot's own user and application, other users, and opening DMs. */
export function registerIdentityRoutes(router: RestRouter, context: RouteContext): void {
  const { store, serializer } = context;

  router.add({
    method: 'GET',
    template: '/gateway',
    auth: 'none',
    handler: () => ({ status: 200, body: { url: context.gatewayUrl() } }),
  });

  router.add({
    method: 'GET',
    template: '/gateway/bot',
    auth: 'bot',
    handler: () => ({
      status: 200,
      body: {
        url: context.gatewayUrl(),
        shards: 1,
        session_start_limit: { total: 1000, remaining: 1000, reset_after: 86_400_000, max_concurrency: 1 },
      },
    }),
  });

  router.add({
    method: 'GET',
    template: '/users/@me',
    auth: 'bot',
    handler: () => ({
      status: 200,
      body: {
        ...serializer.user(store.requireUser(context.botUserId)),
        mfa_enabled: false,
        locale: 'en-US',
        verified: true,
        email: null,
        bio: '',
      },
    }),
  });

  router.add({
    method: 'GET',
    template: '/users/:userId',
    auth: 'bot',
    handler: ({ params }) => {
      const user = store.users.get(params['userId'] ?? '');
      if (!user) throw new DiscordHttpError(404, { message: 'Unknown User', code: 10013 });
      return { status: 200, body: serializer.user(user) };
    },
  });

  router.add({
    method: 'POST',
    template: '/users/@me/channels',
    auth: 'bot',
    handler: ({ body }) => {
      const recipientId = isObject(body) ? body['recipient_id'] : undefined;
      const user = typeof recipientId === 'string' ? store.users.get(recipientId) : undefined;
      if (!user) throw new DiscordHttpError(400, { message: 'Unknown User', code: 10013 });
      if (user.id === context.botUserId)
        throw new DiscordHttpError(400, { message: 'Cannot send messages to this user', code: 50007 });
      const channel =
        store.findDm(user.id) ??
        store.createChannel({ type: ChannelType.DM, guildId: null, name: null, recipientIds: [user.id] });
      return { status: 200, body: serializer.channel(channel) };
    },
  });

  const application = (): Record<string, unknown> => {
    const bot = store.requireUser(context.botUserId);
    return {
      id: context.applicationId,
      name: bot.username,
      icon: null,
      description: '',
      summary: '',
      type: null,
      hook: true,
      bot_public: true,
      bot_require_code_grant: false,
      verify_key: '0'.repeat(64),
      flags: applicationFlags(context.enabledPrivilegedIntents()),
      owner: serializer.user(bot),
      team: null,
      bot: serializer.user(bot),
      approximate_guild_count: [...store.guilds.values()].filter((guild) => guild.members.has(bot.id)).length,
      redirect_uris: [],
      interactions_endpoint_url: null,
      integration_types_config: { '0': {}, '1': {} },
    };
  };

  router.add({
    method: 'GET',
    template: '/applications/@me',
    auth: 'bot',
    handler: () => ({ status: 200, body: application() }),
  });
  router.add({
    method: 'GET',
    template: '/oauth2/applications/@me',
    auth: 'bot',
    handler: () => ({ status: 200, body: application() }),
  });

  router.add({
    method: 'GET',
    template: '/users/@me/guilds',
    auth: 'bot',
    handler: () => ({
      status: 200,
      body: [...store.guilds.values()]
        .filter((guild) => guild.members.has(context.botUserId))
        .map((guild) => ({
          id: guild.id,
          name: guild.name,
          icon: null,
          banner: null,
          owner: guild.ownerId === context.botUserId,
          permissions: store.guildPermissions(guild.id, context.botUserId).toString(),
          features: [],
        })),
    }),
  });
}
