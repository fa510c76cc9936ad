import { type ChatInputCommandInteraction, PermissionFlagsBits } from 'discord.js';
import { buildGreetingText } from '../cards/index.js';
import { DiscordLimits } from '../discord/index.js';
import { ChorusErrorCode, UserFacingError } from '../errors/index.js';
import type { Personality } from '../state/index.js';
import { enqueueTask } from '../tasks/index.js';
import type { CommandContext } from './command-context.js';
import { CommandReplies } from './command-replies.js';
import { OptionName } from './definitions.js';
import { respond } from './interaction-response.js';
import { memberHasRole } from './member-roles.js';
import { resolvePersonality } from './personality-lookup.js';
import { ServerReplies } from './server-replies.js';

/** Where a guild command runs: the channel, its guild, and the parent a thread inherits from. */
interface CommandChannel {
  readonly guildId: string;
  readonly channelId: string;
  /** The parent channel when the command runs in a thread; null otherwise. */
  readonly parentId: string | null;
}

function requireGuildChannel(interaction: ChatInputCommandInteraction): CommandChannel {
  if (!interaction.inGuild())
    throw new UserFacingError(ChorusErrorCode.InvalidInput, CommandReplies.guildOnly());
  const channel = interaction.channel;
  const parentId = channel?.isThread() ? channel.parentId : null;
  return { guildId: interaction.guildId, channelId: interaction.channelId, parentId };
}

/**
 * Changing a channel's activation needs Manage Channels there, or the server's activator role (`/server roles
 * activate`). Read from the permissions and roles Discord resolved for the member, never from anything the
 * user typed; the settings are read only when the permission is missing.
 */
async function requireActivator(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
  guildId: string,
): Promise<void> {
  if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageChannels) === true) return;
  const { activatorRoleId } = await ctx.deps.guildSettings.fetch(guildId);
  if (activatorRoleId !== null && memberHasRole(interaction.member, activatorRoleId)) return;
  throw new UserFacingError(
    ChorusErrorCode.Forbidden,
    activatorRoleId === null
      ? CommandReplies.needsManageChannels()
      : ServerReplies.needsActivatorRole(activatorRoleId),
    { userId: interaction.user.id, channelId: interaction.channelId },
  );
}

/** `/activate personality`: it answers every message in this channel (and threads without their own). */
export async function runActivateCommand(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
): Promise<void> {
  const where = requireGuildChannel(interaction);
  await requireActivator(ctx, interaction, where.guildId);
  const personality = await resolvePersonality(
    ctx.deps.personalities,
    interaction.user.id,
    interaction.options.getString(OptionName.Personality, true),
  );
  // Replaces any earlier activation: running it twice leaves the same single activation.
  await ctx.deps.activations.activate({
    guildId: where.guildId,
    channelId: where.channelId,
    personalityId: personality.id,
    activatedBy: interaction.user.id,
  });
  ctx.log.info(
    { guildId: where.guildId, channelId: where.channelId, personalityId: personality.id },
    'personality activated',
  );
  // Said in the channel: everyone there is affected.
  await respond(interaction, {
    content: CommandReplies.activated(personality.name, where.channelId),
    ephemeral: false,
  });
  await greetChannel(ctx, interaction, where, personality);
}

/**
 * The first activation of a personality with a greeting in a channel has the worker post it there, after the
 * activation notice; the marker (atomic) makes it once per channel and personality.
 */
async function greetChannel(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
  where: CommandChannel,
  personality: Personality,
): Promise<void> {
  if (personality.greeting === null) return;
  if (!(await ctx.deps.greetings.markChannelGreeted(where.channelId, personality.id))) return;
  await enqueueTask(ctx.deps.tasks, {
    kind: 'post-greeting',
    version: 1,
    correlationId: ctx.correlationId,
    sourceId: interaction.id,
    guildId: where.guildId,
    channelId: where.channelId,
    parentChannelId: where.parentId,
    personalityId: personality.id,
    username: personality.name,
    avatarUrl: personality.avatarUrl,
    // {{user}} is who activated it: the person the greeting answers.
    content: buildGreetingText(
      personality.greeting,
      { char: personality.name, user: interaction.user.displayName },
      DiscordLimits.messageContent,
    ),
  });
}

/** `/deactivate`: removes this channel's own activation. */
export async function runDeactivateCommand(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
): Promise<void> {
  const where = requireGuildChannel(interaction);
  await requireActivator(ctx, interaction, where.guildId);
  const { activations, personalities } = ctx.deps;
  const found = await activations.fetchForChannels(
    where.parentId === null ? [where.channelId] : [where.channelId, where.parentId],
  );
  const ownId = found.get(where.channelId);
  if (ownId === undefined) {
    const inheritedId = where.parentId === null ? undefined : found.get(where.parentId);
    const inherited = inheritedId === undefined ? null : await personalities.fetchById(inheritedId);
    await respond(interaction, {
      content:
        inherited && where.parentId !== null
          ? CommandReplies.inheritedCannotDeactivate(inherited.name, where.parentId)
          : CommandReplies.nothingToDeactivate(),
      ephemeral: true,
    });
    return;
  }
  const [removed, personality] = await Promise.all([
    activations.deactivate(where.channelId),
    personalities.fetchById(ownId),
  ]);
  if (!removed) {
    // A double submission (or another moderator) got there first: the outcome the user asked for holds.
    await respond(interaction, { content: CommandReplies.nothingToDeactivate(), ephemeral: true });
    return;
  }
  ctx.log.info(
    { guildId: where.guildId, channelId: where.channelId, personalityId: ownId },
    'personality deactivated',
  );
  await respond(interaction, {
    content: personality ? CommandReplies.deactivated(personality.name) : CommandReplies.deactivatedUnknown(),
    ephemeral: false,
  });
}

/** `/activations`: which personality answers here, and whether a thread inherits it from its parent. */
export async function runActivationsCommand(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
): Promise<void> {
  const where = requireGuildChannel(interaction);
  const { activations, personalities } = ctx.deps;
  const guildActivations = await activations.listForGuild(where.guildId);
  const own = guildActivations.find((activation) => activation.channelId === where.channelId);
  const inherited =
    own === undefined && where.parentId !== null
      ? guildActivations.find((activation) => activation.channelId === where.parentId)
      : undefined;
  const activation = own ?? inherited;
  if (activation === undefined) {
    await respond(interaction, { content: CommandReplies.noActivation(), ephemeral: true });
    return;
  }
  const personality = await personalities.fetchById(activation.personalityId);
  const name = personality?.name;
  let content: string;
  if (name === undefined) content = CommandReplies.activationMissing();
  else if (own) content = CommandReplies.activationHere(name, own.activatedBy, own.activatedAt);
  else content = CommandReplies.activationInherited(name, activation.channelId);
  await respond(interaction, { content, ephemeral: true });
}
