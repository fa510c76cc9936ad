import type { ApiObject, ApiSerializer } from './api-serializer.js';
import { GatewayIntents } from './gateway-intents.js';
import type { GatewaySessionView, GatewayWorld } from './gateway-server.js';
import { applicationFlags } from './routes/identity-routes.js';
import type { SandboxEvents } from './sandbox-events.js';
import type { SandboxStore } from './sandbox-store.js';

/** What GUILD_CREATE payloads are built from. */
export interface GuildPayloadDeps {
  readonly store: SandboxStore;
  readonly serializer: ApiSerializer;
  readonly botUserId: string;
}

/** What {@link buildGatewayWorld} reads the world from. */
export interface GatewayWorldDeps extends GuildPayloadDeps {
  readonly applicationId: string;
  readonly events: SandboxEvents;
  isBotToken(token: string): boolean;
  enabledPrivilegedIntents(): number;
}

/** The sandbox's world as the gateway server sees it: READY, GUILD_CREATE and member chunks, from the store. */
export function buildGatewayWorld(deps: GatewayWorldDeps): GatewayWorld {
  return {
    isBotToken: (token) => deps.isBotToken(token.replace(/^Bot\s+/i, '')),
    enabledPrivilegedIntents: () => deps.enabledPrivilegedIntents(),
    readyPayload: (session, resumeGatewayUrl) => {
      const bot = deps.store.requireUser(deps.botUserId);
      return {
        v: 10,
        user_settings: {},
        user: { ...deps.serializer.user(bot), verified: true, mfa_enabled: false, email: null },
        guilds: guildsOnShard(deps, session).map((guildId) => ({ id: guildId, unavailable: true })),
        session_id: session.id,
        session_type: 'normal',
        resume_gateway_url: resumeGatewayUrl,
        shard: [session.shardId, session.shardCount],
        application: {
          id: deps.applicationId,
          flags: applicationFlags(deps.enabledPrivilegedIntents()),
        },
        private_channels: [],
        relationships: [],
        presences: [],
        guild_join_requests: [],
        geo_ordered_rtc_regions: [],
        auth: {},
      };
    },
    guildCreatePayloads: (session) =>
      guildsOnShard(deps, session).map((guildId) => guildCreatePayload(deps, guildId, session)),
    membersChunk: (guildId, request) => {
      const guild = deps.store.guilds.get(guildId);
      if (!guild?.members.has(deps.botUserId)) return null;
      const query = request.query.toLowerCase();
      const matching =
        request.userIds === null
          ? [...guild.members.values()]
              .filter((member) =>
                deps.store.requireUser(member.userId).username.toLowerCase().startsWith(query),
              )
              .slice(0, request.limit === 0 ? undefined : request.limit)
          : request.userIds.flatMap((userId) => guild.members.get(userId) ?? []);
      return {
        guild_id: guild.id,
        members: matching.map((member) => deps.serializer.member(guild, member, { withUser: true })),
        chunk_index: 0,
        chunk_count: 1,
        ...(request.userIds === null
          ? {}
          : { not_found: request.userIds.filter((userId) => !guild.members.has(userId)) }),
        ...(request.nonce === null ? {} : { nonce: request.nonce }),
      };
    },
    hasGuild: (guildId) => deps.store.guilds.get(guildId)?.members.has(deps.botUserId) ?? false,
    dispatched: (type) => deps.events.emit('dispatch', { type, at: Date.now() }),
  };
}

/** The guilds the bot is in that this session's shard carries (Discord shards by guild id). */
function guildsOnShard(deps: GuildPayloadDeps, session: GatewaySessionView): string[] {
  return [...deps.store.guilds.values()]
    .filter((guild) => guild.members.has(deps.botUserId))
    .filter((guild) => Number((BigInt(guild.id) >> 22n) % BigInt(session.shardCount)) === session.shardId)
    .map((guild) => guild.id);
}

/** GUILD_CREATE's `d` for one session: every member only with the GUILD_PRESENCES intent. */
export function guildCreatePayload(
  deps: GuildPayloadDeps,
  guildId: string,
  session: GatewaySessionView,
): ApiObject {
  return deps.serializer.guildCreate(deps.store.requireGuild(guildId), {
    allMembers: (session.intents & GatewayIntents.GuildPresences) !== 0,
  });
}
