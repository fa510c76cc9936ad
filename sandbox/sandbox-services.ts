import { randomBytes } from 'node:crypto';
import { ApiSerializer } from './api-serializer.js';
import { CommandPlayer } from './command-player.js';
import { GatewayIntents } from './gateway-intents.js';
import { GatewayServer } from './gateway-server.js';
import { buildGatewayWorld } from './gateway-world.js';
import { GuildControl } from './guild-control.js';
import { InteractionService } from './interaction-service.js';
import { MessageService } from './message-service.js';
import { ProxyBotPlayer } from './proxy-bot.js';
import { RateLimitEngine } from './rate-limits.js';
import { RestRouter } from './rest-router.js';
import { type RequestLogEntry, RestServer } from './rest-server.js';
import { RouteFaults } from './route-faults.js';
import { registerApplicationRoutes } from './routes/application-routes.js';
import { registerChannelRoutes } from './routes/channel-routes.js';
import { registerGuildRoutes } from './routes/guild-routes.js';
import { registerIdentityRoutes } from './routes/identity-routes.js';
import type { RouteContext } from './routes/route-context.js';
import { registerWebhookRoutes } from './routes/webhook-routes.js';
import type { SandboxEvents } from './sandbox-events.js';
import type { SandboxOptions } from './sandbox-options.js';
import { SandboxStore } from './sandbox-store.js';
import { TranscriptReader } from './transcript-reader.js';
import { UserMessagePlayer } from './user-message-player.js';

/** The bot's credentials; the application id equals the bot user's id, as for every modern app. */
export interface SandboxBot {
  readonly token: string;
  readonly applicationId: string;
  readonly userId: string;
}

/** What the services need from the sandbox that owns them. */
export interface SandboxHost {
  readonly options: Readonly<SandboxOptions>;
  readonly events: SandboxEvents;
  /** `http://host:port`, once the REST server listens. */
  baseUrl(): string;
  /** The gateway URL `GET /gateway/bot` hands out. */
  gatewayUrl(): string;
  /** Told of every answered REST request. */
  onRequest(entry: RequestLogEntry): void;
}

/** Everything a sandbox runs on: the world's state, the REST and gateway servers, and the players of people. */
export interface SandboxServices {
  readonly bot: SandboxBot;
  readonly store: SandboxStore;
  readonly gateway: GatewayServer;
  readonly rest: RestServer;
  readonly rateLimits: RateLimitEngine;
  readonly routeFaults: RouteFaults;
  readonly guilds: GuildControl;
  readonly userMessages: UserMessagePlayer;
  readonly transcripts: TranscriptReader;
  readonly commands: CommandPlayer;
  readonly proxyBots: ProxyBotPlayer;
}

/** Builds a sandbox's services and wires them to each other: one place knows who talks to whom. */
export function createSandboxServices(host: SandboxHost): SandboxServices {
  const { options, events } = host;
  const now = Date.now;
  const store = new SandboxStore(now);
  const botUser = store.createUser({ username: options.botUsername, bot: true });
  const ownerId = store.createUser({ username: 'guild-owner' }).id;
  const bot: SandboxBot = {
    token: options.botToken === '' ? generateBotToken(botUser.id) : options.botToken,
    applicationId: botUser.id,
    userId: botUser.id,
  };
  const isBotToken = (token: string): boolean => token === bot.token;
  const enabledPrivilegedIntents = (): number => options.enabledPrivilegedIntents;
  const serializer = new ApiSerializer(store, {
    applicationId: bot.applicationId,
    botUserId: bot.userId,
    baseUrl: host.baseUrl,
  });
  const gateway = new GatewayServer(
    buildGatewayWorld({
      store,
      serializer,
      botUserId: bot.userId,
      applicationId: bot.applicationId,
      events,
      isBotToken,
      enabledPrivilegedIntents,
    }),
    {
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      resumeBufferSize: options.resumeBufferSize,
      resumeWindowMs: 5 * 60_000,
    },
    now,
    host.gatewayUrl,
  );
  const messages = new MessageService({
    store,
    serializer,
    gateway,
    events,
    botUserId: bot.userId,
    now,
    messageContentEnabled: () => (options.enabledPrivilegedIntents & GatewayIntents.MessageContent) !== 0,
  });
  const interactions = new InteractionService({
    store,
    serializer,
    gateway,
    messages,
    applicationId: bot.applicationId,
    botUserId: bot.userId,
    now,
    ackMs: options.interactionAckMs,
    tokenTtlMs: options.interactionTokenTtlMs,
  });
  const commands = new CommandPlayer({
    store,
    serializer,
    interactions,
    botUserId: bot.userId,
    applicationId: bot.applicationId,
    baseUrl: host.baseUrl,
  });
  const context: RouteContext = {
    store,
    serializer,
    gateway,
    messages,
    interactions,
    botUserId: bot.userId,
    applicationId: bot.applicationId,
    gatewayUrl: host.gatewayUrl,
    enabledPrivilegedIntents,
  };
  const router = new RestRouter();
  registerIdentityRoutes(router, context);
  registerGuildRoutes(router, context);
  registerChannelRoutes(router, context);
  registerWebhookRoutes(router, context);
  registerApplicationRoutes(router, context);
  const rateLimits = new RateLimitEngine(options.rateLimits, now);
  const routeFaults = new RouteFaults();
  const rest = new RestServer(
    router,
    rateLimits,
    routeFaults,
    {
      isBotToken,
      attachment: (channelId, attachmentId) => {
        for (const message of store.channelMessages(channelId)) {
          const attachment = message.attachments.find((candidate) => candidate.id === attachmentId);
          if (attachment) return { data: attachment.data, contentType: attachment.contentType };
        }
        return commands.uploadedAttachment(channelId, attachmentId);
      },
      onRequest: host.onRequest,
      onUpgrade: (request, socket, head) => gateway.handleUpgrade(request, socket, head),
    },
    now,
  );
  return {
    bot,
    store,
    gateway,
    rest,
    rateLimits,
    routeFaults,
    guilds: new GuildControl({
      store,
      serializer,
      gateway,
      botUserId: bot.userId,
      botUsername: options.botUsername,
      ownerId,
    }),
    userMessages: new UserMessagePlayer({ store, messages }),
    transcripts: new TranscriptReader({ store, messages, events }),
    commands,
    proxyBots: new ProxyBotPlayer({ store, serializer, gateway, messages }),
  };
}

/** A token shaped like Discord's: base64 user id, a timestamp part and an HMAC-like part. */
function generateBotToken(userId: string): string {
  return [
    Buffer.from(userId).toString('base64url'),
    randomBytes(4).toString('base64url'),
    randomBytes(27).toString('base64url'),
  ].join('.');
}
