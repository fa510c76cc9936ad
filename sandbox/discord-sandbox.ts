import type { CommandOptionValue, CommandPath } from './build-interaction-options.js';
import type {
  AddMemberOptions,
  CreateChannelOptions,
  OverwriteInput,
  SandboxFaults,
  SandboxStats,
  SlashCommandValue,
  UserSaysOptions,
} from './control-api-types.js';
import type { InteractionHandle } from './interaction-handle.js';
import type { PlayProxyBotOptions } from './proxy-bot.js';
import type { RateLimitSettings } from './rate-limits.js';
import { RequestRecorder } from './request-recorder.js';
import type { RequestLogEntry } from './rest-server.js';
import { SandboxEvents, type TranscriptEntry } from './sandbox-events.js';
import { DefaultSandboxOptions, type SandboxOptions } from './sandbox-options.js';
import { createSandboxServices, type SandboxBot, type SandboxServices } from './sandbox-services.js';

/**
 * A local Discord for tests, demos and benchmarks: REST API v10 and a JSON gateway on one loopback port, which
 * the unmodified discord.js accepts when pointed at {@link DiscordSandbox.restUrl}. The control API plays the
 * humans (users talking, running commands, clicking buttons) and the faults.
 */
export class DiscordSandbox implements AsyncDisposable {
  readonly options: Readonly<SandboxOptions>;
  /** The bot's credentials; the application id equals the bot user's id, as for every modern app. */
  readonly bot: SandboxBot;
  readonly events = new SandboxEvents();
  readonly faults: SandboxFaults;

  readonly #services: SandboxServices;
  readonly #requests = new RequestRecorder();
  #port = 0;
  #closed = false;

  private constructor(options: SandboxOptions) {
    this.options = options;
    this.#services = createSandboxServices({
      options,
      events: this.events,
      baseUrl: () => `http://${this.options.host}:${this.#port}`,
      gatewayUrl: () => this.gatewayUrl,
      onRequest: (entry) => {
        this.#requests.record(entry);
        this.events.emit('request', entry);
      },
    });
    this.bot = this.#services.bot;
    const { gateway, guilds, routeFaults } = this.#services;
    this.faults = {
      deleteWebhook: (webhookId) => guilds.deleteWebhookBehindBotsBack(webhookId),
      injectRoute: (fault) => routeFaults.inject(fault),
      dropSessions: () => gateway.dropSessions(),
      requestReconnect: () => gateway.requestReconnect(),
      invalidateSessions: (resumable) => gateway.invalidateSessions(resumable),
    };
  }

  /** Starts a sandbox on a free loopback port (or `options.port`). */
  static async start(options: Partial<SandboxOptions> = {}): Promise<DiscordSandbox> {
    const sandbox = new DiscordSandbox({ ...DefaultSandboxOptions, ...options });
    sandbox.#port = await sandbox.#services.rest.listen(sandbox.options.host, sandbox.options.port);
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
    return this.#requests.log;
  }

  /** Gateway sessions connected right now. */
  get connectedSessions(): number {
    return this.#services.gateway.connectedSessionCount;
  }

  /** Creates a guild with the bot in it (through a managed role holding `botPermissions`); dispatches GUILD_CREATE. */
  createGuild(input: { name: string; botPermissions?: bigint }): {
    id: string;
    name: string;
    botRoleId: string;
  } {
    return this.#services.guilds.createGuild(input);
  }

  /**
   * Takes the bot out of a guild (kicked, or the guild deleted) and dispatches GUILD_DELETE `{ id }`; with
   * `outage` the bot stays and the guild is reported `unavailable: true`, as during a Discord outage.
   */
  removeBotFromGuild(guildId: string, options: { outage?: boolean } = {}): void {
    this.#services.guilds.removeBotFromGuild(guildId, options);
  }

  /** Creates a role; `permissions` defaults to none beyond @everyone's. */
  createRole(
    guildId: string,
    input: { name: string; permissions?: bigint; mentionable?: boolean },
  ): { id: string } {
    return this.#services.guilds.createRole(guildId, input);
  }

  /** Changes a role's permissions (e.g. @everyone's, whose id is the guild id). */
  setRolePermissions(guildId: string, roleId: string, permissions: bigint): void {
    this.#services.guilds.setRolePermissions(guildId, roleId, permissions);
  }

  /** Creates a text or forum channel; dispatches CHANNEL_CREATE. */
  createChannel(guildId: string, input: CreateChannelOptions): { id: string; guildId: string; name: string } {
    return this.#services.guilds.createChannel(guildId, input);
  }

  /** Replaces the bot's member overwrite in a channel; dispatches CHANNEL_UPDATE. */
  setBotChannelPermissions(channelId: string, input: { allow?: bigint; deny?: bigint }): void {
    this.#services.guilds.setBotChannelPermissions(channelId, input);
  }

  /** Sets (replaces) one permission overwrite of a channel; dispatches CHANNEL_UPDATE. */
  setChannelOverwrite(channelId: string, overwrite: OverwriteInput): void {
    this.#services.guilds.setChannelOverwrite(channelId, overwrite);
  }

  /** Starts a public thread under a text or forum channel; dispatches THREAD_CREATE. */
  createThread(
    channelId: string,
    input: { name: string; ownerId?: string },
  ): { id: string; parentId: string; name: string } {
    return this.#services.guilds.createThread(channelId, input);
  }

  /**
   * Deletes a guild channel or thread, as a member with Manage Channels would. A thread dispatches THREAD_DELETE
   * with the subset Discord sends (`id`, `guild_id`, `parent_id`, `type`); a channel dispatches CHANNEL_DELETE
   * with the whole channel and takes its threads and webhooks with it, without an event for each (Discord sends
   * none: discord.js drops a deleted channel's threads from its cache itself).
   */
  deleteChannel(channelId: string): void {
    this.#services.guilds.deleteChannel(channelId);
  }

  /** Creates a person. */
  createUser(input: { username: string; globalName?: string }): {
    id: string;
    username: string;
    globalName: string | null;
  } {
    return this.#services.guilds.createUser(input);
  }

  /** Adds a user to a guild; dispatches GUILD_MEMBER_ADD (GUILD_MEMBERS intent). */
  addMember(guildId: string, userId: string, input: AddMemberOptions = {}): void {
    this.#services.guilds.addMember(guildId, userId, input);
  }

  /** The DM channel between the bot and a user (opened on first use). */
  openDm(userId: string): { id: string } {
    return this.#services.guilds.openDm(userId);
  }

  /** A user posts a message (dispatched as MESSAGE_CREATE); throws when Discord's client would not let them. */
  userSays(userId: string, channelId: string, content: string, input: UserSaysOptions = {}): TranscriptEntry {
    return this.#services.userMessages.userSays(userId, channelId, content, input);
  }

  /** Edits a message as its author would; dispatches MESSAGE_UPDATE. */
  editMessage(messageId: string, content: string): TranscriptEntry {
    return this.#services.userMessages.editMessage(messageId, content);
  }

  /** Deletes a message (as its author or a moderator); dispatches MESSAGE_DELETE. */
  deleteMessage(messageId: string): void {
    this.#services.userMessages.deleteMessage(messageId);
  }

  /**
   * A proxy bot (PluralKit by default) reposts a person's message through its own webhook under a member's name
   * and deletes the original, in PluralKit's order (copy first) or the reverse; resolves with the copy. The bot
   * joins the server and makes its webhook on first use. See `proxy-bot.ts`.
   */
  playProxyBot(input: PlayProxyBotOptions): Promise<TranscriptEntry> {
    return this.#services.proxyBots.play(input);
  }

  /**
   * A moderator purges messages of a guild channel at once (a moderation bot's bulk delete); dispatches one
   * MESSAGE_DELETE_BULK with the ids deleted. Throws, with Discord's message, what Discord would refuse: fewer
   * than 2 or more than 100 ids, duplicates, an id older than 14 days. Returns the ids deleted.
   */
  bulkDeleteMessages(channelId: string, messageIds: readonly string[]): string[] {
    return this.#services.userMessages.bulkDeleteMessages(channelId, messageIds);
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
    return this.#services.commands.runSlashCommand(userId, channelId, name, options, path);
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
    return this.#services.commands.autocomplete(userId, channelId, name, focusedOption, options, path);
  }

  /** A user clicks a button the bot put on a message; dispatches a MESSAGE_COMPONENT interaction. */
  clickButton(userId: string, messageId: string, customId: string): InteractionHandle {
    return this.#services.commands.clickButton(userId, messageId, customId);
  }

  /** A user runs a message context-menu command on a message; dispatches INTERACTION_CREATE. */
  runMessageCommand(
    userId: string,
    channelId: string,
    commandName: string,
    targetMessageId: string,
  ): InteractionHandle {
    return this.#services.commands.runMessageCommand(userId, channelId, commandName, targetMessageId);
  }

  /** The channel as people see it, oldest first; `includeThreads` merges in its threads' messages. */
  transcript(channelId: string, options: { includeThreads?: boolean } = {}): TranscriptEntry[] {
    return this.#services.transcripts.transcript(channelId, options);
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
    return this.#services.transcripts.waitForMessages(channelId, countOrPredicate, timeoutMs);
  }

  /** The webhooks of a channel as Discord stores them (tokens included). */
  webhooks(
    channelId: string,
  ): { id: string; name: string; token: string; channelId: string; applicationId: string | null }[] {
    return [...this.#services.store.webhooks.values()]
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
    return this.#requests.stats();
  }

  /** Changes rate limits from the next request on (e.g. `{ enabled: false }` for benchmarks). */
  setRateLimits(settings: Partial<RateLimitSettings>): void {
    this.#services.rateLimits.update(settings);
  }

  /** Closes every connection and stops listening. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#services.routeFaults.clear();
    await this.#services.gateway.close();
    await this.#services.rest.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
