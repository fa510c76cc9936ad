import { type Message, MessageReferenceType, type PartialMessage } from 'discord.js';
import type { ChannelWindowRepository, WindowLine } from '../context/index.js';
import type { Logger } from '../log/index.js';
import type { RedisBatch } from '../redis/index.js';
import type { ChannelLatestRecord } from '../state/index.js';
import { DueUserIndex } from './due-user-index.js';

/** Who "we" are on Discord, to leave our own posts to the worker. Null until the client is ready. */
export interface OwnIdentity {
  /** The bot's application: our personalities' webhooks (and interaction responses) carry its id. */
  readonly applicationId: string | null;
  /** The bot user: its own posts (limit notices) are not conversation. */
  readonly botUserId: string | null;
}

/** What {@link WindowRecorder} needs. */
export interface WindowRecorderDependencies {
  readonly windows: Pick<
    ChannelWindowRepository,
    'appendIfLive' | 'markLiveAndAppend' | 'recordEdit' | 'removeMessages' | 'writeUserIndex'
  >;
  /** Read at every event: the client learns its identity when it logs in. */
  readonly ownIdentity: () => OwnIdentity;
  readonly logger: Logger;
}

/** A message's append under way, for {@link WindowRecorder.afterRouting}. */
export interface PendingAppend {
  readonly channelId: string;
  readonly line: WindowLine;
  /** Whether the channel was live (the line is kept); true too when the append failed (it was logged). */
  readonly appended: Promise<boolean>;
  /**
   * The line's person's window-index entry, when the append makes it due: for their admission to write (see
   * {@link DueUserIndex}), else {@link WindowRecorder.afterRouting} writes it. null for a line of no person.
   */
  readonly userIndex: DueUserIndex | null;
}

/**
 * Whether the window keeps this message at all: guild messages only (DMs stay personal), not system messages,
 * not our own posts (the worker records our personalities' replies, with what they answered; the bot's notices
 * are not conversation). People, other bots and other webhooks (proxy bots' members among them) are kept.
 */
function isRecordable(message: Message | PartialMessage, own: OwnIdentity): boolean {
  if (message.guildId === null || message.system === true) return false;
  if (message.webhookId !== null && message.webhookId !== undefined) {
    return own.applicationId === null || message.applicationId !== own.applicationId;
  }
  return message.author?.id !== own.botUserId;
}

/**
 * The text of a message as the window keeps it: mentions as the names people see (`@Sam`, not `<@id>`), then
 * attachments and stickers by name. No URLs: CDN links expire, and the AI cannot open them anyway.
 */
export function buildWindowContent(message: Message): string {
  const parts = [message.cleanContent ?? message.content ?? ''];
  for (const attachment of message.attachments.values()) parts.push(`[attachment: ${attachment.name}]`);
  for (const sticker of message.stickers.values()) parts.push(`[sticker: ${sticker.name}]`);
  return parts.filter((part) => part.length > 0).join('\n');
}

/**
 * The window line of a MESSAGE_CREATE, or null when the window does not keep the message (see
 * {@link isRecordable}) or it carries nothing to read (an embed alone, say). People are named as the server shows
 * them and own their line (`userId`, for /forget-me); bots and webhooks go by their username and own none.
 */
export function buildWindowLine(message: Message, own: OwnIdentity): WindowLine | null {
  if (!isRecordable(message, own)) return null;
  const content = buildWindowContent(message);
  if (content.trim() === '') return null;
  const person = message.webhookId === null && !message.author.bot;
  const reference = message.reference;
  return {
    id: message.id,
    at: message.createdTimestamp,
    name: person
      ? (message.member?.displayName ?? message.author.globalName ?? message.author.username)
      : message.author.username,
    content,
    // A forward or a crosspost references a message elsewhere, which it does not answer.
    replyToId:
      reference?.messageId !== undefined &&
      reference.type !== MessageReferenceType.Forward &&
      reference.channelId === message.channelId
        ? reference.messageId
        : null,
    personalityId: null,
    userId: person ? message.author.id : null,
  };
}

/**
 * Writes the channel window as gateway events arrive: every kept message is appended if its channel is live (in
 * the routing lookups' round trip), a channel where routing addressed a personality becomes live with the
 * message that addressed it, and edits, deletes and bulk deletes follow. Every method logs its own failures: a
 * window write must never stop a message being routed.
 */
export class WindowRecorder {
  private readonly log: Logger;

  constructor(private readonly deps: WindowRecorderDependencies) {
    this.log = deps.logger.child({ module: 'window-recorder' });
  }

  /**
   * MESSAGE_CREATE: appends the message if its channel is live (in `batch`), writing `latest` (the message as
   * the channel's newest) in the same script; null when the window does not keep it (nothing written: the
   * caller records `latest` itself). `proxiedFor`: a proxy bot's copy stands for this person's message, so the
   * line is theirs (`/forget-me`).
   */
  append(
    message: Message,
    batch?: RedisBatch,
    options: { readonly proxiedFor?: string | undefined; readonly latest?: ChannelLatestRecord } = {},
  ): PendingAppend | null {
    const { proxiedFor, latest } = options;
    let line: WindowLine | null;
    try {
      line = buildWindowLine(message, this.deps.ownIdentity());
      if (line !== null && proxiedFor !== undefined) line = { ...line, userId: proxiedFor };
    } catch (error) {
      // A message discord.js built without its author, say: routing goes on without it.
      this.log.warn({ err: error, channelId: message.channelId }, 'reading a message for the window failed');
      return null;
    }
    if (line === null) return null;
    const { windows } = this.deps;
    const appending = windows.appendIfLive(message.channelId, line, batch, latest).catch((error: unknown) => {
      this.log.warn({ err: error, channelId: message.channelId }, 'appending to the channel window failed');
      return { live: true, userIndex: null };
    });
    const userIndex =
      line.userId === null
        ? null
        : new DueUserIndex(
            line.userId,
            appending.then((append) => append.userIndex),
            (step) => windows.writeUserIndex(step),
          );
    return {
      channelId: message.channelId,
      line,
      appended: appending.then((append) => append.live),
      userIndex,
    };
  }

  /**
   * After routing: the person's index entry the append made due, when no admission wrote it (one round trip);
   * and when the message addressed a personality (or went to the channel's activated one) and its channel was
   * not live, the channel becomes live with this message. One round trip, only for the first message of a quiet
   * channel.
   */
  async afterRouting(pending: PendingAppend | null, addressed: boolean): Promise<void> {
    if (pending === null) return;
    try {
      await pending.userIndex?.writeIfLeft();
    } catch (error) {
      this.log.warn(
        { err: error, channelId: pending.channelId },
        'indexing the window for its person failed',
      );
    }
    if ((await pending.appended) || !addressed) return;
    try {
      await this.deps.windows.markLiveAndAppend(pending.channelId, pending.line);
    } catch (error) {
      this.log.warn({ err: error, channelId: pending.channelId }, 'opening the channel window failed');
    }
  }

  /** MESSAGE_UPDATE: the kept line, if any, takes the new text. */
  async recordEdit(message: Message | PartialMessage): Promise<void> {
    // A partial edit without content (an embed unfurl, say) changes nothing anyone reads.
    if (message.partial || !isRecordable(message, this.deps.ownIdentity())) return;
    try {
      await this.deps.windows.recordEdit(message.channelId, message.id, buildWindowContent(message));
    } catch (error) {
      this.log.warn({ err: error, channelId: message.channelId }, 'recording an edit in the window failed');
    }
  }

  /** MESSAGE_DELETE and MESSAGE_DELETE_BULK: the messages leave the window, whoever posted them. */
  async removeMessages(
    guildId: string | null,
    channelId: string,
    messageIds: readonly string[],
  ): Promise<void> {
    if (guildId === null) return;
    try {
      await this.deps.windows.removeMessages(channelId, messageIds);
    } catch (error) {
      this.log.warn(
        { err: error, channelId, messages: messageIds.length },
        'removing deleted messages from the window failed',
      );
    }
  }
}
