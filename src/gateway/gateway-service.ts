import { type Client, Events, type Interaction, type Message, type PartialMessage } from 'discord.js';
import type { Logger } from '../log/index.js';
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

  constructor(private readonly deps: GatewayServiceDependencies) {
    this.log = deps.logger.child({ module: 'gateway' });
  }

  /** Subscribes to the client's events; call before `client.login`. */
  listen(): void {
    const { client } = this.deps;
    client.on(Events.MessageCreate, (message) => void this.onMessage(message));
    client.on(Events.MessageDelete, (message) => void this.onDelete(message));
    client.on(Events.MessageUpdate, (_old, message) => void this.onEdit(message));
    client.on(Events.GuildDelete, (guild) => void this.onGuildDelete(guild.id));
    client.on(Events.InteractionCreate, (interaction) => void this.onInteraction(interaction));
    client.on(Events.ShardReady, (shardId) => this.log.info({ shardId }, 'shard ready'));
    client.on(Events.ShardResume, (shardId, replayed) =>
      this.log.info({ shardId, replayed }, 'shard resumed'),
    );
    client.on(Events.ShardDisconnect, (event, shardId) =>
      this.log.warn({ shardId, code: event.code }, 'shard disconnected'),
    );
    client.on(Events.Error, (error) => this.log.error({ err: error }, 'discord client error'));
  }

  private async onMessage(message: Message): Promise<void> {
    // Every message counts as channel activity, ours and other bots' included.
    this.deps.channelActivity.recordLatest(message.channelId, message.id).catch((error: unknown) => {
      this.log.warn({ err: error, channelId: message.channelId }, 'recording channel activity failed');
    });
    const ignored = findIgnoreReason(message);
    this.deps.onMessageSeen?.(ignored ?? 'routed');
    if (ignored) return;
    try {
      const outcome = await this.deps.router.route(buildInboundMessage(message));
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
