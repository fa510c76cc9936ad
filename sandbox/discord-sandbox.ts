import { randomBytes } from 'node:crypto';
import { type ApiObject, ApiSerializer } from './api-serializer.js';
import {
  buildInteractionOptions,
  type CommandOptionValue,
  type CommandPath,
} from './build-interaction-options.js';
import { hasPermissions, PermissionFlags, type PermissionOverwrite } from './channel-permissions.js';
import { validateBulkDelete } from './discord-rules.js';
import { GatewayIntents } from './gateway-intents.js';
import { GatewayServer, type GatewaySessionView, type GatewayWorld } from './gateway-server.js';
import type { InteractionHandle } from './interaction-handle.js';
import { InteractionService, InteractionType } from './interaction-service.js';
import { MessageService } from './message-service.js';
import { type PlayProxyBotOptions, ProxyBotPlayer } from './proxy-bot.js';
import { RateLimitEngine, type RateLimitSettings } from './rate-limits.js';
import { RestRouter, type UploadedFile } from './rest-router.js';
import type { RequestLogEntry } from './rest-server.js';
import { RestServer } from './rest-server.js';
import { type RouteFault, type RouteFaultHandle, RouteFaults } from './route-faults.js';
import { registerApplicationRoutes } from './routes/application-routes.js';
import { registerChannelRoutes } from './routes/channel-routes.js';
import { registerGuildRoutes } from './routes/guild-routes.js';
import { applicationFlags, registerIdentityRoutes } from './routes/identity-routes.js';
import type { RouteContext } from './routes/route-context.js';
import { registerWebhookRoutes } from './routes/webhook-routes.js';
import { SandboxEvents, type TranscriptEntry } from './sandbox-events.js';
import { DefaultSandboxOptions, type SandboxOptions } from './sandbox-options.js';
import { type ChannelRecord, ChannelType, SandboxStore } from './sandbox-store.js';

/** What the bot may do in a new guild unless told otherwise: what Chorus asks for when invited. */
export const DEFAULT_BOT_PERMISSIONS =
  PermissionFlags.ViewChannel |
  PermissionFlags.SendMessages |
  PermissionFlags.SendMessagesInThreads |
  PermissionFlags.ReadMessageHistory |
  PermissionFlags.ManageWebhooks |
  PermissionFlags.EmbedLinks |
  PermissionFlags.AttachFiles |
  PermissionFlags.AddReactions |
  PermissionFlags.UseApplicationCommands;

/** Requests kept in {@link DiscordSandbox.requestLog}; older ones are dropped (stats still count them). */
const REQUEST_LOG_LIMIT = 20_000;

/** A channel permission overwrite as the control API takes it. */
export interface OverwriteInput {
  readonly id: string;
  readonly type: 'role' | 'member';
  readonly allow?: bigint;
  readonly deny?: bigint;
}

/** Options of {@link DiscordSandbox.createChannel}. */
export interface CreateChannelOptions {
  readonly name: string;
  /** @defaultValue 'text' */
  readonly type?: 'text' | 'forum';
  /**
   * Age-restricted (Discord's `nsfw`). Threads have no flag of their own: they are age-restricted when their
   * parent is (discord.js reads `thread.parent.nsfw`). @defaultValue false
   */
  readonly nsfw?: boolean;
  /** A member overwrite for the bot in this channel. */
  readonly botPermissions?: { readonly allow?: bigint; readonly deny?: bigint };
  readonly permissionOverwrites?: readonly OverwriteInput[];
}

/** Options of {@link DiscordSandbox.addMember}. */
export interface AddMemberOptions {
  /** Grants these permissions through a role made for this member. */
  readonly permissions?: bigint;
  /** Existing role ids to give. */
  readonly roles?: readonly string[];
}

/** A file a user attaches. */
export interface UserAttachment {
  readonly filename: string;
  readonly data?: Buffer | string;
  readonly contentType?: string;
}

/** A slash command option's value: what a user types, or a file for an ATTACHMENT option. */
export type SlashCommandValue = CommandOptionValue | UserAttachment;

/** A file uploaded with a slash command (Discord keeps it on its CDN under an ephemeral-attachments path). */
interface InteractionAttachment {
  readonly id: string;
  readonly channelId: string;
  readonly filename: string;
  readonly contentType: string | null;
  readonly data: Buffer;
}

/** Options of {@link DiscordSandbox.userSays}. */
export interface UserSaysOptions {
  /** Message id to reply to (same channel). */
  readonly replyTo?: string;
  readonly attachments?: readonly UserAttachment[];
}

/** Counters over every REST request the sandbox answered. */
export interface SandboxStats {
  readonly requests: number;
  /** 429 answers. */
  readonly rateLimited: number;
  /** 401, 403 and 429 answers: what Discord counts towards its invalid-request ban (10,000 per 10 minutes). */
  readonly invalidRequests: number;
  /** Requests per `METHOD /route/:id`. */
  readonly routes: Readonly<Record<string, number>>;
  /** Answers per status code. */
  readonly statuses: Readonly<Record<number, number>>;
}

/** Things that go wrong on Discord's side, on demand. */
export interface SandboxFaults {
  /** Deletes a webhook behind the bot's back (as a server admin would) and dispatches WEBHOOKS_UPDATE. */
  deleteWebhook(webhookId: string): void;
  /** Makes matching REST requests fail, stall or hang. */
  injectRoute(fault: RouteFault): RouteFaultHandle;
  /** Closes every gateway socket abnormally (no close frame): clients RESUME. */
  dropSessions(): void;
  /** Sends op 7 Reconnect: clients reconnect and RESUME. */
  requestReconnect(): void;
  /** Sends op 9 Invalid Session with `d: resumable`. */
  invalidateSessions(resumable: boolean): void;
}

/**
 * A local Discord for tests, demos and benchmarks: REST API v10 and a JSON gateway on one loopback port, which
 * the unmodified discord.js accepts when pointed at {@link DiscordSandbox.restUrl}. The control API plays the
 * humans (users talking, running commands, clicking buttons) and the faults.
 */
export class DiscordSandbox implements AsyncDisposable {
  readonly options: Readonly<SandboxOptions>;
  /** The bot's credentials; the application id equals the bot user's id, as for every modern app. */
  readonly bot: { readonly token: string; readonly applicationId: string; readonly userId: string };
  readonly events = new SandboxEvents();
  readonly faults: SandboxFaults;

  readonly #store: SandboxStore;
  readonly #serializer: ApiSerializer;
  readonly #gateway: GatewayServer;
  readonly #messages: MessageService;
  readonly #interactions: InteractionService;
  readonly #proxyBots: ProxyBotPlayer;
  readonly #rateLimits: RateLimitEngine;
  readonly #routeFaults = new RouteFaults();
  readonly #rest: RestServer;
  readonly #ownerId: string;
  readonly #requestLog: RequestLogEntry[] = [];
  /** Files uploaded with slash commands, by attachment id (served like message attachments). */
  readonly #interactionAttachments = new Map<string, InteractionAttachment>();
  readonly #stats = {
    requests: 0,
    rateLimited: 0,
    invalidRequests: 0,
    routes: {} as Record<string, number>,
    statuses: {} as Record<number, number>,
  };
  #port = 0;
  #closed = false;

  private constructor(options: SandboxOptions) {
    this.options = options;
    const now = Date.now;
    this.#store = new SandboxStore(now);
    const botUser = this.#store.createUser({ username: options.botUsername, bot: true });
    this.#ownerId = this.#store.createUser({ username: 'guild-owner' }).id;
    this.bot = {
      token: options.botToken === '' ? generateBotToken(botUser.id) : options.botToken,
      applicationId: botUser.id,
      userId: botUser.id,
    };
    this.#serializer = new ApiSerializer(this.#store, {
      applicationId: this.bot.applicationId,
      botUserId: this.bot.userId,
      baseUrl: () => `http://${this.options.host}:${this.#port}`,
    });
    this.#gateway = new GatewayServer(
      this.#gatewayWorld(),
      {
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        resumeBufferSize: options.resumeBufferSize,
        resumeWindowMs: 5 * 60_000,
      },
      now,
      () => this.gatewayUrl,
    );
    this.#messages = new MessageService({
      store: this.#store,
      serializer: this.#serializer,
      gateway: this.#gateway,
      events: this.events,
      botUserId: this.bot.userId,
      now,
      messageContentEnabled: () =>
        (this.options.enabledPrivilegedIntents & GatewayIntents.MessageContent) !== 0,
    });
    this.#interactions = new InteractionService({
      store: this.#store,
      serializer: this.#serializer,
      gateway: this.#gateway,
      messages: this.#messages,
      applicationId: this.bot.applicationId,
      botUserId: this.bot.userId,
      now,
      ackMs: options.interactionAckMs,
      tokenTtlMs: options.interactionTokenTtlMs,
    });
    this.#proxyBots = new ProxyBotPlayer({
      store: this.#store,
      serializer: this.#serializer,
      gateway: this.#gateway,
      messages: this.#messages,
    });
    this.#rateLimits = new RateLimitEngine(options.rateLimits, now);
    const router = new RestRouter();
    const context: RouteContext = {
      store: this.#store,
      serializer: this.#serializer,
      gateway: this.#gateway,
      messages: this.#messages,
      interactions: this.#interactions,
      botUserId: this.bot.userId,
      applicationId: this.bot.applicationId,
      gatewayUrl: () => this.gatewayUrl,
      enabledPrivilegedIntents: () => this.options.enabledPrivilegedIntents,
    };
    registerIdentityRoutes(router, context);
    registerGuildRoutes(router, context);
    registerChannelRoutes(router, context);
    registerWebhookRoutes(router, context);
    registerApplicationRoutes(router, context);
    this.#rest = new RestServer(
      router,
      this.#rateLimits,
      this.#routeFaults,
      {
        isBotToken: (token) => this.#isBotToken(token),
        attachment: (channelId, attachmentId) => this.#attachment(channelId, attachmentId),
        onRequest: (entry) => this.#onRequest(entry),
        onUpgrade: (request, socket, head) => this.#gateway.handleUpgrade(request, socket, head),
      },
      now,
    );
    this.faults = {
      deleteWebhook: (webhookId) => this.#deleteWebhookBehindBotsBack(webhookId),
      injectRoute: (fault) => this.#routeFaults.inject(fault),
      dropSessions: () => this.#gateway.dropSessions(),
      requestReconnect: () => this.#gateway.requestReconnect(),
      invalidateSessions: (resumable) => this.#gateway.invalidateSessions(resumable),
    };
  }

  /** Starts a sandbox on a free loopback port (or `options.port`). */
  static async start(options: Partial<SandboxOptions> = {}): Promise<DiscordSandbox> {
    const sandbox = new DiscordSandbox({ ...DefaultSandboxOptions, ...options });
    sandbox.#port = await sandbox.#rest.listen(sandbox.options.host, sandbox.options.port);
    return sandbox;
  }

  /** Base of the REST API, for discord.js `rest.api` / `DISCORD_API_URL` (discord.js appends `/v10`). */
  get restUrl(): string {
    return `http://${this.options.host}:${this.#port}/api`;
  }

  /** The gateway URL `GET /gateway/bot` hands out. */
  get gatewayUrl(): string {
    return `ws://${this.options.host}:${this.#port}/gateway`;
  }

  /** Answered REST requests, oldest first (the last 20,000). */
  get requestLog(): readonly RequestLogEntry[] {
    return this.#requestLog;
  }

  /** Gateway sessions connected right now. */
  get connectedSessions(): number {
    return this.#gateway.connectedSessionCount;
  }

  /** Creates a guild with the bot in it (through a managed role holding `botPermissions`); dispatches GUILD_CREATE. */
  createGuild(input: { name: string; botPermissions?: bigint }): {
    id: string;
    name: string;
    botRoleId: string;
  } {
    const guild = this.#store.createGuild({ name: input.name, ownerId: this.#ownerId });
    const botRole = this.#store.createRole(guild.id, {
      name: this.options.botUsername,
      permissions: input.botPermissions ?? DEFAULT_BOT_PERMISSIONS,
      managed: true,
    });
    this.#store.addMember(guild.id, this.bot.userId, [botRole.id]);
    this.#gateway.dispatch('GUILD_CREATE', null, {
      guildId: guild.id,
      intent: GatewayIntents.Guilds,
      payloadFor: (session) => this.#guildCreatePayload(guild.id, session),
    });
    return { id: guild.id, name: guild.name, botRoleId: botRole.id };
  }

  /**
   * Takes the bot out of a guild (kicked, or the guild deleted) and dispatches GUILD_DELETE `{ id }`; with
   * `outage` the bot stays and the guild is reported `unavailable: true`, as during a Discord outage.
   */
  removeBotFromGuild(guildId: string, options: { outage?: boolean } = {}): void {
    const guild = this.#store.requireGuild(guildId);
    this.#gateway.dispatch(
      'GUILD_DELETE',
      { id: guildId, ...(options.outage ? { unavailable: true } : {}) },
      { guildId, intent: GatewayIntents.Guilds },
    );
    // Removed only after the dispatch: from now on the guild's events no longer reach the bot.
    if (!options.outage) guild.members.delete(this.bot.userId);
  }

  /** Creates a role; `permissions` defaults to none beyond @everyone's. */
  createRole(
    guildId: string,
    input: { name: string; permissions?: bigint; mentionable?: boolean },
  ): { id: string } {
    const role = this.#store.createRole(guildId, {
      name: input.name,
      permissions: input.permissions ?? 0n,
      mentionable: input.mentionable ?? false,
    });
    this.#gateway.dispatch(
      'GUILD_ROLE_CREATE',
      { guild_id: guildId, role: this.#serializer.role(role) },
      { guildId, intent: GatewayIntents.Guilds },
    );
    return { id: role.id };
  }

  /** Changes a role's permissions (e.g. @everyone's, whose id is the guild id). */
  setRolePermissions(guildId: string, roleId: string, permissions: bigint): void {
    const role = this.#store.requireGuild(guildId).roles.get(roleId);
    if (!role) throw new Error(`sandbox: unknown role ${roleId}`);
    role.permissions = permissions;
    this.#gateway.dispatch(
      'GUILD_ROLE_UPDATE',
      { guild_id: guildId, role: this.#serializer.role(role) },
      { guildId, intent: GatewayIntents.Guilds },
    );
  }

  /** Creates a text or forum channel; dispatches CHANNEL_CREATE. */
  createChannel(guildId: string, input: CreateChannelOptions): { id: string; guildId: string; name: string } {
    this.#store.requireGuild(guildId);
    const overwrites: PermissionOverwrite[] = (input.permissionOverwrites ?? []).map((overwrite) => ({
      id: overwrite.id,
      type: overwrite.type === 'role' ? 0 : 1,
      allow: overwrite.allow ?? 0n,
      deny: overwrite.deny ?? 0n,
    }));
    if (input.botPermissions) {
      overwrites.push({
        id: this.bot.userId,
        type: 1,
        allow: input.botPermissions.allow ?? 0n,
        deny: input.botPermissions.deny ?? 0n,
      });
    }
    const channel = this.#store.createChannel({
      type: input.type === 'forum' ? ChannelType.GuildForum : ChannelType.GuildText,
      guildId,
      name: input.name,
      overwrites,
      nsfw: input.nsfw ?? false,
    });
    this.#gateway.dispatch('CHANNEL_CREATE', this.#serializer.channel(channel), {
      guildId,
      intent: GatewayIntents.Guilds,
    });
    return { id: channel.id, guildId, name: input.name };
  }

  /** Replaces the bot's member overwrite in a channel; dispatches CHANNEL_UPDATE. */
  setBotChannelPermissions(channelId: string, input: { allow?: bigint; deny?: bigint }): void {
    this.setChannelOverwrite(channelId, { id: this.bot.userId, type: 'member', ...input });
  }

  /** Sets (replaces) one permission overwrite of a channel; dispatches CHANNEL_UPDATE. */
  setChannelOverwrite(channelId: string, overwrite: OverwriteInput): void {
    const channel = this.#store.requireChannel(channelId);
    const type = overwrite.type === 'role' ? 0 : 1;
    channel.overwrites = [
      ...channel.overwrites.filter((existing) => !(existing.id === overwrite.id && existing.type === type)),
      { id: overwrite.id, type, allow: overwrite.allow ?? 0n, deny: overwrite.deny ?? 0n },
    ];
    this.#gateway.dispatch('CHANNEL_UPDATE', this.#serializer.channel(channel), {
      guildId: channel.guildId,
      intent: GatewayIntents.Guilds,
    });
  }

  /** Starts a public thread under a text or forum channel; dispatches THREAD_CREATE. */
  createThread(
    channelId: string,
    input: { name: string; ownerId?: string },
  ): { id: string; parentId: string; name: string } {
    const parent = this.#store.requireChannel(channelId);
    if (parent.type !== ChannelType.GuildText && parent.type !== ChannelType.GuildForum) {
      throw new Error('sandbox: threads live under text or forum channels');
    }
    const thread = this.#store.createChannel({
      type: ChannelType.PublicThread,
      guildId: parent.guildId,
      name: input.name,
      parentId: parent.id,
      ownerId: input.ownerId ?? this.#ownerId,
    });
    this.#gateway.dispatch(
      'THREAD_CREATE',
      { ...this.#serializer.channel(thread), newly_created: true },
      { guildId: thread.guildId, intent: GatewayIntents.Guilds },
    );
    return { id: thread.id, parentId: parent.id, name: input.name };
  }

  /**
   * Deletes a guild channel or thread, as a member with Manage Channels would. A thread dispatches THREAD_DELETE
   * with the subset Discord sends (`id`, `guild_id`, `parent_id`, `type`); a channel dispatches CHANNEL_DELETE
   * with the whole channel and takes its threads and webhooks with it, without an event for each (Discord sends
   * none: discord.js drops a deleted channel's threads from its cache itself).
   */
  deleteChannel(channelId: string): void {
    const channel = this.#store.requireChannel(channelId);
    const guildId = channel.guildId;
    if (guildId === null) throw new Error('sandbox: only guild channels and threads can be deleted');
    const route = { guildId, intent: GatewayIntents.Guilds };
    if (channel.type === ChannelType.PublicThread) {
      this.#gateway.dispatch(
        'THREAD_DELETE',
        { id: channel.id, guild_id: guildId, parent_id: channel.parentId, type: channel.type },
        route,
      );
      this.#store.channels.delete(channel.id);
      return;
    }
    this.#gateway.dispatch('CHANNEL_DELETE', this.#serializer.channel(channel), route);
    for (const other of [...this.#store.channels.values()]) {
      if (other.parentId === channel.id) this.#store.channels.delete(other.id);
    }
    for (const webhook of [...this.#store.webhooks.values()]) {
      if (webhook.channelId === channel.id) this.#store.webhooks.delete(webhook.id);
    }
    this.#store.channels.delete(channel.id);
  }

  /** Creates a person. */
  createUser(input: { username: string; globalName?: string }): {
    id: string;
    username: string;
    globalName: string | null;
  } {
    const user = this.#store.createUser({ username: input.username, globalName: input.globalName ?? null });
    return { id: user.id, username: user.username, globalName: user.globalName };
  }

  /** Adds a user to a guild; dispatches GUILD_MEMBER_ADD (GUILD_MEMBERS intent). */
  addMember(guildId: string, userId: string, input: AddMemberOptions = {}): void {
    const guild = this.#store.requireGuild(guildId);
    const user = this.#store.requireUser(userId);
    const roleIds = [...(input.roles ?? [])];
    if (input.permissions !== undefined) {
      roleIds.push(
        this.#store.createRole(guildId, { name: `${user.username}-role`, permissions: input.permissions }).id,
      );
    }
    const member = this.#store.addMember(guildId, userId, roleIds);
    this.#gateway.dispatch(
      'GUILD_MEMBER_ADD',
      { ...this.#serializer.member(guild, member, { withUser: true }), guild_id: guildId },
      { guildId, intent: GatewayIntents.GuildMembers },
    );
  }

  /** The DM channel between the bot and a user (opened on first use). */
  openDm(userId: string): { id: string } {
    this.#store.requireUser(userId);
    const channel =
      this.#store.findDm(userId) ??
      this.#store.createChannel({ type: ChannelType.DM, guildId: null, name: null, recipientIds: [userId] });
    return { id: channel.id };
  }

  /** A user posts a message (dispatched as MESSAGE_CREATE); throws when Discord's client would not let them. */
  userSays(userId: string, channelId: string, content: string, input: UserSaysOptions = {}): TranscriptEntry {
    const channel = this.#store.requireChannel(channelId);
    this.#store.requireUser(userId);
    this.#requireUserCanSend(channel, userId);
    if ([...content].length > 2000) throw new Error('sandbox: a message holds at most 2000 characters');
    if (content.trim() === '' && (input.attachments ?? []).length === 0)
      throw new Error('sandbox: empty message');
    let reference = null;
    if (input.replyTo !== undefined) {
      const target = this.#store.requireMessage(input.replyTo);
      if (target.channelId !== channel.id) throw new Error('sandbox: replies stay in their channel');
      reference = { messageId: target.id, channelId: channel.id, guildId: channel.guildId };
    }
    const files: UploadedFile[] = (input.attachments ?? []).map((attachment, index) => ({
      field: `files[${index}]`,
      filename: attachment.filename,
      contentType: attachment.contentType ?? null,
      data: Buffer.isBuffer(attachment.data) ? attachment.data : Buffer.from(attachment.data ?? ''),
    }));
    const message = this.#messages.create({
      channel,
      author: { kind: 'user', userId },
      payload: { content },
      files,
      reference,
      type: reference ? 19 : 0,
    });
    return this.#messages.transcriptEntry(message);
  }

  /** Edits a message as its author would; dispatches MESSAGE_UPDATE. */
  editMessage(messageId: string, content: string): TranscriptEntry {
    const message = this.#store.requireMessage(messageId);
    return this.#messages.transcriptEntry(this.#messages.edit(message, { content }));
  }

  /** Deletes a message (as its author or a moderator); dispatches MESSAGE_DELETE. */
  deleteMessage(messageId: string): void {
    this.#messages.delete(this.#store.requireMessage(messageId));
  }

  /**
   * A proxy bot (PluralKit by default) reposts a person's message through its own webhook under a member's name
   * and deletes the original, in PluralKit's order (copy first) or the reverse; resolves with the copy. The bot
   * joins the server and makes its webhook on first use. See `proxy-bot.ts`.
   */
  playProxyBot(input: PlayProxyBotOptions): Promise<TranscriptEntry> {
    return this.#proxyBots.play(input);
  }

  /**
   * A moderator purges messages of a guild channel at once (a moderation bot's bulk delete); dispatches one
   * MESSAGE_DELETE_BULK with the ids deleted. Throws, with Discord's message, what Discord would refuse: fewer
   * than 2 or more than 100 ids, duplicates, an id older than 14 days. Returns the ids deleted.
   */
  bulkDeleteMessages(channelId: string, messageIds: readonly string[]): string[] {
    const channel = this.#store.requireChannel(channelId);
    if (channel.guildId === null) throw new Error('sandbox: bulk delete is for guild channels only');
    const checked = validateBulkDelete({ messages: messageIds }, this.#store.now());
    if (checked.error) {
      const { code, message, errors } = checked.error.body;
      throw new Error(
        `sandbox: ${code} ${message}${errors === undefined ? '' : ` ${JSON.stringify(errors)}`}`,
      );
    }
    return this.#messages.bulkDelete(channel, checked.ids);
  }

  /**
   * A user runs a registered slash command; dispatches INTERACTION_CREATE. A file given for an ATTACHMENT option
   * is uploaded first and arrives as Discord sends it: its id as the option's value, the attachment (with a URL
   * the REST server serves) in `resolved.attachments`.
   */
  runSlashCommand(
    userId: string,
    channelId: string,
    name: string,
    options: Readonly<Record<string, SlashCommandValue>> = {},
    path: CommandPath = {},
  ): InteractionHandle {
    const channel = this.#commandChannel(userId, channelId);
    const command = this.#findCommand(channel, 1, name, userId);
    const values: Record<string, CommandOptionValue> = {};
    for (const [option, value] of Object.entries(options)) {
      if (typeof value !== 'object') {
        values[option] = value;
        continue;
      }
      const id = this.#store.nextId();
      this.#interactionAttachments.set(id, {
        id,
        channelId: channel.id,
        filename: value.filename,
        contentType: value.contentType ?? null,
        data: Buffer.isBuffer(value.data) ? value.data : Buffer.from(value.data ?? ''),
      });
      values[option] = id;
    }
    const built = buildInteractionOptions(command.body['options'], values, path);
    return this.#interactions.dispatch({
      type: InteractionType.ApplicationCommand,
      userId,
      channel,
      data: {
        id: command.id,
        name: command.name,
        type: 1,
        ...(command.guildId ? { guild_id: command.guildId } : {}),
        ...(built.options.length > 0 ? { options: built.options } : {}),
        ...this.#resolved(channel, built.resolve),
      },
      commandName: command.name,
      commandType: 1,
      sourceMessage: null,
    });
  }

  /** A user types into an autocomplete option; dispatches an APPLICATION_COMMAND_AUTOCOMPLETE interaction. */
  autocomplete(
    userId: string,
    channelId: string,
    name: string,
    focusedOption: string,
    options: Readonly<Record<string, CommandOptionValue>>,
    path: CommandPath = {},
  ): InteractionHandle {
    const channel = this.#commandChannel(userId, channelId);
    const command = this.#findCommand(channel, 1, name, userId);
    const built = buildInteractionOptions(command.body['options'], options, path, focusedOption);
    return this.#interactions.dispatch({
      type: InteractionType.Autocomplete,
      userId,
      channel,
      data: {
        id: command.id,
        name: command.name,
        type: 1,
        ...(command.guildId ? { guild_id: command.guildId } : {}),
        options: built.options,
      },
      commandName: command.name,
      commandType: 1,
      sourceMessage: null,
    });
  }

  /** A user clicks a button the bot put on a message; dispatches a MESSAGE_COMPONENT interaction. */
  clickButton(userId: string, messageId: string, customId: string): InteractionHandle {
    const message = this.#store.requireMessage(messageId);
    const channel = this.#commandChannel(userId, message.channelId);
    if (message.authorId !== this.bot.userId && message.applicationId !== this.bot.applicationId) {
      throw new Error('sandbox: only messages the app sent carry interactive components');
    }
    const button = findComponent(message.components, customId);
    if (button?.['type'] !== 2) throw new Error(`sandbox: no button "${customId}" on message ${messageId}`);
    if (button['disabled'] === true) throw new Error(`sandbox: button "${customId}" is disabled`);
    return this.#interactions.dispatch({
      type: InteractionType.MessageComponent,
      userId,
      channel,
      data: { custom_id: customId, component_type: 2 },
      commandName: null,
      commandType: null,
      sourceMessage: message,
    });
  }

  /** A user runs a message context-menu command on a message; dispatches INTERACTION_CREATE. */
  runMessageCommand(
    userId: string,
    channelId: string,
    commandName: string,
    targetMessageId: string,
  ): InteractionHandle {
    const channel = this.#commandChannel(userId, channelId);
    const command = this.#findCommand(channel, 3, commandName, userId);
    const target = this.#store.requireMessage(targetMessageId);
    if (target.channelId !== channel.id) throw new Error('sandbox: the target message is in another channel');
    return this.#interactions.dispatch({
      type: InteractionType.ApplicationCommand,
      userId,
      channel,
      data: {
        id: command.id,
        name: command.name,
        type: 3,
        ...(command.guildId ? { guild_id: command.guildId } : {}),
        target_id: target.id,
        resolved: { messages: { [target.id]: this.#serializer.message(target) } },
      },
      commandName: command.name,
      commandType: 3,
      sourceMessage: null,
    });
  }

  /** The channel as people see it, oldest first; `includeThreads` merges in its threads' messages. */
  transcript(channelId: string, options: { includeThreads?: boolean } = {}): TranscriptEntry[] {
    const channelIds = [channelId];
    if (options.includeThreads) {
      for (const channel of this.#store.channels.values())
        if (channel.parentId === channelId) channelIds.push(channel.id);
    }
    return channelIds
      .flatMap((id) => this.#store.channelMessages(id))
      .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1))
      .map((message) => this.#messages.transcriptEntry(message));
  }

  /**
   * Waits until the channel's transcript holds `count` messages, or satisfies `predicate`; resolves with the
   * transcript. Rechecked on every new, edited or deleted message. Rejects after `timeoutMs`.
   * @param timeoutMs - @defaultValue 5000
   */
  waitForMessages(
    channelId: string,
    countOrPredicate: number | ((messages: readonly TranscriptEntry[]) => boolean),
    timeoutMs = 5000,
  ): Promise<TranscriptEntry[]> {
    const check = (): TranscriptEntry[] | null => {
      const transcript = this.transcript(channelId);
      const done =
        typeof countOrPredicate === 'number'
          ? transcript.length >= countOrPredicate
          : countOrPredicate(transcript);
      return done ? transcript : null;
    };
    const ready = check();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const onChange = (): void => {
        const result = check();
        if (!result) return;
        cleanup();
        resolve(result);
      };
      const onDispatch = ({ type }: { type: string }): void => {
        if (type === 'MESSAGE_UPDATE' || type === 'MESSAGE_DELETE' || type === 'MESSAGE_DELETE_BULK')
          onChange();
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.events.off('messageCreated', onChange);
        this.events.off('dispatch', onDispatch);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `sandbox: channel ${channelId} did not get the expected messages within ${timeoutMs} ms ` +
              `(has ${this.transcript(channelId).length})`,
          ),
        );
      }, timeoutMs);
      timer.unref();
      this.events.on('messageCreated', onChange);
      this.events.on('dispatch', onDispatch);
    });
  }

  /** The webhooks of a channel as Discord stores them (tokens included). */
  webhooks(
    channelId: string,
  ): { id: string; name: string; token: string; channelId: string; applicationId: string | null }[] {
    return [...this.#store.webhooks.values()]
      .filter((webhook) => webhook.channelId === channelId)
      .map((webhook) => ({
        id: webhook.id,
        name: webhook.name,
        token: webhook.token,
        channelId: webhook.channelId,
        applicationId: webhook.applicationId,
      }));
  }

  /** Counters over every answered REST request. */
  stats(): SandboxStats {
    return {
      requests: this.#stats.requests,
      rateLimited: this.#stats.rateLimited,
      invalidRequests: this.#stats.invalidRequests,
      routes: { ...this.#stats.routes },
      statuses: { ...this.#stats.statuses },
    };
  }

  /** Changes rate limits from the next request on (e.g. `{ enabled: false }` for benchmarks). */
  setRateLimits(settings: Partial<RateLimitSettings>): void {
    this.#rateLimits.update(settings);
  }

  /** Closes every connection and stops listening. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#routeFaults.clear();
    await this.#gateway.close();
    await this.#rest.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #gatewayWorld(): GatewayWorld {
    return {
      isBotToken: (token) => this.#isBotToken(token.replace(/^Bot\s+/i, '')),
      enabledPrivilegedIntents: () => this.options.enabledPrivilegedIntents,
      readyPayload: (session, resumeGatewayUrl) => {
        const bot = this.#store.requireUser(this.bot.userId);
        return {
          v: 10,
          user_settings: {},
          user: { ...this.#serializer.user(bot), verified: true, mfa_enabled: false, email: null },
          guilds: this.#guildsOnShard(session).map((guildId) => ({ id: guildId, unavailable: true })),
          session_id: session.id,
          session_type: 'normal',
          resume_gateway_url: resumeGatewayUrl,
          shard: [session.shardId, session.shardCount],
          application: {
            id: this.bot.applicationId,
            flags: applicationFlags(this.options.enabledPrivilegedIntents),
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
        this.#guildsOnShard(session).map((guildId) => this.#guildCreatePayload(guildId, session)),
      membersChunk: (guildId, request) => {
        const guild = this.#store.guilds.get(guildId);
        if (!guild?.members.has(this.bot.userId)) return null;
        const query = request.query.toLowerCase();
        const matching =
          request.userIds === null
            ? [...guild.members.values()]
                .filter((member) =>
                  this.#store.requireUser(member.userId).username.toLowerCase().startsWith(query),
                )
                .slice(0, request.limit === 0 ? undefined : request.limit)
            : request.userIds.flatMap((userId) => guild.members.get(userId) ?? []);
        return {
          guild_id: guild.id,
          members: matching.map((member) => this.#serializer.member(guild, member, { withUser: true })),
          chunk_index: 0,
          chunk_count: 1,
          ...(request.userIds === null
            ? {}
            : { not_found: request.userIds.filter((userId) => !guild.members.has(userId)) }),
          ...(request.nonce === null ? {} : { nonce: request.nonce }),
        };
      },
      hasGuild: (guildId) => this.#store.guilds.get(guildId)?.members.has(this.bot.userId) ?? false,
      dispatched: (type) => this.events.emit('dispatch', { type, at: Date.now() }),
    };
  }

  #guildsOnShard(session: GatewaySessionView): string[] {
    return [...this.#store.guilds.values()]
      .filter((guild) => guild.members.has(this.bot.userId))
      .filter((guild) => Number((BigInt(guild.id) >> 22n) % BigInt(session.shardCount)) === session.shardId)
      .map((guild) => guild.id);
  }

  #guildCreatePayload(guildId: string, session: GatewaySessionView): ApiObject {
    return this.#serializer.guildCreate(this.#store.requireGuild(guildId), {
      allMembers: (session.intents & GatewayIntents.GuildPresences) !== 0,
    });
  }

  #isBotToken(token: string): boolean {
    return token === this.bot.token;
  }

  #attachment(
    channelId: string,
    attachmentId: string,
  ): { data: Buffer; contentType: string | null } | undefined {
    for (const message of this.#store.channelMessages(channelId)) {
      const attachment = message.attachments.find((candidate) => candidate.id === attachmentId);
      if (attachment) return { data: attachment.data, contentType: attachment.contentType };
    }
    const uploaded = this.#interactionAttachments.get(attachmentId);
    if (uploaded?.channelId === channelId) return { data: uploaded.data, contentType: uploaded.contentType };
    return undefined;
  }

  #onRequest(entry: RequestLogEntry): void {
    this.#requestLog.push(entry);
    if (this.#requestLog.length > REQUEST_LOG_LIMIT) this.#requestLog.shift();
    this.#stats.requests += 1;
    this.#stats.statuses[entry.status] = (this.#stats.statuses[entry.status] ?? 0) + 1;
    if (entry.route) this.#stats.routes[entry.route] = (this.#stats.routes[entry.route] ?? 0) + 1;
    if (entry.status === 429) this.#stats.rateLimited += 1;
    if (entry.status === 401 || entry.status === 403 || entry.status === 429)
      this.#stats.invalidRequests += 1;
    this.events.emit('request', entry);
  }

  #deleteWebhookBehindBotsBack(webhookId: string): void {
    const webhook = this.#store.webhooks.get(webhookId);
    if (!webhook) throw new Error(`sandbox: unknown webhook ${webhookId}`);
    this.#store.webhooks.delete(webhookId);
    this.#gateway.dispatch(
      'WEBHOOKS_UPDATE',
      { guild_id: webhook.guildId, channel_id: webhook.channelId },
      { guildId: webhook.guildId, intent: GatewayIntents.GuildWebhooks },
    );
  }

  #requireUserCanSend(channel: ChannelRecord, userId: string): void {
    if (channel.type === ChannelType.DM) {
      if (!channel.recipientIds.includes(userId)) throw new Error('sandbox: that DM is not with this user');
      return;
    }
    if (channel.type === ChannelType.GuildForum)
      throw new Error('sandbox: post in a forum thread, not the forum');
    const permissions = this.#store.channelPermissions(channel, userId);
    const send =
      channel.type === ChannelType.PublicThread
        ? PermissionFlags.SendMessagesInThreads
        : PermissionFlags.SendMessages;
    if (!hasPermissions(permissions, PermissionFlags.ViewChannel | send)) {
      throw new Error(`sandbox: user ${userId} cannot send messages in channel ${channel.id}`);
    }
  }

  #commandChannel(userId: string, channelId: string): ChannelRecord {
    const channel = this.#store.requireChannel(channelId);
    this.#store.requireUser(userId);
    if (channel.type === ChannelType.DM) {
      if (!channel.recipientIds.includes(userId)) throw new Error('sandbox: that DM is not with this user');
      return channel;
    }
    const permissions = this.#store.channelPermissions(channel, userId);
    if (!hasPermissions(permissions, PermissionFlags.ViewChannel | PermissionFlags.UseApplicationCommands)) {
      throw new Error(`sandbox: user ${userId} cannot use application commands in channel ${channel.id}`);
    }
    return channel;
  }

  #findCommand(
    channel: ChannelRecord,
    type: number,
    name: string,
    userId: string,
  ): { id: string; guildId: string | null; name: string; body: Record<string, unknown> } {
    const commands = [...this.#store.commands.values()].filter(
      (command) => command.type === type && command.name === name,
    );
    const command =
      commands.find((candidate) => candidate.guildId !== null && candidate.guildId === channel.guildId) ??
      commands.find((candidate) => candidate.guildId === null);
    if (!command) {
      throw new Error(`sandbox: no ${type === 1 ? 'slash' : 'message'} command "${name}" is registered here`);
    }
    // Discord's client hides commands outside their contexts, or needing permissions the user lacks.
    const contexts = command.body['contexts'];
    if (Array.isArray(contexts) && !contexts.includes(channel.guildId === null ? 1 : 0)) {
      throw new Error(`sandbox: command "${name}" is not available in this context`);
    }
    const required = command.body['default_member_permissions'];
    if (typeof required === 'string' && channel.guildId !== null) {
      const permissions = this.#store.channelPermissions(channel, userId);
      // "0" keeps a command for administrators only.
      const allowed =
        required === '0'
          ? hasPermissions(permissions, PermissionFlags.Administrator)
          : hasPermissions(permissions, BigInt(required));
      if (!allowed) {
        throw new Error(`sandbox: user ${userId} lacks the permissions command "${name}" requires`);
      }
    }
    return command;
  }

  #resolved(
    channel: ChannelRecord,
    ids: { users: string[]; channels: string[]; roles: string[]; attachments: string[] },
  ): ApiObject {
    const guild = channel.guildId ? this.#store.guilds.get(channel.guildId) : undefined;
    const resolved: Record<string, Record<string, unknown>> = {};
    for (const userId of ids.users) {
      const user = this.#store.users.get(userId);
      if (!user) continue;
      resolved['users'] = { ...resolved['users'], [userId]: this.#serializer.user(user) };
      const member = guild?.members.get(userId);
      if (guild && member) {
        const { user: _user, ...partial } = this.#serializer.member(guild, member, {
          withUser: false,
          permissions: this.#store.channelPermissions(channel, userId),
        });
        resolved['members'] = { ...resolved['members'], [userId]: partial };
      }
    }
    for (const channelId of ids.channels) {
      const target = this.#store.channels.get(channelId);
      if (!target) continue;
      resolved['channels'] = {
        ...resolved['channels'],
        [channelId]: {
          id: target.id,
          name: target.name,
          type: target.type,
          permissions: this.#store.channelPermissions(target, this.bot.userId).toString(),
          ...(target.parentId ? { parent_id: target.parentId } : {}),
        },
      };
    }
    for (const roleId of ids.roles) {
      const role = guild?.roles.get(roleId);
      if (role) resolved['roles'] = { ...resolved['roles'], [roleId]: this.#serializer.role(role) };
    }
    for (const attachmentId of ids.attachments) {
      const file = this.#interactionAttachments.get(attachmentId);
      if (!file) continue;
      // https://discord.com/developers/docs/resources/message#attachment-object
      const url = `http://${this.options.host}:${this.#port}/attachments/${file.channelId}/${file.id}/${encodeURIComponent(file.filename)}`;
      resolved['attachments'] = {
        ...resolved['attachments'],
        [file.id]: {
          id: file.id,
          filename: file.filename,
          size: file.data.length,
          url,
          proxy_url: url,
          ephemeral: true,
          ...(file.contentType === null ? {} : { content_type: file.contentType }),
        },
      };
    }
    return Object.keys(resolved).length > 0 ? { resolved } : {};
  }
}

/** A token shaped like Discord's: base64 user id, a timestamp part and an HMAC-like part. */
function generateBotToken(userId: string): string {
  return [
    Buffer.from(userId).toString('base64url'),
    randomBytes(4).toString('base64url'),
    randomBytes(27).toString('base64url'),
  ].join('.');
}

/** The component with `customId` anywhere in a message's component tree (rows, sections, containers). */
function findComponent(components: readonly unknown[], customId: string): Record<string, unknown> | null {
  for (const component of components) {
    if (typeof component !== 'object' || component === null) continue;
    const record = component as Record<string, unknown>;
    if (record['custom_id'] === customId) return record;
    for (const key of ['components', 'accessory']) {
      const nested = record[key];
      const children = Array.isArray(nested) ? nested : nested ? [nested] : [];
      const found = findComponent(children, customId);
      if (found) return found;
    }
  }
  return null;
}
