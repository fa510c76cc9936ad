import type { ApiObject, ApiSerializer } from './api-serializer.js';
import { PermissionFlags } from './channel-permissions.js';
import { buildErrorsTree, DiscordErrors, DiscordFieldErrors } from './discord-errors.js';
import { validateMessagePayload } from './discord-rules.js';
import type { GatewayServer } from './gateway-server.js';
import { InteractionHandle, type InteractionResponse } from './interaction-handle.js';
import { EPHEMERAL_FLAG, LOADING_FLAG, type MessageService } from './message-service.js';
import type { UploadedFile } from './rest-router.js';
import {
  type ChannelRecord,
  ChannelType,
  generateSecretToken,
  type MessageRecord,
  type SandboxStore,
} from './sandbox-store.js';

/** Interaction types. @see https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-object-interaction-type */
export const InteractionType = {
  Ping: 1,
  ApplicationCommand: 2,
  MessageComponent: 3,
  Autocomplete: 4,
  ModalSubmit: 5,
} as const;

/** Callback types. @see https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-interaction-callback-type */
const Callback = {
  Pong: 1,
  ChannelMessageWithSource: 4,
  DeferredChannelMessageWithSource: 5,
  DeferredUpdateMessage: 6,
  UpdateMessage: 7,
  AutocompleteResult: 8,
  Modal: 9,
} as const;

/** Which callbacks each interaction type accepts. */
const ALLOWED_CALLBACKS: Record<number, readonly number[]> = {
  [InteractionType.Ping]: [Callback.Pong],
  [InteractionType.ApplicationCommand]: [
    Callback.ChannelMessageWithSource,
    Callback.DeferredChannelMessageWithSource,
    Callback.Modal,
  ],
  [InteractionType.MessageComponent]: [
    Callback.ChannelMessageWithSource,
    Callback.DeferredChannelMessageWithSource,
    Callback.DeferredUpdateMessage,
    Callback.UpdateMessage,
    Callback.Modal,
  ],
  [InteractionType.Autocomplete]: [Callback.AutocompleteResult],
  [InteractionType.ModalSubmit]: [
    Callback.ChannelMessageWithSource,
    Callback.DeferredChannelMessageWithSource,
    Callback.DeferredUpdateMessage,
    Callback.UpdateMessage,
  ],
};

/** Discord's permissions for an app in a DM with a user. */
const DM_APP_PERMISSIONS =
  PermissionFlags.AddReactions |
  PermissionFlags.ViewChannel |
  PermissionFlags.SendMessages |
  PermissionFlags.EmbedLinks |
  PermissionFlags.AttachFiles |
  PermissionFlags.ReadMessageHistory |
  PermissionFlags.UseExternalEmojis |
  PermissionFlags.UseApplicationCommands;

interface InteractionRecord {
  readonly id: string;
  readonly token: string;
  readonly type: number;
  readonly channelId: string;
  readonly guildId: string | null;
  readonly userId: string;
  readonly commandName: string | null;
  /** 1 chat input, 3 message context menu; null for components. */
  readonly commandType: number | null;
  readonly dispatchedAt: number;
  callbackType: number | null;
  originalMessageId: string | null;
  /** The message a component sits on. */
  readonly sourceMessageId: string | null;
  readonly messageIds: Set<string>;
  readonly handle: InteractionHandle;
}

/** What the interaction service needs from the sandbox. */
export interface InteractionServiceDeps {
  readonly store: SandboxStore;
  readonly serializer: ApiSerializer;
  readonly gateway: GatewayServer;
  readonly messages: MessageService;
  readonly applicationId: string;
  readonly botUserId: string;
  readonly now: () => number;
  /** Time allowed for the first acknowledgement, in ms. */
  readonly ackMs: number;
  /** Lifetime of the interaction token for edits and follow-ups, in ms. */
  readonly tokenTtlMs: number;
}

/** The interaction-specific part of INTERACTION_CREATE; the service adds who/where/token. */
export interface InteractionSeed {
  readonly type: number;
  readonly userId: string;
  readonly channel: ChannelRecord;
  readonly data: ApiObject;
  readonly commandName: string | null;
  readonly commandType: number | null;
  readonly sourceMessage: MessageRecord | null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Interactions end to end: INTERACTION_CREATE dispatch, the callback endpoint with Discord's one-ack rule and
 * 3-second deadline, and the interaction webhook (`@original`, follow-ups) valid for 15 minutes.
 * @see https://discord.com/developers/docs/interactions/receiving-and-responding
 */
export class InteractionService {
  readonly #byId = new Map<string, InteractionRecord>();
  readonly #byToken = new Map<string, InteractionRecord>();

  constructor(private readonly deps: InteractionServiceDeps) {}

  /** Creates an interaction, dispatches INTERACTION_CREATE to the guild's shard, and returns its handle. */
  dispatch(seed: InteractionSeed): InteractionHandle {
    const { store, serializer } = this.deps;
    const { channel } = seed;
    const user = store.requireUser(seed.userId);
    const guild = channel.guildId ? store.requireGuild(channel.guildId) : null;
    const member = guild?.members.get(user.id);
    if (guild && !member) throw new Error(`sandbox: user ${user.id} is not a member of guild ${guild.id}`);
    const id = store.nextId();
    const token = `aW50ZXJhY3Rpb246${generateSecretToken()}`;
    const handle = new InteractionHandle(id, seed.type);
    const record: InteractionRecord = {
      id,
      token,
      type: seed.type,
      channelId: channel.id,
      guildId: channel.guildId,
      userId: user.id,
      commandName: seed.commandName,
      commandType: seed.commandType,
      dispatchedAt: this.deps.now(),
      callbackType: null,
      originalMessageId: null,
      sourceMessageId: seed.sourceMessage?.id ?? null,
      messageIds: new Set(),
      handle,
    };
    this.#byId.set(id, record);
    this.#byToken.set(token, record);
    const appPermissions = guild
      ? store.channelPermissions(channel, this.deps.botUserId)
      : DM_APP_PERMISSIONS;
    const payload: ApiObject = {
      id,
      application_id: this.deps.applicationId,
      type: seed.type,
      data: seed.data,
      ...(guild ? { guild_id: guild.id, guild_locale: 'en-US' } : {}),
      channel: serializer.channel(channel),
      channel_id: channel.id,
      ...(guild && member
        ? {
            member: serializer.member(guild, member, {
              withUser: true,
              permissions: store.channelPermissions(channel, user.id),
            }),
          }
        : { user: serializer.user(user) }),
      token,
      version: 1,
      app_permissions: appPermissions.toString(),
      locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: guild ? { '0': guild.id } : { '1': user.id },
      context: guild ? 0 : channel.type === ChannelType.DM ? 1 : 2,
      attachment_size_limit: 10 * 1024 * 1024,
      ...(seed.sourceMessage ? { message: serializer.message(seed.sourceMessage) } : {}),
    };
    this.deps.gateway.dispatch('INTERACTION_CREATE', payload, { guildId: channel.guildId, intent: null });
    return handle;
  }

  /** `POST /interactions/{id}/{token}/callback`. */
  callback(
    interactionId: string,
    token: string,
    body: unknown,
    files: readonly UploadedFile[],
    withResponse: boolean,
  ): {
    status: number;
    body?: unknown;
  } {
    const record = this.#byId.get(interactionId);
    if (!record || record.token !== token) throw DiscordErrors.unknownInteraction();
    if (record.callbackType !== null) throw DiscordErrors.interactionAlreadyAcknowledged();
    if (this.deps.now() - record.dispatchedAt > this.deps.ackMs) throw DiscordErrors.unknownInteraction();
    if (!isObject(body))
      throw DiscordErrors.invalidFormBody(buildErrorsTree([], DiscordFieldErrors.notObject()));
    const type = body['type'];
    const allowed = ALLOWED_CALLBACKS[record.type] ?? [];
    if (typeof type !== 'number' || !allowed.includes(type)) {
      throw DiscordErrors.invalidFormBody(
        buildErrorsTree(
          ['type'],
          typeof type === 'number' ? DiscordFieldErrors.choices(allowed) : DiscordFieldErrors.required(),
        ),
      );
    }
    const data = isObject(body['data']) ? body['data'] : {};
    let message: MessageRecord | null = null;
    let response: Omit<InteractionResponse, 'at'>;
    switch (type) {
      case Callback.ChannelMessageWithSource:
      case Callback.DeferredChannelMessageWithSource: {
        const deferred = type === Callback.DeferredChannelMessageWithSource;
        if (!deferred) this.#validate(data, files, false);
        message = this.deps.messages.create({
          channel: this.deps.store.requireChannel(record.channelId),
          author: {
            kind: 'interaction',
            interaction: {
              id: record.id,
              type: record.type,
              userId: record.userId,
              name: record.commandName,
            },
          },
          payload: deferred ? { flags: data['flags'] } : data,
          files: deferred ? [] : files,
          reference: null,
          type: this.#messageType(record),
          extraFlags: deferred ? LOADING_FLAG : 0,
        });
        record.originalMessageId = message.id;
        record.messageIds.add(message.id);
        response = this.#messageResponse('callback', type, message);
        break;
      }
      case Callback.DeferredUpdateMessage:
        response = this.#emptyResponse('callback', type);
        break;
      case Callback.UpdateMessage: {
        this.#validate(data, files, true);
        const source = record.sourceMessageId
          ? this.deps.store.messages.get(record.sourceMessageId)
          : undefined;
        if (!source || source.deleted) throw DiscordErrors.unknownMessage();
        message = this.deps.messages.edit(source, data, files);
        response = this.#messageResponse('callback', type, message);
        break;
      }
      case Callback.AutocompleteResult: {
        const choices = data['choices'];
        if (!Array.isArray(choices)) {
          throw DiscordErrors.invalidFormBody(
            buildErrorsTree(['data', 'choices'], DiscordFieldErrors.required()),
          );
        }
        if (choices.length > 25) {
          throw DiscordErrors.invalidFormBody(
            buildErrorsTree(['data', 'choices'], DiscordFieldErrors.maxLength(25)),
          );
        }
        response = { ...this.#emptyResponse('callback', type), choices };
        break;
      }
      case Callback.Modal:
        if (typeof data['custom_id'] !== 'string' || typeof data['title'] !== 'string') {
          throw DiscordErrors.invalidFormBody(
            buildErrorsTree(
              ['data', typeof data['custom_id'] !== 'string' ? 'custom_id' : 'title'],
              DiscordFieldErrors.required(),
            ),
          );
        }
        response = { ...this.#emptyResponse('callback', type), modal: data };
        break;
      default:
        response = this.#emptyResponse('callback', type);
    }
    record.callbackType = type;
    record.handle.record({ ...response, at: this.deps.now() });
    if (!withResponse) return { status: 204 };
    return {
      status: 200,
      body: {
        interaction: {
          id: record.id,
          type: record.type,
          activity_instance_id: null,
          response_message_id: message?.id ?? null,
          response_message_loading: message ? (message.flags & LOADING_FLAG) !== 0 : null,
          response_message_ephemeral: message ? (message.flags & EPHEMERAL_FLAG) !== 0 : null,
        },
        resource: { type, ...(message ? { message: this.deps.serializer.message(message) } : {}) },
      },
    };
  }

  /** Whether `token` is a live interaction token (so `/webhooks/{appId}/{token}` is the interaction webhook). */
  isInteractionWebhook(webhookId: string, token: string): boolean {
    return webhookId === this.deps.applicationId && this.#byToken.has(token);
  }

  /** `POST /webhooks/{appId}/{token}`: a follow-up (the first one after a deferral fills the loading message). */
  followUp(
    token: string,
    body: unknown,
    files: readonly UploadedFile[],
    wait: boolean,
  ): { status: number; body?: unknown } {
    const record = this.#webhookRecord(token);
    if (record.callbackType === null || record.type === InteractionType.Autocomplete)
      throw DiscordErrors.unknownWebhook();
    const payload = this.#validate(body, files, false);
    const original = record.originalMessageId
      ? this.deps.store.messages.get(record.originalMessageId)
      : undefined;
    let message: MessageRecord;
    if (original && !original.deleted && (original.flags & LOADING_FLAG) !== 0) {
      message = this.deps.messages.edit(original, payload, files);
    } else {
      message = this.deps.messages.create({
        channel: this.deps.store.requireChannel(record.channelId),
        author: {
          kind: 'interaction',
          interaction: { id: record.id, type: record.type, userId: record.userId, name: record.commandName },
        },
        payload,
        files,
        reference: null,
        type: 0,
      });
      record.messageIds.add(message.id);
    }
    record.handle.record({ ...this.#messageResponse('followup', null, message), at: this.deps.now() });
    return wait ? { status: 200, body: this.deps.serializer.message(message) } : { status: 204 };
  }

  /** `GET /webhooks/{appId}/{token}/messages/{id|@original}`. */
  getMessage(token: string, messageId: string): { status: number; body: unknown } {
    const message = this.#message(this.#webhookRecord(token), messageId);
    return { status: 200, body: this.deps.serializer.message(message) };
  }

  /** `PATCH /webhooks/{appId}/{token}/messages/{id|@original}`. */
  editMessage(
    token: string,
    messageId: string,
    body: unknown,
    files: readonly UploadedFile[],
  ): { status: number; body: unknown } {
    const record = this.#webhookRecord(token);
    const message = this.#message(record, messageId);
    const payload = this.#validate(body, files, true);
    this.deps.messages.edit(message, payload, files);
    record.handle.record({ ...this.#messageResponse('edit', null, message), at: this.deps.now() });
    return { status: 200, body: this.deps.serializer.message(message) };
  }

  /** `DELETE /webhooks/{appId}/{token}/messages/{id|@original}`. */
  deleteMessage(token: string, messageId: string): { status: number } {
    const record = this.#webhookRecord(token);
    const message = this.#message(record, messageId);
    this.deps.messages.delete(message);
    record.handle.record({ ...this.#messageResponse('delete', null, message), at: this.deps.now() });
    return { status: 204 };
  }

  #webhookRecord(token: string): InteractionRecord {
    const record = this.#byToken.get(token);
    if (!record || this.deps.now() - record.dispatchedAt > this.deps.tokenTtlMs)
      throw DiscordErrors.unknownWebhook();
    return record;
  }

  #message(record: InteractionRecord, messageId: string): MessageRecord {
    const id =
      messageId === '@original'
        ? (record.originalMessageId ??
          (record.callbackType === Callback.DeferredUpdateMessage ||
          record.callbackType === Callback.UpdateMessage
            ? record.sourceMessageId
            : null))
        : messageId;
    const allowed = id !== null && (record.messageIds.has(id) || id === record.sourceMessageId);
    const message = id ? this.deps.store.messages.get(id) : undefined;
    if (!allowed || !message || message.deleted) throw DiscordErrors.unknownMessage();
    return message;
  }

  #validate(body: unknown, files: readonly UploadedFile[], isEdit: boolean): Record<string, unknown> {
    const payload = isObject(body) ? body : {};
    const withFiles =
      files.length > 0 && !Array.isArray(payload['attachments'])
        ? { ...payload, attachments: files.map((_, index) => ({ id: index })) }
        : payload;
    const error = validateMessagePayload(withFiles, { isWebhook: false, isEdit });
    if (error) throw error;
    return payload;
  }

  #messageType(record: InteractionRecord): number {
    if (record.type !== InteractionType.ApplicationCommand) return 0;
    // CHAT_INPUT_COMMAND for slash commands, CONTEXT_MENU_COMMAND for user/message commands.
    return record.commandType === 1 ? 20 : 23;
  }

  #messageResponse(
    kind: InteractionResponse['kind'],
    callbackType: number | null,
    message: MessageRecord,
  ): Omit<InteractionResponse, 'at'> {
    return {
      kind,
      callbackType,
      messageId: message.id,
      content: message.content,
      embeds: message.embeds,
      components: message.components,
      flags: message.flags,
      attachments: message.attachments.map(({ filename, contentType, data }) => ({
        filename,
        contentType,
        data,
      })),
      choices: null,
      modal: null,
    };
  }

  #emptyResponse(kind: InteractionResponse['kind'], callbackType: number): Omit<InteractionResponse, 'at'> {
    return {
      kind,
      callbackType,
      messageId: null,
      content: null,
      embeds: [],
      components: [],
      flags: 0,
      attachments: [],
      choices: null,
      modal: null,
    };
  }
}
