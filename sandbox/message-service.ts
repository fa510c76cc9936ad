import type { ApiObject, ApiSerializer } from './api-serializer.js';
import { hasPermissions, PermissionFlags } from './channel-permissions.js';
import { DiscordErrors } from './discord-errors.js';
import { computeWouldPing } from './discord-rules.js';
import { canSeeMessageContent, GatewayIntents, stripMessageContent } from './gateway-intents.js';
import type { GatewayServer } from './gateway-server.js';
import type { UploadedFile } from './rest-router.js';
import type { SandboxEvents, TranscriptEntry } from './sandbox-events.js';
import {
  type AttachmentRecord,
  type ChannelRecord,
  ChannelType,
  type MessageInteractionRecord,
  type MessageRecord,
  type MessageReferenceRecord,
  type SandboxStore,
  type WouldPing,
} from './sandbox-store.js';

/** Discord's EPHEMERAL message flag. */
export const EPHEMERAL_FLAG = 64;
/** Discord's LOADING flag: a deferred interaction response not yet edited. */
export const LOADING_FLAG = 128;
/** Flags a sender may set on a message: SUPPRESS_EMBEDS, EPHEMERAL, SUPPRESS_NOTIFICATIONS, IS_COMPONENTS_V2. */
const SETTABLE_FLAGS = 4 | EPHEMERAL_FLAG | 4096 | 32768;

/** Who is posting, as Discord tells apart message authors. */
export type MessageAuthor =
  | { readonly kind: 'user'; readonly userId: string }
  | {
      readonly kind: 'webhook';
      readonly webhookId: string;
      readonly username: string;
      readonly avatarUrl: string | null;
      readonly applicationId: string | null;
    }
  /** An interaction response or follow-up: authored by the bot through the application's webhook. */
  | { readonly kind: 'interaction'; readonly interaction: MessageInteractionRecord };

/** Everything needed to create one message. */
export interface CreateMessageInput {
  /** A given id: a forum post's starter message shares the thread's id. */
  readonly id?: string;
  readonly channel: ChannelRecord;
  readonly author: MessageAuthor;
  /** The validated payload (content, embeds, components, allowed_mentions, flags, tts, nonce, attachments). */
  readonly payload: Record<string, unknown>;
  readonly files: readonly UploadedFile[];
  readonly reference: MessageReferenceRecord | null;
  readonly type: number;
  /** Flags Discord sets itself (LOADING), on top of what the payload may set. */
  readonly extraFlags?: number;
}

/** What the message service needs from the sandbox. */
export interface MessageServiceDeps {
  readonly store: SandboxStore;
  readonly serializer: ApiSerializer;
  readonly gateway: GatewayServer;
  readonly events: SandboxEvents;
  readonly botUserId: string;
  readonly now: () => number;
  /** The application has the MESSAGE_CONTENT privileged intent switched on (gates REST reads). */
  readonly messageContentEnabled: () => boolean;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function normaliseEmbeds(value: unknown): unknown[] {
  if (!Array.isArray(value)) return [];
  // Discord stores every embed sent through the API as a rich embed.
  return value.map((embed: unknown) =>
    typeof embed === 'object' && embed !== null ? { type: 'rich', ...(embed as object) } : embed,
  );
}

/**
 * Creates, edits and deletes messages: applies Discord's bookkeeping (mentions, reply references, attachments,
 * flags), stores them, and dispatches MESSAGE_CREATE/UPDATE/DELETE with the message-content rule per session.
 */
export class MessageService {
  constructor(private readonly deps: MessageServiceDeps) {}

  create(input: CreateMessageInput): MessageRecord {
    const { store } = this.deps;
    const { channel, author, payload } = input;
    const authorId =
      author.kind === 'user'
        ? author.userId
        : author.kind === 'webhook'
          ? author.webhookId
          : this.deps.botUserId;
    const referenced = input.reference ? store.messages.get(input.reference.messageId) : undefined;
    const content = typeof payload['content'] === 'string' ? payload['content'] : '';
    const message: MessageRecord = {
      id: input.id ?? store.nextId(),
      channelId: channel.id,
      guildId: channel.guildId,
      authorId,
      webhookId:
        author.kind === 'webhook'
          ? author.webhookId
          : author.kind === 'interaction'
            ? this.applicationId()
            : null,
      applicationId:
        author.kind === 'webhook'
          ? author.applicationId
          : author.kind === 'interaction'
            ? this.applicationId()
            : null,
      webhookUsername: author.kind === 'webhook' ? author.username : null,
      webhookAvatarUrl: author.kind === 'webhook' ? author.avatarUrl : null,
      type: input.type,
      content,
      embeds: normaliseEmbeds(payload['embeds']),
      components: Array.isArray(payload['components']) ? payload['components'] : [],
      attachments: this.#attachments(payload, input.files),
      flags:
        ((typeof payload['flags'] === 'number' ? payload['flags'] : 0) & SETTABLE_FLAGS) |
        (input.extraFlags ?? 0),
      tts: payload['tts'] === true,
      nonce:
        typeof payload['nonce'] === 'string' || typeof payload['nonce'] === 'number'
          ? payload['nonce']
          : null,
      wouldPing: this.#wouldPing(channel, author, authorId, content, payload['allowed_mentions'], referenced),
      reference: input.reference,
      interaction: author.kind === 'interaction' ? author.interaction : null,
      createdAt: this.deps.now(),
      editedAt: null,
      edits: [],
      deleted: false,
    };
    store.addMessage(message);
    this.#emitChanged('created', message);
    if ((message.flags & EPHEMERAL_FLAG) === 0) {
      this.#dispatchMessage('MESSAGE_CREATE', message);
      this.deps.events.emit('messageCreated', {
        message: this.transcriptEntry(message),
        at: this.deps.now(),
      });
    }
    return message;
  }

  /**
   * Applies an edit payload (fields present replace the stored ones) and dispatches MESSAGE_UPDATE. Throws 50006
   * without changing anything when the edit would leave the message empty.
   */
  edit(
    message: MessageRecord,
    payload: Record<string, unknown>,
    files: readonly UploadedFile[] = [],
  ): MessageRecord {
    const content =
      typeof payload['content'] === 'string'
        ? payload['content']
        : payload['content'] === null
          ? ''
          : message.content;
    const embeds = 'embeds' in payload ? normaliseEmbeds(payload['embeds']) : message.embeds;
    const components =
      'components' in payload
        ? Array.isArray(payload['components'])
          ? payload['components']
          : []
        : message.components;
    let attachments = message.attachments;
    if ('attachments' in payload || files.length > 0) {
      const described = Array.isArray(payload['attachments']) ? (payload['attachments'] as unknown[]) : null;
      const kept = described
        ? message.attachments.filter((attachment) =>
            described.some((entry) => isObject(entry) && String(entry['id']) === attachment.id),
          )
        : message.attachments;
      attachments = [...kept, ...this.#attachments(payload, files)];
    }
    if (content.trim() === '' && embeds.length === 0 && components.length === 0 && attachments.length === 0) {
      throw DiscordErrors.cannotSendEmptyMessage();
    }
    if (content !== message.content || 'allowed_mentions' in payload) {
      const referenced = message.reference
        ? this.deps.store.messages.get(message.reference.messageId)
        : undefined;
      message.wouldPing = this.#wouldPing(
        this.deps.store.requireChannel(message.channelId),
        this.#authorOf(message),
        message.authorId,
        content,
        payload['allowed_mentions'],
        referenced,
      );
    }
    message.content = content;
    message.embeds = embeds;
    message.components = components;
    message.attachments = attachments;
    if (typeof payload['flags'] === 'number') {
      message.flags =
        (message.flags & ~SETTABLE_FLAGS) |
        (payload['flags'] & SETTABLE_FLAGS & ~EPHEMERAL_FLAG) |
        (message.flags & EPHEMERAL_FLAG);
    }
    // An edit completes a deferred response.
    message.flags &= ~LOADING_FLAG;
    message.editedAt = this.deps.now();
    message.edits.push({ at: message.editedAt, content: message.content });
    this.#emitChanged('updated', message);
    if ((message.flags & EPHEMERAL_FLAG) === 0) this.#dispatchMessage('MESSAGE_UPDATE', message);
    return message;
  }

  delete(message: MessageRecord): void {
    message.deleted = true;
    this.#emitChanged('deleted', message);
    if ((message.flags & EPHEMERAL_FLAG) !== 0) return;
    this.deps.gateway.dispatch(
      'MESSAGE_DELETE',
      {
        id: message.id,
        channel_id: message.channelId,
        ...(message.guildId ? { guild_id: message.guildId } : {}),
      },
      this.#route(message),
    );
  }

  /**
   * Deletes the messages of one guild channel at once, as a bulk delete does: one MESSAGE_DELETE_BULK with the
   * ids deleted (ids that are unknown, gone, ephemeral or of another channel are skipped). Nothing is dispatched
   * when nothing was deleted.
   */
  bulkDelete(channel: ChannelRecord, messageIds: readonly string[]): string[] {
    const deleted: string[] = [];
    for (const id of messageIds) {
      const message = this.deps.store.messages.get(id);
      if (!message || message.deleted || message.channelId !== channel.id) continue;
      if ((message.flags & EPHEMERAL_FLAG) !== 0) continue;
      message.deleted = true;
      this.#emitChanged('deleted', message);
      deleted.push(id);
    }
    if (deleted.length > 0 && channel.guildId !== null) {
      this.deps.gateway.dispatch(
        'MESSAGE_DELETE_BULK',
        { ids: deleted, channel_id: channel.id, guild_id: channel.guildId },
        { guildId: channel.guildId, intent: GatewayIntents.GuildMessages },
      );
    }
    return deleted;
  }

  /** A message as REST returns it to the bot, content-gated by the application's MESSAGE_CONTENT setting. */
  forRest(message: MessageRecord): ApiObject {
    const payload = this.deps.serializer.message(message);
    return this.#gate(payload, message, this.deps.messageContentEnabled());
  }

  transcriptEntry(message: MessageRecord): TranscriptEntry {
    const channel = this.deps.store.channels.get(message.channelId);
    let authorName: string;
    let avatarUrl: string | null = null;
    if (message.webhookUsername !== null) {
      authorName = message.webhookUsername;
      const webhook = this.deps.store.webhooks.get(message.authorId);
      avatarUrl =
        message.webhookAvatarUrl ??
        (webhook?.avatar ? `https://cdn.discordapp.com/avatars/${webhook.id}/${webhook.avatar}.png` : null);
    } else {
      const user = this.deps.store.users.get(message.authorId);
      authorName = user ? (user.globalName ?? user.username) : message.authorId;
    }
    return {
      id: message.id,
      channelId: message.channelId,
      authorId: message.authorId,
      authorName,
      avatarUrl,
      webhookId: message.webhookId,
      content: message.content,
      embeds: message.embeds,
      components: message.components,
      attachments: message.attachments.map((attachment) => ({
        filename: attachment.filename,
        size: attachment.size,
      })),
      flags: message.flags,
      wouldPing: message.wouldPing,
      threadId: channel?.type === ChannelType.PublicThread ? channel.id : null,
      referencedMessageId: message.reference?.messageId ?? null,
      interactionUserId: message.interaction?.userId ?? null,
      createdAt: message.createdAt,
      editedAt: message.editedAt,
      edits: [...message.edits],
    };
  }

  /** The application's id: for modern apps it equals the bot user's id. */
  applicationId(): string {
    return this.deps.botUserId;
  }

  #emitChanged(kind: 'created' | 'updated' | 'deleted', message: MessageRecord): void {
    // Building the entry costs a lookup or two; skip it when nothing listens (benchmarks, most tests).
    if (this.deps.events.listenerCount('messageChanged') === 0) return;
    this.deps.events.emit('messageChanged', {
      kind,
      message: this.transcriptEntry(message),
      at: this.deps.now(),
    });
  }

  #authorOf(message: MessageRecord): MessageAuthor {
    if (message.webhookUsername !== null) {
      return {
        kind: 'webhook',
        webhookId: message.authorId,
        username: message.webhookUsername,
        avatarUrl: message.webhookAvatarUrl,
        applicationId: message.applicationId,
      };
    }
    if (message.interaction) return { kind: 'interaction', interaction: message.interaction };
    return { kind: 'user', userId: message.authorId };
  }

  #dispatchMessage(type: 'MESSAGE_CREATE' | 'MESSAGE_UPDATE', message: MessageRecord): void {
    const payload = this.deps.serializer.messageDispatch(message);
    this.deps.gateway.dispatch(type, payload, {
      ...this.#route(message),
      payloadFor: (session) =>
        this.#gate(payload, message, (session.intents & GatewayIntents.MessageContent) !== 0),
    });
  }

  #route(message: MessageRecord): { guildId: string | null; intent: number } {
    return {
      guildId: message.guildId,
      intent: message.guildId ? GatewayIntents.GuildMessages : GatewayIntents.DirectMessages,
    };
  }

  #gate(payload: ApiObject, message: MessageRecord, hasIntent: boolean): ApiObject {
    const botUserId = this.deps.botUserId;
    const visible = (record: MessageRecord): boolean =>
      canSeeMessageContent(
        { guildId: record.guildId, authorId: record.authorId, mentionedUserIds: record.wouldPing.users },
        botUserId,
        hasIntent,
      );
    let gated = visible(message) ? payload : stripMessageContent(payload);
    const referenced = message.reference
      ? this.deps.store.messages.get(message.reference.messageId)
      : undefined;
    if (referenced && gated['referenced_message'] && !visible(referenced)) {
      gated = { ...gated, referenced_message: stripMessageContent(gated['referenced_message'] as ApiObject) };
    }
    return gated;
  }

  #attachments(payload: Record<string, unknown>, files: readonly UploadedFile[]): AttachmentRecord[] {
    const described = Array.isArray(payload['attachments']) ? (payload['attachments'] as unknown[]) : [];
    return files.map((file, index) => {
      const fileIndex = /^files\[(\d+)\]$/.exec(file.field)?.[1];
      const description = described.find(
        (entry) =>
          typeof entry === 'object' &&
          entry !== null &&
          String((entry as { id?: unknown }).id) === String(fileIndex ?? index),
      ) as { description?: unknown; filename?: unknown } | undefined;
      return {
        id: this.deps.store.nextId(),
        filename: typeof description?.filename === 'string' ? description.filename : file.filename,
        contentType: file.contentType,
        size: file.data.length,
        description: typeof description?.description === 'string' ? description.description : null,
        data: file.data,
      };
    });
  }

  #wouldPing(
    channel: ChannelRecord,
    author: MessageAuthor,
    authorId: string,
    content: string,
    allowedMentions: unknown,
    referenced: MessageRecord | undefined,
  ): WouldPing {
    const guild = channel.guildId ? this.deps.store.guilds.get(channel.guildId) : undefined;
    const isWebhook = author.kind !== 'user';
    const canMentionEveryone =
      guild === undefined
        ? false
        : author.kind === 'webhook'
          ? true
          : hasPermissions(
              this.deps.store.channelPermissions(
                channel,
                author.kind === 'user' ? author.userId : this.deps.botUserId,
              ),
              PermissionFlags.MentionEveryone,
            );
    const repliedUserId =
      referenced && referenced.webhookId === null && referenced.authorId !== authorId
        ? referenced.authorId
        : undefined;
    const ping = computeWouldPing(content, allowedMentions, {
      isWebhook,
      mentionableRoleIds: new Set(
        guild ? [...guild.roles.values()].filter((r) => r.mentionable).map((r) => r.id) : [],
      ),
      canMentionEveryone,
      ...(repliedUserId === undefined ? {} : { repliedUserId }),
    });
    return {
      users: ping.users.filter((userId) => this.deps.store.users.has(userId)),
      roles: guild ? ping.roles.filter((roleId) => guild.roles.has(roleId) && roleId !== guild.id) : [],
      everyone: guild ? ping.everyone : false,
    };
  }
}
