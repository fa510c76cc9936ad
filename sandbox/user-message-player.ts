import { hasPermissions, PermissionFlags } from './channel-permissions.js';
import type { UserSaysOptions } from './control-api-types.js';
import { validateBulkDelete } from './discord-rules.js';
import type { MessageService } from './message-service.js';
import type { UploadedFile } from './rest-router.js';
import type { TranscriptEntry } from './sandbox-events.js';
import { type ChannelRecord, ChannelType, type SandboxStore } from './sandbox-store.js';

/** What {@link UserMessagePlayer} plays through. */
export interface UserMessagePlayerDeps {
  readonly store: SandboxStore;
  readonly messages: MessageService;
}

/** People posting, editing and deleting messages, refused where Discord's client would not let them. */
export class UserMessagePlayer {
  readonly #deps: UserMessagePlayerDeps;

  constructor(deps: UserMessagePlayerDeps) {
    this.#deps = deps;
  }

  /** A user posts a message (dispatched as MESSAGE_CREATE); throws when Discord's client would not let them. */
  userSays(userId: string, channelId: string, content: string, input: UserSaysOptions = {}): TranscriptEntry {
    const channel = this.#deps.store.requireChannel(channelId);
    this.#deps.store.requireUser(userId);
    this.#requireUserCanSend(channel, userId);
    if ([...content].length > 2000) throw new Error('sandbox: a message holds at most 2000 characters');
    if (content.trim() === '' && (input.attachments ?? []).length === 0)
      throw new Error('sandbox: empty message');
    let reference = null;
    if (input.replyTo !== undefined) {
      const target = this.#deps.store.requireMessage(input.replyTo);
      if (target.channelId !== channel.id) throw new Error('sandbox: replies stay in their channel');
      reference = { messageId: target.id, channelId: channel.id, guildId: channel.guildId };
    }
    const files: UploadedFile[] = (input.attachments ?? []).map((attachment, index) => ({
      field: `files[${index}]`,
      filename: attachment.filename,
      contentType: attachment.contentType ?? null,
      data: Buffer.isBuffer(attachment.data) ? attachment.data : Buffer.from(attachment.data ?? ''),
    }));
    const message = this.#deps.messages.create({
      channel,
      author: { kind: 'user', userId },
      payload: { content },
      files,
      reference,
      type: reference ? 19 : 0,
    });
    return this.#deps.messages.transcriptEntry(message);
  }

  /** Edits a message as its author would; dispatches MESSAGE_UPDATE. */
  editMessage(messageId: string, content: string): TranscriptEntry {
    const message = this.#deps.store.requireMessage(messageId);
    return this.#deps.messages.transcriptEntry(this.#deps.messages.edit(message, { content }));
  }

  /** Deletes a message (as its author or a moderator); dispatches MESSAGE_DELETE. */
  deleteMessage(messageId: string): void {
    this.#deps.messages.delete(this.#deps.store.requireMessage(messageId));
  }

  /**
   * A moderator purges messages of a guild channel at once (a moderation bot's bulk delete); dispatches one
   * MESSAGE_DELETE_BULK with the ids deleted. Throws, with Discord's message, what Discord would refuse: fewer
   * than 2 or more than 100 ids, duplicates, an id older than 14 days. Returns the ids deleted.
   */
  bulkDeleteMessages(channelId: string, messageIds: readonly string[]): string[] {
    const channel = this.#deps.store.requireChannel(channelId);
    if (channel.guildId === null) throw new Error('sandbox: bulk delete is for guild channels only');
    const checked = validateBulkDelete({ messages: messageIds }, this.#deps.store.now());
    if (checked.error) {
      const { code, message, errors } = checked.error.body;
      throw new Error(
        `sandbox: ${code} ${message}${errors === undefined ? '' : ` ${JSON.stringify(errors)}`}`,
      );
    }
    return this.#deps.messages.bulkDelete(channel, checked.ids);
  }

  /** Refuses what Discord's client refuses: a DM with someone else, the forum itself, no permission to send. */
  #requireUserCanSend(channel: ChannelRecord, userId: string): void {
    if (channel.type === ChannelType.DM) {
      if (!channel.recipientIds.includes(userId)) throw new Error('sandbox: that DM is not with this user');
      return;
    }
    if (channel.type === ChannelType.GuildForum)
      throw new Error('sandbox: post in a forum thread, not the forum');
    const permissions = this.#deps.store.channelPermissions(channel, userId);
    const send =
      channel.type === ChannelType.PublicThread
        ? PermissionFlags.SendMessagesInThreads
        : PermissionFlags.SendMessages;
    if (!hasPermissions(permissions, PermissionFlags.ViewChannel | send)) {
      throw new Error(`sandbox: user ${userId} cannot send messages in channel ${channel.id}`);
    }
  }
}
