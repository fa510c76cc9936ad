/**
 * Gateway intents the sandbox honours, and Discord's message-content rule.
 * @see https://discord.com/developers/docs/events/gateway#gateway-intents
 */
export const GatewayIntents = {
  Guilds: 1 << 0,
  GuildMembers: 1 << 1,
  GuildWebhooks: 1 << 5,
  GuildPresences: 1 << 8,
  GuildMessages: 1 << 9,
  DirectMessages: 1 << 12,
  MessageContent: 1 << 15,
} as const;

/** Intents an application must switch on in the developer portal before identifying with them. */
export const PRIVILEGED_INTENTS =
  GatewayIntents.GuildMembers | GatewayIntents.GuildPresences | GatewayIntents.MessageContent;

/** Every intent bit Discord defines (0–25); others close the connection with 4013. */
export const KNOWN_INTENTS = (1 << 26) - 1;

/** What the content rule needs to know about a message. */
export interface ContentVisibilitySubject {
  readonly guildId: string | null;
  readonly authorId: string;
  readonly mentionedUserIds: readonly string[];
}

/**
 * Whether an app sees a message's content, embeds, attachments and components. Without MESSAGE_CONTENT it still
 * does in DMs, in messages that mention it, and in its own messages.
 * @see https://discord.com/developers/docs/events/gateway#message-content-intent
 */
export function canSeeMessageContent(
  message: ContentVisibilitySubject,
  botUserId: string,
  hasMessageContentIntent: boolean,
): boolean {
  return (
    hasMessageContentIntent ||
    message.guildId === null ||
    message.authorId === botUserId ||
    message.mentionedUserIds.includes(botUserId)
  );
}

/** A message payload with the content-bearing fields emptied, as Discord sends it to apps that may not read them. */
export function stripMessageContent<T extends Record<string, unknown>>(payload: T): T {
  const stripped: Record<string, unknown> = {
    ...payload,
    content: '',
    embeds: [],
    attachments: [],
    components: [],
  };
  if ('poll' in stripped) delete stripped['poll'];
  return stripped as T;
}
