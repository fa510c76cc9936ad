import type { ButtonInteraction, ChatInputCommandInteraction } from 'discord.js';
import type { CommandContext } from './command-context.js';
import { CommandReplies } from './command-replies.js';
import { buildConfirmButtons } from './confirm-buttons.js';
import type { ButtonTarget } from './custom-id.js';
import { respond, updateButtonMessage } from './interaction-response.js';
import { removeRetainedJobsOf } from './retained-job-eraser.js';

/**
 * Erases what is stored about `userId`: the state and queue records (personalities only with
 * `includePersonalities`), the worker's delivery records, their lines in every channel window (their messages
 * and the replies to them), and the finished jobs BullMQ retains.
 */
async function eraseUser(ctx: CommandContext, userId: string, includePersonalities: boolean) {
  const erased = await ctx.deps.eraser.forgetUser(userId, { includePersonalities });
  const deliveryRecords = await ctx.deps.deliveries.forgetUser(userId);
  const windowLines = await ctx.deps.channelWindows.forgetUser(userId);
  // Summaries, pending turns and notes (docs/memory.md).
  const memories = await ctx.deps.memory.forget(userId, {});
  const notes = await ctx.deps.memory.forgetNotes(userId);
  const retainedJobs = await removeRetainedJobsOf(
    ctx.deps.redis,
    [...ctx.deps.admission.queue.shards, ctx.deps.tasks],
    userId,
  );
  return { erased: { ...erased, windowLines }, deliveryRecords, retainedJobs, memories, notes };
}

/**
 * `/forget-me`: deletes the caller's conversations, API keys, DM choice, edits, queue state, the index
 * entries of replies to them, their lines in channel windows and the finished jobs kept with their text at once, takes their id off the
 * activations they made, and says what went. Their personalities are other people's conversation partners too, so those go only after a
 * confirm button.
 */
export async function runForgetMeCommand(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
): Promise<void> {
  const userId = interaction.user.id;
  await interaction.deferReply({ flags: 'Ephemeral' });
  const { erased, deliveryRecords, retainedJobs, memories, notes } = await eraseUser(ctx, userId, false);
  const owned = await ctx.deps.personalities.countByOwner(userId);
  ctx.log.info(
    { userId, ...erased, deliveryRecords, retainedJobs, memories, notes, personalitiesKept: owned },
    'user data erased',
  );
  const summary = CommandReplies.forgotten(erased);
  if (owned === 0) {
    await respond(interaction, { content: summary, ephemeral: true });
    return;
  }
  await respond(interaction, {
    content: `${summary}\n\n${CommandReplies.forgetAskPersonalities(owned)}`,
    components: [
      buildConfirmButtons(
        {
          target: { action: 'forget-confirm', userId },
          label: CommandReplies.forgetPersonalitiesButton(owned),
        },
        { target: { action: 'forget-cancel', userId }, label: CommandReplies.keepPersonalitiesButton() },
      ),
    ],
    ephemeral: true,
  });
}

/** The confirm buttons of `/forget-me`. The caller checked the clicker is the user who ran the command. */
export async function answerForgetButton(
  ctx: CommandContext,
  interaction: ButtonInteraction,
  target: Extract<ButtonTarget, { action: 'forget-confirm' | 'forget-cancel' }>,
): Promise<void> {
  if (target.action === 'forget-cancel') {
    await updateButtonMessage(interaction, { content: CommandReplies.keptPersonalities(), components: [] });
    return;
  }
  // Removing many personalities takes a while; erasing again also catches anything stored since.
  await interaction.deferUpdate();
  const { erased, deliveryRecords, retainedJobs } = await eraseUser(ctx, target.userId, true);
  ctx.log.info(
    { userId: target.userId, ...erased, deliveryRecords, retainedJobs },
    'user data and personalities erased',
  );
  await updateButtonMessage(interaction, {
    content: CommandReplies.forgottenPersonalities(erased.personalities),
    components: [],
  });
}
