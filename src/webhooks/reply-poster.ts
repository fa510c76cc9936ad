import type { ChannelWaiter } from './rate-limiter/index.js';

/** Where a personality's message goes. */
export interface PostTarget {
  /** The channel, thread or DM channel the message appears in. */
  readonly channelId: string;
  /** For a thread/forum post: the parent channel that owns the webhook; null otherwise. */
  readonly parentChannelId: string | null;
  /** null for DMs, which have no webhooks: the bot posts with a `**Name:**` prefix instead. */
  readonly guildId: string | null;
}

/** One message as a personality says it (already within Discord's limits: split and sanitised). */
export interface PersonaMessage {
  readonly username: string;
  readonly avatarUrl: string | null;
  readonly content: string;
}

/** What Discord answered for one posted message. */
export interface PostedMessage {
  readonly messageId: string;
  /** The webhook that posted it; null when the bot posted (DMs, notices). */
  readonly webhookId: string | null;
}

/**
 * Posts as a personality. The webhook manager implements it; the reply worker depends only on this.
 * Always sends `allowed_mentions: { parse: [] }`.
 */
export interface ReplyPoster {
  /**
   * With a `waiter` (whose post it is), a post its channel cannot take soon throws `ChannelBusyError` instead
   * of waiting: the caller comes back at its `retryAt`, and the channel's slots go to its users in turn.
   */
  postAsPersona(target: PostTarget, message: PersonaMessage, waiter?: ChannelWaiter): Promise<PostedMessage>;
  /** A plain bot message (notices). Pings nobody. */
  postAsBot(channelId: string, content: string): Promise<PostedMessage>;
}
