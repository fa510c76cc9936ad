import { ChannelType, type Message, type PartialMessage } from 'discord.js';
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

/** Converts a discord.js message (already checked with {@link findIgnoreReason}). */
export function buildInboundMessage(message: Message): InboundMessage {
  const channel = message.channel;
  const isThread = THREAD_TYPES.has(channel.type);
  return {
    id: message.id,
    channelId: message.channelId,
    parentChannelId: isThread && 'parentId' in channel ? (channel.parentId ?? null) : null,
    guildId: message.guildId,
    authorId: message.author.id,
    authorName: message.member?.displayName ?? message.author.globalName ?? message.author.username,
    content: appendAttachments(message.content, message),
    replyToMessageId: message.reference?.messageId ?? null,
    createdAt: message.createdTimestamp,
    memberRoleIds: message.member ? [...message.member.roles.cache.keys()] : [],
    channelNsfw: isAgeRestrictedChannel(channel),
  };
}

/** The AI cannot see attachments; it is told they exist so it can say so rather than ignore them. */
function appendAttachments(content: string, message: Message): string {
  if (message.attachments.size === 0) return content;
  const lines = [...message.attachments.values()].map(
    (attachment) => `[attachment: ${attachment.name} ${attachment.url}]`,
  );
  return [content, ...lines].filter((line) => line.length > 0).join('\n');
}
