import { ChannelType, type Message, type PartialMessage } from 'discord.js';
import { type AttachmentRef, buildAttachmentRefs } from '../discord/index.js';
import { isAgeRestrictedChannel } from '../guilds/index.js';

/** A Discord message reduced to what routing needs; built from discord.js objects at the edge. */
export interface InboundMessage {
  readonly id: string;
  readonly channelId: string;
  /** The parent channel when the message is in a thread or forum post. */
  readonly parentChannelId: string | null;
  readonly guildId: string | null;
  readonly authorId: string;
  readonly authorName: string;
  /** The text as written; attachments are data ({@link InboundMessage.attachments}), not appended to it. */
  readonly content: string;
  /** The message this one replies to, if any. */
  readonly replyToMessageId: string | null;
  readonly createdAt: number;
  /** The author's roles in the server (the server's rules may require one); empty in DMs. */
  readonly memberRoleIds: readonly string[];
  /** Whether the channel is age-restricted; a thread's is its parent's. False in DMs. */
  readonly channelNsfw: boolean;
  /**
   * For a proxy bot's copy of a person's message (PluralKit, Tupperbox; see `proxy-matcher.ts`): the original
   * the person wrote. The copy is then what is answered, for that person (`authorId`), under the proxied
   * member's name (`authorName`).
   */
  readonly proxiedFromMessageId?: string;
  /** The files attached (at most 10), with their CDN URLs for the worker; absent = none. */
  readonly attachments?: readonly AttachmentRef[];
  /** The files of the message this one replies to, when the gateway saw them (`referenced_message`). */
  readonly repliedToAttachments?: readonly AttachmentRef[];
}

/** Why a message is not routed at all; `null` means it is routable. */
export type IgnoreReason = 'bot' | 'webhook' | 'system' | 'no-author';

/** Bots and webhooks (ours included) never address personalities: that would loop. */
export function findIgnoreReason(message: Message | PartialMessage): IgnoreReason | null {
  if (message.webhookId) return 'webhook';
  if (!message.author) return 'no-author';
  if (message.author.bot) return 'bot';
  if (message.system) return 'system';
  return null;
}

const THREAD_TYPES = new Set<ChannelType>([
  ChannelType.PublicThread,
  ChannelType.PrivateThread,
  ChannelType.AnnouncementThread,
]);

/**
 * Converts a discord.js message (already checked with {@link findIgnoreReason}). `repliedToAttachments`: the
 * replied-to message's files, from the raw packet (see `referenced-attachments.ts`).
 */
export function buildInboundMessage(
  message: Message,
  repliedToAttachments: readonly AttachmentRef[] = [],
): InboundMessage {
  const channel = message.channel;
  const isThread = THREAD_TYPES.has(channel.type);
  const attachments = buildAttachmentRefs(message.attachments.values());
  return {
    id: message.id,
    channelId: message.channelId,
    parentChannelId: isThread && 'parentId' in channel ? (channel.parentId ?? null) : null,
    guildId: message.guildId,
    authorId: message.author.id,
    authorName: message.member?.displayName ?? message.author.globalName ?? message.author.username,
    content: message.content,
    replyToMessageId: message.reference?.messageId ?? null,
    createdAt: message.createdTimestamp,
    memberRoleIds: message.member ? [...message.member.roles.cache.keys()] : [],
    channelNsfw: isAgeRestrictedChannel(channel),
    ...(attachments.length === 0 ? {} : { attachments }),
    ...(repliedToAttachments.length === 0 ? {} : { repliedToAttachments }),
  };
}
