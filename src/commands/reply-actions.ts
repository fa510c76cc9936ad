import {
  ChannelType,
  type Message,
  type MessageContextMenuCommandInteraction,
  PermissionFlagsBits,
  type TextBasedChannel,
} from 'discord.js';
import { buildAttachmentRefs, DiscordErrorCode } from '../discord/index.js';
import { ChorusErrorCode, UserFacingError } from '../errors/index.js';
import { checkPersonalityPolicy, describePolicyRefusal, isAgeRestrictedChannel } from '../guilds/index.js';
import { buildLimitNotice, type ReplyJob } from '../queue/index.js';
import { isPersonalityUsableBy, type PostedMessage, tryParsePersonalityOwner } from '../state/index.js';
import { enqueueTask } from '../tasks/index.js';
import type { CommandContext } from './command-context.js';
import { CommandReplies } from './command-replies.js';
import { respond } from './interaction-response.js';
import { listMemberRoleIds } from './member-roles.js';
import { findAnsweredMessageId, stripPersonalityMentions } from './reply-source.js';

const THREAD_TYPES = new Set<ChannelType>([
  ChannelType.PublicThread,
  ChannelType.PrivateThread,
  ChannelType.AnnouncementThread,
]);

/** The personality reply a context-menu command targets. @throws UserFacingError NotFound when it is not one. */
async function requirePostedReply(
  ctx: CommandContext,
  interaction: MessageContextMenuCommandInteraction,
): Promise<PostedMessage> {
  const posted = await ctx.deps.messageIndex.fetchPersonalityForMessage(
    interaction.channelId,
    interaction.targetId,
  );
  if (posted === null)
    throw new UserFacingError(ChorusErrorCode.NotFound, CommandReplies.notAReply(), {
      userId: interaction.user.id,
    });
  return posted;
}

function refuse(
  interaction: MessageContextMenuCommandInteraction,
  posted: PostedMessage,
  message: string,
): UserFacingError {
  return new UserFacingError(ChorusErrorCode.Forbidden, message, {
    userId: interaction.user.id,
    channelId: interaction.channelId,
    personalityId: posted.personalityId,
  });
}

/**
 * The reply "Delete reply" targets, if the caller may remove it: the user it answered, the personality's
 * owner (read from its id), or a member with Manage Messages in this channel (from the permissions Discord
 * resolved for them here).
 */
async function requireDeletableReply(
  ctx: CommandContext,
  interaction: MessageContextMenuCommandInteraction,
): Promise<PostedMessage> {
  const posted = await requirePostedReply(ctx, interaction);
  const userId = interaction.user.id;
  const isModerator = interaction.memberPermissions?.has(PermissionFlagsBits.ManageMessages) === true;
  const isOwner = tryParsePersonalityOwner(posted.personalityId) === userId;
  if (posted.userId !== userId && !isOwner && !isModerator)
    throw refuse(interaction, posted, CommandReplies.cannotDeleteReply());
  return posted;
}

/**
 * The reply "Regenerate" targets, if the caller is the user it answered: the new job runs as that user
 * (their API key, their limits), so nobody else may start it, whatever their permissions.
 */
async function requireRegenerableReply(
  ctx: CommandContext,
  interaction: MessageContextMenuCommandInteraction,
): Promise<PostedMessage> {
  const posted = await requirePostedReply(ctx, interaction);
  if (posted.userId !== interaction.user.id)
    throw refuse(interaction, posted, CommandReplies.cannotRegenerate());
  return posted;
}

/**
 * "Delete reply": a worker deletes the message through the webhook that posted it (the gateway never talks to
 * webhooks) and then edits this acknowledgement into "Deleted.".
 */
export async function runDeleteReplyCommand(
  ctx: CommandContext,
  interaction: MessageContextMenuCommandInteraction,
): Promise<void> {
  const posted = await requireDeletableReply(ctx, interaction);
  await respond(interaction, { content: CommandReplies.deleting(), ephemeral: true });
  await enqueueTask(ctx.deps.tasks, {
    kind: 'delete-reply',
    version: 1,
    correlationId: ctx.correlationId,
    userId: interaction.user.id,
    channelId: interaction.channelId,
    // A split reply goes as a whole, whichever of its messages was picked.
    messageIds: posted.replyMessageIds?.includes(interaction.targetId)
      ? [...posted.replyMessageIds]
      : [interaction.targetId],
    interaction: { id: interaction.id, applicationId: interaction.applicationId, token: interaction.token },
  });
  ctx.log.info(
    { userId: interaction.user.id, channelId: interaction.channelId, personalityId: posted.personalityId },
    'reply deletion queued',
  );
}

/**
 * "Regenerate": admits a new reply job answering the same user message again. The job is named after this
 * interaction (a fresh id where the message id goes), because the first answer's job id is taken: admission,
 * BullMQ and the delivery ledger would all treat a job with the original message id as already answered.
 */
export async function runRegenerateCommand(
  ctx: CommandContext,
  interaction: MessageContextMenuCommandInteraction,
): Promise<void> {
  const posted = await requireRegenerableReply(ctx, interaction);
  const { personalities, conversations, regenerations, admission } = ctx.deps;
  // Discord and several Redis reads follow: deferred so a slow moment cannot miss Discord's 3 s.
  await interaction.deferReply({ flags: 'Ephemeral' });
  const personality = await personalities.fetchById(posted.personalityId);
  if (personality === null) {
    await respond(interaction, { content: CommandReplies.personalityGone(), ephemeral: true });
    return;
  }
  // It may have gone private since it answered: then only its owner may talk to it again.
  if (!isPersonalityUsableBy(personality, interaction.user.id)) {
    await respond(interaction, { content: CommandReplies.personalityPrivate(), ephemeral: true });
    return;
  }
  // The index names the answered message; older entries lack it, and the history still does.
  const answeredId =
    posted.sourceMessageId ??
    findAnsweredMessageId(
      await conversations.fetchHistory(posted.userId, posted.channelId, posted.personalityId),
      interaction.targetMessage.content,
    );
  if (answeredId === null) {
    await respond(interaction, { content: CommandReplies.sourceNotFound(), ephemeral: true });
    return;
  }
  // The reply may itself be a regeneration, whose "message" is an interaction: follow it to the message.
  const sourceId = (await regenerations.fetchSource(answeredId)) ?? answeredId;
  const channel = interaction.channel ?? (await interaction.client.channels.fetch(interaction.channelId));
  const source = channel?.isTextBased() ? await fetchMessage(channel, sourceId) : null;
  if (source === null) {
    await respond(interaction, { content: CommandReplies.sourceGone(), ephemeral: true });
    return;
  }
  const parentChannelId =
    channel !== null && THREAD_TYPES.has(channel.type) && 'parentId' in channel
      ? (channel.parentId ?? null)
      : null;
  // The server's rules and limits hold for a regeneration as for the message it answers again.
  const settings =
    interaction.guildId === null ? null : await ctx.deps.guildSettings.fetch(interaction.guildId);
  const verdict = checkPersonalityPolicy(personality, {
    settings,
    speakerId: interaction.user.id,
    channelId: posted.channelId,
    parentChannelId,
    channelNsfw: channel !== null && isAgeRestrictedChannel(channel),
    memberRoleIds: listMemberRoleIds(interaction.member),
  });
  if (!verdict.allowed) {
    await respond(interaction, {
      content: describePolicyRefusal(personality.name, verdict.reason, interaction.guild?.name ?? null),
      ephemeral: true,
    });
    return;
  }
  await regenerations.record(interaction.id, source.id);
  const attachments = buildAttachmentRefs(source.attachments.values());
  const job: ReplyJob = {
    kind: 'reply',
    version: 1,
    correlationId: ctx.correlationId,
    messageId: interaction.id,
    channelId: posted.channelId,
    parentChannelId,
    guildId: interaction.guildId,
    authorId: interaction.user.id,
    authorName: (source.member?.displayName ?? source.author.globalName ?? source.author.username).slice(
      0,
      100,
    ),
    content: buildContent(source, [personality.name, ...personality.aliases]).slice(0, 4000),
    trigger: 'reply',
    personalityId: personality.id,
    messageCreatedAt: interaction.createdTimestamp,
    enqueuedAt: ctx.deps.now(),
    answersMessageId: source.id,
    // The message as fetched now: its attachments' CDN links are fresh. The files of the message it replied to
    // are not carried (discord.js does not keep `referenced_message`): a regeneration sees their names only.
    ...(attachments.length === 0 ? {} : { attachments }),
  };
  const admitted = await admission.admit(job, undefined, settings);
  ctx.log.info(
    {
      userId: interaction.user.id,
      channelId: posted.channelId,
      personalityId: personality.id,
      outcome: admitted.outcome,
    },
    'reply regeneration admitted',
  );
  let content: string;
  if (admitted.outcome === 'enqueued') content = CommandReplies.regenerating(personality.name);
  else if (admitted.outcome === 'duplicate') content = CommandReplies.alreadyRegenerating(personality.name);
  else content = buildLimitNotice(admitted.reason, admitted.retryAfterMs, admitted.limit);
  await respond(interaction, { content, ephemeral: true });
}

async function fetchMessage(channel: TextBasedChannel, messageId: string): Promise<Message | null> {
  try {
    return await channel.messages.fetch(messageId);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === DiscordErrorCode.UnknownMessage) return null;
    throw error;
  }
}

/**
 * The text the AI reads, as the gateway builds it for a new message: without the personality's own `@Name`
 * (attachments travel as data, beside it).
 */
function buildContent(message: Message, names: readonly string[]): string {
  return stripPersonalityMentions(message.content, names);
}
