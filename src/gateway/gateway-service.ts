import { setTimeout as sleep } from 'node:timers/promises';
import {
  type AnyThreadChannel,
  type Client,
  type DMChannel,
  Events,
  type Guild,
  type Interaction,
  type Message,
  type NonThreadGuildBasedChannel,
  type PartialMessage,
} from 'discord.js';
import { describePolicyRefusal } from '../guilds/index.js';
import type { Logger } from '../log/index.js';
import { RedisBatch } from '../redis/index.js';
import type { ChannelActivityRepository } from '../state/index.js';
import type { ChannelCleanup } from './channel-cleanup.js';
import { buildInboundMessage, findIgnoreReason, type InboundMessage } from './inbound-message.js';
import type { MessageRouter } from './message-router.js';
import type { PersonalityChain } from './personality-chain.js';
import type { ProxyMatcher } from './proxy-matcher.js';
import { ReferencedAttachments } from './referenced-attachments.js';
import type { RoutingOutcome } from './routing-outcome.js';
import type { PendingAppend, WindowRecorder } from './window-recorder.js';

/** Handles slash commands, autocomplete, buttons and context menus (the commands area implements it). */
export interface InteractionHandler {
  handle(interaction: Interaction): Promise<void>;
}

export interface GatewayServiceDependencies {
  readonly client: Client;
  readonly router: MessageRouter;
  readonly channelActivity: ChannelActivityRepository;
  /** Forgets deleted channels and guilds the bot left. */
  readonly channelCleanup: ChannelCleanup;
  /** Keeps the recent conversation of channels where a personality takes part. */
  readonly window: WindowRecorder;
  readonly interactions: InteractionHandler | null;
  /** Routes our personalities' messages naming others (personalities answering each other); null = never. */
  readonly personalityChain?: PersonalityChain | null;
  /** Matches proxy bots' copies (PluralKit, Tupperbox) to the messages they repost; null = no proxy bots. */
  readonly proxies?: ProxyMatcher | null;
  readonly logger: Logger;
  /** Called once per routed or ignored message (metrics). */
  readonly onMessageSeen?: (kind: string) => void;
  /** Called with what routing a message produced (metrics). */
  readonly onRouted?: (outcome: RoutingOutcome) => void;
}

/**
 * Turns Discord events into jobs and state changes. Every handler catches its own errors: one bad event
 * must never take the gateway down.
 */
export class GatewayService {
  private readonly log: Logger;
  /** Event handlers still running: a stopping gateway lets them finish before it closes Redis. */
  private readonly inFlight = new Set<Promise<void>>();
  /** What {@link GatewayService.listen} subscribed, so {@link GatewayService.close} can unsubscribe it. */
  private readonly subscriptions: Array<() => void> = [];
  /**
   * Channel ids of guilds being removed, taken from the cache as their GUILD_DELETE arrives: discord.js empties
   * `guild.channels` before it emits `guildDelete` (GuildDeleteAction), and emits `raw` before that.
   */
  private readonly leavingGuildChannels = new Map<string, string[]>();
  /** The files of the messages new messages reply to, from their raw packets, until their handler takes them. */
  private readonly referencedAttachments = new ReferencedAttachments();

  constructor(private readonly deps: GatewayServiceDependencies) {
    this.log = deps.logger.child({ module: 'gateway' });
  }

  /** Subscribes to the client's events; call before `client.login`. */
  listen(): void {
    const { client } = this.deps;
    const onMessageCreate = (message: Message) => this.track(this.onMessage(message));
    const onMessageDelete = (message: Message | PartialMessage) => this.track(this.onDelete(message));
    const onMessageUpdate = (_old: unknown, message: Message | PartialMessage) =>
      this.track(this.onEdit(message));
    const onRaw = (packet: { t?: unknown; d?: unknown }) => {
      if (packet.t === 'GUILD_DELETE') this.rememberLeavingGuild(packet.d);
      // Read raw: discord.js drops a bulk delete whose channel is not in its cache (a thread it never saw).
      else if (packet.t === 'MESSAGE_DELETE_BULK') this.track(this.onBulkDelete(packet.d));
      // Read raw: discord.js keeps a reply's `referenced_message` only in the message cache, which is off.
      else if (packet.t === 'MESSAGE_CREATE') this.referencedAttachments.remember(packet.d);
    };
    // discord.js raises guildDelete only for a real removal; an outage raises guildUnavailable instead.
    const onGuildDelete = (guild: Guild) => this.track(this.onGuildDelete(guild));
    const onChannelDelete = (channel: DMChannel | NonThreadGuildBasedChannel) =>
      this.track(this.onChannelDelete(channel));
    const onThreadDelete = (thread: AnyThreadChannel) => this.track(this.onThreadDelete(thread));
    const onInteractionCreate = (interaction: Interaction) => this.track(this.onInteraction(interaction));
    client.on(Events.MessageCreate, onMessageCreate);
    client.on(Events.MessageDelete, onMessageDelete);
    client.on(Events.MessageUpdate, onMessageUpdate);
    client.on(Events.Raw, onRaw);
    client.on(Events.GuildDelete, onGuildDelete);
    client.on(Events.ChannelDelete, onChannelDelete);
    client.on(Events.ThreadDelete, onThreadDelete);
    client.on(Events.InteractionCreate, onInteractionCreate);
    this.subscriptions.push(
      () => client.off(Events.MessageCreate, onMessageCreate),
      () => client.off(Events.MessageDelete, onMessageDelete),
      () => client.off(Events.MessageUpdate, onMessageUpdate),
      () => client.off(Events.Raw, onRaw),
      () => client.off(Events.GuildDelete, onGuildDelete),
      () => client.off(Events.ChannelDelete, onChannelDelete),
      () => client.off(Events.ThreadDelete, onThreadDelete),
      () => client.off(Events.InteractionCreate, onInteractionCreate),
    );
    client.on(Events.ShardReady, (shardId) => this.log.info({ shardId }, 'shard ready'));
    client.on(Events.ShardResume, (shardId, replayed) =>
      this.log.info({ shardId, replayed }, 'shard resumed'),
    );
    client.on(Events.ShardDisconnect, (event, shardId) =>
      this.log.warn({ shardId, code: event.code }, 'shard disconnected'),
    );
    client.on(Events.Error, (error) => this.log.error({ err: error }, 'discord client error'));
  }

  /**
   * Stops handling events and resolves once the handlers running now have finished, or after `timeoutMs`.
   * A stopping gateway calls it before destroying the client and closing Redis, so a message it took in is
   * admitted completely (its job in the queue, its limit notice sent) rather than cut off between the
   * admission script and `Queue.add`.
   */
  async close(timeoutMs: number): Promise<void> {
    for (const unsubscribe of this.subscriptions.splice(0)) unsubscribe();
    if (this.inFlight.size === 0) return;
    await Promise.race([Promise.allSettled([...this.inFlight]), sleep(timeoutMs, undefined, { ref: false })]);
  }

  private track(handler: Promise<void>): void {
    this.inFlight.add(handler);
    const done = () => this.inFlight.delete(handler);
    handler.then(done, done);
  }

  private async onMessage(message: Message): Promise<void> {
    const repliedToAttachments = this.referencedAttachments.take(message.id);
    const ignored = findIgnoreReason(message);
    this.deps.onMessageSeen?.(ignored ?? 'routed');
    if (ignored) {
      // A proxy bot's copy of a person's message is that person's (their line, their reply).
      const proxied = ignored === 'webhook' ? this.matchProxyCopy(message) : null;
      // Bots and webhooks take part in the channel's conversation: the window keeps their messages.
      const pending = await RedisBatch.together(async (batch) =>
        this.appendAndRecord(message, batch, false, proxied?.authorId),
      );
      if (ignored === 'webhook') await this.onWebhookMessage(message, proxied);
      await this.deps.window.afterRouting(pending, false);
      return;
    }
    try {
      const inbound = buildInboundMessage(message, repliedToAttachments);
      // The activity record and the window append share the round trip of the routing lookups.
      const { outcome, pending } = await RedisBatch.together((batch) => {
        const appending = this.appendAndRecord(message, batch, true);
        // The author's index entry, when the append makes it due, rides in their admission's script.
        const routing = this.deps.router.route(inbound, batch, appending?.userIndex ?? undefined);
        this.deps.proxies?.remember(inbound, message.content, routing);
        return routing.then(
          (routed) => ({ outcome: routed, pending: appending }),
          async (error: unknown) => {
            // The line is in the window all the same: its index entry must not wait for the next one.
            await this.deps.window.afterRouting(appending, false);
            throw error;
          },
        );
      });
      // A message that addressed a personality (or went to the activated one) opens a quiet channel's window.
      const windowed = this.deps.window.afterRouting(pending, outcome.addressed.length > 0);
      await this.handleOutcome(outcome, message, message.author.id);
      await windowed;
    } catch (error) {
      this.log.error(
        { err: error, messageId: message.id, channelId: message.channelId, userId: message.author.id },
        'routing a message failed',
      );
    }
  }

  /**
   * A webhook's message: one of our personalities' (it may name others: a chain), or a proxy bot's copy of a
   * person's message (answered for that person); any other webhook is ignored.
   */
  private async onWebhookMessage(message: Message, proxied: InboundMessage | null): Promise<void> {
    try {
      if (this.isPersonalityPost(message) && this.deps.personalityChain) {
        const outcome = await this.deps.personalityChain.route(buildInboundMessage(message), (userId) =>
          this.fetchMemberRoleIds(message.guildId, userId),
        );
        if (outcome !== null) this.deps.onRouted?.(outcome);
      } else if (proxied !== null) {
        await this.onProxyCopy(message, proxied);
      }
    } catch (error) {
      this.log.error(
        { err: error, messageId: message.id, channelId: message.channelId, webhookId: message.webhookId },
        'routing a webhook message failed',
      );
    }
  }

  /**
   * A proxy bot reposted a person's message under a member's name: the copy is answered, for the person who
   * wrote the original, and the original's replies are cancelled (the bot deletes it too, before or after).
   */
  private async onProxyCopy(message: Message, original: InboundMessage): Promise<void> {
    const copy = buildInboundMessage(message);
    const inbound: InboundMessage = {
      ...copy,
      authorId: original.authorId,
      // The member's name, as the proxy bot's webhook shows it.
      authorName: message.author.username,
      replyToMessageId: original.replyToMessageId,
      ...(original.repliedToAttachments === undefined
        ? {}
        : { repliedToAttachments: original.repliedToAttachments }),
      memberRoleIds: original.memberRoleIds,
      proxiedFromMessageId: original.id,
    };
    this.log.debug(
      { messageId: message.id, channelId: message.channelId, userId: original.authorId },
      'proxy bot copy matched its original',
    );
    await this.deps.router.cancel(original.channelId, original.id);
    const outcome = await this.deps.router.route(inbound);
    await this.handleOutcome(outcome, message, original.authorId);
  }

  /** The person's message a proxy bot's webhook message reposts, or null (not a proxy bot's, or no match). */
  private matchProxyCopy(message: Message): InboundMessage | null {
    const { proxies } = this.deps;
    const { applicationId } = message;
    if (!proxies?.isProxyBot(applicationId) || applicationId === this.deps.client.application?.id)
      return null;
    return proxies.match({ channelId: message.channelId, content: message.content });
  }

  /** Reports what routing produced and tells `userId` about refusals: limit notices in reply to `message`. */
  private async handleOutcome(outcome: RoutingOutcome, message: Message, userId: string): Promise<void> {
    this.deps.onRouted?.(outcome);
    for (const notice of outcome.notices) {
      await message.reply({ content: notice, allowedMentions: { parse: [], repliedUser: false } });
    }
    if (outcome.policyNotice !== null) {
      await this.sendDm(
        userId,
        describePolicyRefusal(
          outcome.policyNotice.personalityName,
          outcome.policyNotice.reason,
          message.guild?.name ?? null,
        ),
      );
    }
  }

  /** The roles of a server member (its rules may require one): from the cache, else fetched; none when gone. */
  private async fetchMemberRoleIds(guildId: string | null, userId: string): Promise<readonly string[]> {
    const guild = guildId === null ? undefined : this.deps.client.guilds.cache.get(guildId);
    if (!guild) return [];
    try {
      const member = guild.members.cache.get(userId) ?? (await guild.members.fetch(userId));
      return [...member.roles.cache.keys()];
    } catch (error) {
      this.log.debug({ err: error, guildId: guild.id, userId }, 'fetching a member’s roles failed');
      return [];
    }
  }

  /** Tells a user privately; a user who closed their DMs is simply not told. */
  private async sendDm(userId: string, content: string): Promise<void> {
    try {
      await this.deps.client.users.send(userId, { content, allowedMentions: { parse: [] } });
    } catch (error) {
      this.log.debug({ err: error, userId }, 'sending a DM failed');
    }
  }

  /**
   * Appends the message to the channel window (if live) and records it as the channel's newest in one script
   * (same slot); a message the window does not keep (a DM, the bot's notice) is recorded on its own, except a
   * personality's post: the worker that posted it records it, with its lines.
   */
  private appendAndRecord(
    message: Message,
    batch: RedisBatch,
    human: boolean,
    proxiedFor?: string,
  ): PendingAppend | null {
    const latest = this.deps.channelActivity.describeLatest(message.channelId, message.id, { human });
    const pending = this.deps.window.append(message, batch, { proxiedFor, latest });
    if (pending === null && !this.isPersonalityPost(message)) this.recordActivity(message, batch, human);
    return pending;
  }

  /**
   * Posted by one of our personalities' webhooks. A command's response comes through the application's own
   * webhook (its id is the application's): only a personality's webhook posts what a personality says.
   */
  private isPersonalityPost(message: Message): boolean {
    const { applicationId, webhookId } = message;
    return (
      webhookId !== null &&
      applicationId !== null &&
      applicationId === this.deps.client.application?.id &&
      webhookId !== applicationId
    );
  }

  /**
   * Every message counts as channel activity, other bots' and the bot's own included (our personalities' posts
   * are recorded by the worker); a person's (`human`) is also the channel's newest human message, which stops
   * personality-chain links not started yet. A failure is logged, not fatal.
   */
  private recordActivity(message: Message, batch?: RedisBatch, human = false): void {
    this.deps.channelActivity
      .recordLatest(message.channelId, message.id, batch, { human })
      .catch((error: unknown) => {
        this.log.warn({ err: error, channelId: message.channelId }, 'recording channel activity failed');
      });
  }

  private async onDelete(message: Message | PartialMessage): Promise<void> {
    // A proxy bot deleting the original it reposted: its copy may still be on its way.
    this.deps.proxies?.markDeleted(message.id);
    // Whoever posted it (our personalities' replies too), a deleted message leaves the window.
    const removed = this.deps.window.removeMessages(message.guildId, message.channelId, [message.id]);
    if (message.webhookId) {
      await removed;
      return;
    }
    try {
      await this.deps.router.cancel(message.channelId, message.id);
    } catch (error) {
      this.log.error({ err: error, messageId: message.id }, 'recording a deletion failed');
    }
    await removed;
  }

  /** MESSAGE_DELETE_BULK (a moderator's purge): the messages leave the window. */
  private async onBulkDelete(data: unknown): Promise<void> {
    const { ids, channel_id, guild_id } = (data ?? {}) as {
      ids?: unknown;
      channel_id?: unknown;
      guild_id?: unknown;
    };
    if (!Array.isArray(ids) || typeof channel_id !== 'string') return;
    const messageIds = ids.filter((id): id is string => typeof id === 'string');
    await this.deps.window.removeMessages(
      typeof guild_id === 'string' ? guild_id : null,
      channel_id,
      messageIds,
    );
  }

  private async onEdit(message: Message | PartialMessage): Promise<void> {
    // Bots' and webhooks' edits change the window too; only people's reach routing.
    const windowed = this.deps.window.recordEdit(message);
    // A partial edit without content (an embed unfurl, say) changes nothing the AI would see.
    if (message.partial || findIgnoreReason(message) !== null) {
      await windowed;
      return;
    }
    try {
      await this.deps.router.recordEdit(buildInboundMessage(message));
    } catch (error) {
      this.log.error({ err: error, messageId: message.id }, 'recording an edit failed');
    }
    await windowed;
  }

  /** Keeps the channels and active threads of a guild the bot is leaving (not one going unavailable). */
  private rememberLeavingGuild(data: unknown): void {
    const { id, unavailable } = (data ?? {}) as { id?: unknown; unavailable?: unknown };
    if (typeof id !== 'string' || unavailable === true) return;
    const guild = this.deps.client.guilds.cache.get(id);
    if (guild) this.leavingGuildChannels.set(id, [...guild.channels.cache.keys()]);
  }

  private async onGuildDelete(guild: Guild): Promise<void> {
    const channelIds = this.leavingGuildChannels.get(guild.id) ?? [];
    this.leavingGuildChannels.delete(guild.id);
    try {
      await this.deps.channelCleanup.forgetGuild(guild.id, channelIds);
    } catch (error) {
      this.log.error({ err: error, guildId: guild.id }, 'forgetting a guild’s channels failed');
    }
  }

  private async onChannelDelete(channel: DMChannel | NonThreadGuildBasedChannel): Promise<void> {
    if (channel.isDMBased()) return;
    // Discord sends no THREAD_DELETE for the threads of a deleted channel: they go with it.
    const threadIds = 'threads' in channel ? [...channel.threads.cache.keys()] : [];
    await this.forgetChannel(channel.id, [channel.id, ...threadIds]);
  }

  private async onThreadDelete(thread: AnyThreadChannel): Promise<void> {
    await this.forgetChannel(thread.id, [thread.id]);
  }

  private async forgetChannel(sourceId: string, channelIds: readonly string[]): Promise<void> {
    try {
      await this.deps.channelCleanup.forgetChannel(sourceId, channelIds);
    } catch (error) {
      this.log.error({ err: error, channelId: sourceId }, 'forgetting a deleted channel failed');
    }
  }

  private async onInteraction(interaction: Interaction): Promise<void> {
    if (!this.deps.interactions) return;
    try {
      await this.deps.interactions.handle(interaction);
    } catch (error) {
      this.log.error({ err: error, interactionId: interaction.id }, 'handling an interaction failed');
    }
  }
}
