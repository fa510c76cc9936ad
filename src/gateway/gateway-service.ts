import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, Events, type Interaction, type Message, type PartialMessage } from 'discord.js';
import type { Logger } from '../log/index.js';
import { RedisBatch } from '../redis/index.js';
import type { ActivationRepository, ChannelActivityRepository } from '../state/index.js';
import { buildInboundMessage, findIgnoreReason } from './inbound-message.js';
import type { MessageRouter, RoutingOutcome } from './message-router.js';

/** Handles slash commands, autocomplete, buttons and context menus (the commands area implements it). */
export interface InteractionHandler {
  handle(interaction: Interaction): Promise<void>;
}

export interface GatewayServiceDependencies {
  readonly client: Client;
  readonly router: MessageRouter;
  readonly activations: ActivationRepository;
  readonly channelActivity: ChannelActivityRepository;
  readonly interactions: InteractionHandler | null;
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
    const onGuildDelete = (guild: { id: string }) => this.track(this.onGuildDelete(guild.id));
    const onInteractionCreate = (interaction: Interaction) => this.track(this.onInteraction(interaction));
    client.on(Events.MessageCreate, onMessageCreate);
    client.on(Events.MessageDelete, onMessageDelete);
    client.on(Events.MessageUpdate, onMessageUpdate);
    client.on(Events.GuildDelete, onGuildDelete);
    client.on(Events.InteractionCreate, onInteractionCreate);
    this.subscriptions.push(
      () => client.off(Events.MessageCreate, onMessageCreate),
      () => client.off(Events.MessageDelete, onMessageDelete),
      () => client.off(Events.MessageUpdate, onMessageUpdate),
      () => client.off(Events.GuildDelete, onGuildDelete),
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
    const ignored = findIgnoreReason(message);
    this.deps.onMessageSeen?.(ignored ?? 'routed');
    if (ignored) {
      this.recordActivity(message);
      return;
    }
    try {
      // The activity record shares the round trip of the routing lookups.
      const outcome = await RedisBatch.together((batch) => {
        this.recordActivity(message, batch);
        return this.deps.router.route(buildInboundMessage(message), batch);
      });
      this.deps.onRouted?.(outcome);
      for (const notice of outcome.notices) {
        await message.reply({ content: notice, allowedMentions: { parse: [], repliedUser: false } });
      }
    } catch (error) {
      this.log.error(
        { err: error, messageId: message.id, channelId: message.channelId, userId: message.author.id },
        'routing a message failed',
      );
    }
  }

  /** Every message counts as channel activity, ours and other bots' included. A failure is logged, not fatal. */
  private recordActivity(message: Message, batch?: RedisBatch): void {
    this.deps.channelActivity.recordLatest(message.channelId, message.id, batch).catch((error: unknown) => {
      this.log.warn({ err: error, channelId: message.channelId }, 'recording channel activity failed');
    });
  }

  private async onDelete(message: Message | PartialMessage): Promise<void> {
    if (message.webhookId) return;
    try {
      await this.deps.router.cancel(message.id);
    } catch (error) {
      this.log.error({ err: error, messageId: message.id }, 'recording a deletion failed');
    }
  }

  private async onEdit(message: Message | PartialMessage): Promise<void> {
    // A partial edit without content (an embed unfurl, say) changes nothing the AI would see.
    if (message.partial || findIgnoreReason(message) !== null) return;
    try {
      await this.deps.router.recordEdit(buildInboundMessage(message));
    } catch (error) {
      this.log.error({ err: error, messageId: message.id }, 'recording an edit failed');
    }
  }

  private async onGuildDelete(guildId: string): Promise<void> {
    try {
      const removed = await this.deps.activations.removeGuild(guildId);
      this.log.info({ guildId, removed }, 'left guild; activations removed');
    } catch (error) {
      this.log.error({ err: error, guildId }, 'removing a guild’s activations failed');
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
