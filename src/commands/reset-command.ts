import type { ChatInputCommandInteraction } from 'discord.js';
import type { CommandContext } from './command-context.js';
import { CommandReplies } from './command-replies.js';
import { OptionName } from './definitions.js';
import { respond } from './interaction-response.js';
import { resolvePersonality } from './personality-lookup.js';

/**
 * `/reset [personality] [everywhere]`: forgets the caller's conversations in this channel (or thread), or
 * everywhere; with one personality or all; and their rolling summaries (in this channel: that channel's; a
 * summary across channels goes with `everywhere`). Idempotent: a second run finds nothing more to forget.
 */
export async function runResetCommand(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
): Promise<void> {
  const userId = interaction.user.id;
  const personalityOption = interaction.options.getString(OptionName.Personality);
  const everywhere = interaction.options.getBoolean(OptionName.Everywhere) === true;
  const personality =
    personalityOption === null
      ? null
      : await resolvePersonality(ctx.deps.personalities, userId, personalityOption);
  const { conversations, memory } = ctx.deps;
  const scope = {
    ...(everywhere ? {} : { channelId: interaction.channelId }),
    ...(personality === null ? {} : { personalityId: personality.id }),
  };
  // The summaries of what fell off those conversations go with them (docs/memory.md). Notes are the person's for
  // the personality in every channel: a reset everywhere clears them too, a reset of one channel keeps them.
  const memories = await memory.forget(userId, scope);
  const notes = everywhere ? await memory.forgetNotes(userId, personality?.id) : 0;
  let count: number;
  if (everywhere && personality === null) count = await conversations.resetEverywhere(userId);
  else count = await conversations.reset(userId, scope);
  ctx.log.info(
    { userId, channelId: interaction.channelId, everywhere, conversations: count, memories, notes },
    'conversations reset',
  );
  await respond(interaction, {
    content: CommandReplies.reset(count, personality?.name ?? null, everywhere, notes),
    ephemeral: true,
  });
}
