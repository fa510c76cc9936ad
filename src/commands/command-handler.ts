import { randomUUID } from 'node:crypto';
import type {
  AutocompleteInteraction,
  ButtonInteraction,
  ChatInputCommandInteraction,
  Interaction,
  MessageContextMenuCommandInteraction,
  RepliableInteraction,
} from 'discord.js';
import { AttachmentFetcher } from '../ai/index.js';
import type { Config } from '../config/index.js';
import { ChannelWindowRepository } from '../context/index.js';
import { UserFacingError } from '../errors/index.js';
import { GuildSettingsRepository } from '../guilds/index.js';
import { type Logger, newCorrelationId, runWithCorrelation } from '../log/index.js';
import { MemoryRepository } from '../memory/index.js';
import type { ReplyAdmission } from '../queue/index.js';
import type { RedisClient } from '../redis/index.js';
import { DeliveryLedger } from '../replies/delivery-ledger.js';
import {
  ActivationRepository,
  ApiKeyRepository,
  ConversationRepository,
  GreetingRepository,
  MessageIndexRepository,
  PersonalityRepository,
  UserDataEraser,
} from '../state/index.js';
import type { TaskQueue } from '../tasks/index.js';
import { UsageRepository } from '../usage/index.js';
import { runActivateCommand, runActivationsCommand, runDeactivateCommand } from './activation-commands.js';
import { runApiKeyCommand } from './apikey-commands.js';
import { answerAutocomplete } from './autocomplete.js';
import type { CommandConfig, CommandContext, CommandDependencies } from './command-context.js';
import { CommandReplies } from './command-replies.js';
import { parseCustomId } from './custom-id.js';
import { CommandName } from './definitions.js';
import { answerForgetButton, runForgetMeCommand } from './forget-me-command.js';
import { buildHelpEmbed } from './help-view.js';
import { InteractionClaims } from './interaction-claims.js';
import { isInteractionGone, respond } from './interaction-response.js';
import { runMemoryCommand } from './memory-command.js';
import { answerListPageButton, answerRemoveButton, runPersonalityCommand } from './personality-commands.js';
import { RegenerationRepository } from './regeneration-repository.js';
import { runDeleteReplyCommand, runRegenerateCommand } from './reply-actions.js';
import { runResetCommand } from './reset-command.js';
import { answerServerAutocomplete } from './server-autocomplete.js';
import { runServerCommand } from './server-commands.js';
import { runStatusCommand } from './status-command.js';
import { runUsageCommand } from './usage-command.js';

/** Options for {@link CommandHandler}. */
export interface CommandHandlerOptions {
  /** Names this gateway replica in interaction claims (for operators reading Redis). @defaultValue `<pid>-<random>` */
  replicaId: string;
}

/**
 * Slash commands, autocomplete, buttons and message context-menu commands: the gateway's interaction handler.
 *
 * Every interaction except autocomplete is first claimed in Redis, so when several gateway replicas receive it
 * only one applies and answers it. Rejections are ephemeral replies naming the field and the rule; anything
 * unexpected is logged and answered with a generic apology. An interaction another replica already answered
 * (Discord 40060) or that expired (10062) is logged at debug and dropped. Never throws.
 */
export class CommandHandler {
  readonly options: Readonly<CommandHandlerOptions>;
  private readonly log: Logger;

  constructor(
    private readonly deps: CommandDependencies,
    private readonly claims: InteractionClaims,
    options: Partial<CommandHandlerOptions> = {},
  ) {
    this.options = { replicaId: `${process.pid}-${randomUUID().slice(0, 8)}`, ...options };
    this.log = deps.logger.child({ module: 'commands' });
  }

  /** Handles one interaction of any kind (the gateway's `InteractionHandler`). */
  async handle(interaction: Interaction): Promise<void> {
    const correlation = {
      correlationId: newCorrelationId(),
      userId: interaction.user.id,
      ...(interaction.guildId === null ? {} : { guildId: interaction.guildId }),
      ...(interaction.channelId === null ? {} : { channelId: interaction.channelId }),
    };
    await runWithCorrelation(correlation, async () => {
      const ctx: CommandContext = {
        deps: this.deps,
        log: this.log,
        correlationId: correlation.correlationId,
      };
      if (interaction.isAutocomplete()) await this.autocomplete(ctx, interaction);
      else if (interaction.isRepliable()) await this.run(ctx, interaction);
    });
  }

  private async autocomplete(ctx: CommandContext, interaction: AutocompleteInteraction): Promise<void> {
    try {
      if (interaction.commandName === CommandName.Server) await answerServerAutocomplete(ctx, interaction);
      else await answerAutocomplete(ctx, interaction);
    } catch (error) {
      if (isInteractionGone(error)) {
        this.log.debug(
          { interactionId: interaction.id, discordCode: discordCodeOf(error) },
          'autocomplete answered elsewhere',
        );
        return;
      }
      this.log.warn(
        { err: error, interactionId: interaction.id, command: interaction.commandName },
        'autocomplete failed',
      );
      await interaction.respond([]).catch(() => undefined);
    }
  }

  private async run(ctx: CommandContext, interaction: RepliableInteraction): Promise<void> {
    try {
      if (!(await this.claims.claim(interaction.id, this.options.replicaId))) {
        this.log.debug({ interactionId: interaction.id }, 'interaction claimed by another replica');
        return;
      }
      if (interaction.isChatInputCommand()) await this.runSlashCommand(ctx, interaction);
      else if (interaction.isMessageContextMenuCommand()) await this.runMessageCommand(ctx, interaction);
      else if (interaction.isButton()) await this.runButton(ctx, interaction);
    } catch (error) {
      await this.fail(interaction, error);
    }
  }

  private async runSlashCommand(
    ctx: CommandContext,
    interaction: ChatInputCommandInteraction,
  ): Promise<void> {
    this.log.debug({ interactionId: interaction.id, command: interaction.commandName }, 'slash command');
    switch (interaction.commandName) {
      case CommandName.Personality:
        return runPersonalityCommand(ctx, interaction);
      case CommandName.Activate:
        return runActivateCommand(ctx, interaction);
      case CommandName.Deactivate:
        return runDeactivateCommand(ctx, interaction);
      case CommandName.Activations:
        return runActivationsCommand(ctx, interaction);
      case CommandName.Reset:
        return runResetCommand(ctx, interaction);
      case CommandName.Memory:
        return runMemoryCommand(ctx, interaction);
      case CommandName.ApiKey:
        return runApiKeyCommand(ctx, interaction);
      case CommandName.Status:
        return runStatusCommand(ctx, interaction);
      case CommandName.Usage:
        return runUsageCommand(ctx, interaction);
      case CommandName.ForgetMe:
        return runForgetMeCommand(ctx, interaction);
      case CommandName.Server:
        return runServerCommand(ctx, interaction);
      case CommandName.Help:
        return respond(interaction, { embeds: [buildHelpEmbed(this.deps.config)], ephemeral: true });
      default:
        // A command registered by an older or newer deployment.
        return respond(interaction, { content: CommandReplies.unknownCommand(), ephemeral: true });
    }
  }

  private async runMessageCommand(
    ctx: CommandContext,
    interaction: MessageContextMenuCommandInteraction,
  ): Promise<void> {
    this.log.debug({ interactionId: interaction.id, command: interaction.commandName }, 'message command');
    if (interaction.commandName === CommandName.DeleteReply) return runDeleteReplyCommand(ctx, interaction);
    if (interaction.commandName === CommandName.Regenerate) return runRegenerateCommand(ctx, interaction);
    return respond(interaction, { content: CommandReplies.unknownCommand(), ephemeral: true });
  }

  private async runButton(ctx: CommandContext, interaction: ButtonInteraction): Promise<void> {
    const target = parseCustomId(interaction.customId);
    this.log.debug({ interactionId: interaction.id, action: target?.action ?? null }, 'button');
    if (target === null)
      return respond(interaction, { content: CommandReplies.expiredButton(), ephemeral: true });
    if (target.userId !== interaction.user.id) {
      return respond(interaction, { content: CommandReplies.notYours(), ephemeral: true });
    }
    switch (target.action) {
      case 'list-page':
        return answerListPageButton(ctx, interaction, target);
      case 'remove-confirm':
      case 'remove-cancel':
        return answerRemoveButton(ctx, interaction, target);
      case 'forget-confirm':
      case 'forget-cancel':
        return answerForgetButton(ctx, interaction, target);
    }
  }

  /** Tells the user what went wrong: the error's own text when it was written for them, else an apology. */
  private async fail(interaction: RepliableInteraction, error: unknown): Promise<void> {
    if (isInteractionGone(error)) {
      this.log.debug(
        { interactionId: interaction.id, discordCode: discordCodeOf(error) },
        'interaction answered elsewhere',
      );
      return;
    }
    const userFacing = error instanceof UserFacingError;
    if (userFacing) this.log.info({ interactionId: interaction.id, code: error.code }, 'command refused');
    else this.log.error({ err: error, interactionId: interaction.id }, 'command failed');
    try {
      await respond(interaction, {
        content: userFacing ? error.message : CommandReplies.internalError(),
        ephemeral: true,
      });
    } catch (responseError) {
      if (isInteractionGone(responseError)) {
        this.log.debug(
          { interactionId: interaction.id, discordCode: discordCodeOf(responseError) },
          'interaction answered elsewhere',
        );
      } else {
        this.log.warn(
          { err: responseError, interactionId: interaction.id },
          'could not tell the user about a failure',
        );
      }
    }
  }
}

function discordCodeOf(error: unknown): unknown {
  return (error as { code?: unknown } | null)?.code;
}

/** What {@link createCommandHandler} builds the handler from: the gateway's shared clients and queues. */
export interface CommandHandlerSettings {
  readonly redis: RedisClient;
  readonly config: CommandConfig & Pick<Config, 'encryptionKey' | 'redis' | 'channelContext' | 'attachments'>;
  /** The gateway's reply admission (regenerated replies; its queue's depth for /status). */
  readonly admission: ReplyAdmission;
  /** The task queue (`createTaskQueue`). */
  readonly tasks: TaskQueue;
  readonly logger: Logger;
  /** @defaultValue Date.now */
  readonly now?: () => number;
  readonly options?: Partial<CommandHandlerOptions>;
}

/** Builds the {@link CommandHandler} with its repositories on the gateway's Redis client. */
export function createCommandHandler(settings: CommandHandlerSettings): CommandHandler {
  const { redis, config } = settings;
  const prefix = config.redis.prefix;
  return new CommandHandler(
    {
      redis,
      prefix,
      config,
      personalities: new PersonalityRepository(redis, {
        prefix,
        maxPerOwner: config.limits.maxPersonalitiesPerUser,
      }),
      activations: new ActivationRepository(redis, { prefix }),
      conversations: new ConversationRepository(redis, { prefix, ...config.conversation }),
      memory: new MemoryRepository(redis, { prefix, ttlSeconds: config.conversation.ttlSeconds }),
      apiKeys: new ApiKeyRepository(redis, { prefix, encryptionKey: config.encryptionKey }),
      messageIndex: new MessageIndexRepository(redis, { prefix }),
      eraser: new UserDataEraser(redis, { prefix }),
      deliveries: new DeliveryLedger(redis, { prefix }),
      channelWindows: new ChannelWindowRepository(redis, {
        prefix,
        maxAgeSeconds: config.channelContext.maxAgeSeconds,
      }),
      regenerations: new RegenerationRepository(redis, { prefix }),
      guildSettings: new GuildSettingsRepository(redis, { prefix, logger: settings.logger }),
      usage: new UsageRepository(redis, { prefix }),
      admission: settings.admission,
      tasks: settings.tasks,
      greetings: new GreetingRepository(redis, { prefix }),
      files: new AttachmentFetcher({ allowedHosts: config.attachments.allowedHosts }),
      logger: settings.logger,
      now: settings.now ?? Date.now,
    },
    new InteractionClaims(redis, { prefix }),
    settings.options,
  );
}
