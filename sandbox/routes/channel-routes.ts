import { hasPermissions, PermissionFlags } from '../channel-permissions.js';
import { buildErrorsTree, DiscordErrors, DiscordFieldErrors, DiscordHttpError } from '../discord-errors.js';
import { validateBulkDelete, validateMessagePayload } from '../discord-rules.js';
import { GatewayIntents } from '../gateway-intents.js';
import type { RestRequest, RestRouter } from '../rest-router.js';
import {
  type ChannelRecord,
  ChannelType,
  type MessageRecord,
  type MessageReferenceRecord,
} from '../sandbox-store.js';
import {
  botPermissionsIn,
  cannotExecuteOnChannelType,
  isObject,
  type RouteContext,
  requireBotPermissions,
  requireVisibleChannel,
  sendPermissionFor,
} from './route-context.js';

/** Discord's answer for posting into a forum or other non-text channel. */
function nonTextChannel(): DiscordHttpError {
  return new DiscordHttpError(400, { message: 'Cannot send messages in a non-text channel', code: 50008 });
}

/** The payload to validate: uploaded files count as attachments even when `attachments` was not described. */
function withUploads(request: RestRequest): Record<string, unknown> {
  const body = isObject(request.body) ? request.body : {};
  if (request.files.length > 0 && !Array.isArray(body['attachments'])) {
    return { ...body, attachments: request.files.map((_, index) => ({ id: index })) };
  }
  return body;
}

/** Resolves `message_reference` of a create-message body (replies only; forwards are not modelled). */
function resolveReference(
  context: RouteContext,
  channelId: string,
  guildId: string | null,
  value: unknown,
): MessageReferenceRecord | null {
  if (value === undefined || value === null) return null;
  if (!isObject(value)) {
    throw DiscordErrors.invalidFormBody(
      buildErrorsTree(['message_reference'], {
        code: 'MODEL_TYPE_CONVERT',
        message: 'Only dictionaries may be used in a ModelType',
      }),
    );
  }
  const messageId = value['message_id'];
  const referencedChannel = value['channel_id'] ?? channelId;
  const target = typeof messageId === 'string' ? context.store.messages.get(messageId) : undefined;
  const found =
    target !== undefined &&
    !target.deleted &&
    target.channelId === channelId &&
    referencedChannel === channelId;
  if (!found) {
    if (value['fail_if_not_exists'] === false) return null;
    throw DiscordErrors.invalidFormBody(
      buildErrorsTree(['message_reference'], {
        code: 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE',
        message: 'Unknown message',
      }),
    );
  }
  return { messageId: target.id, channelId, guildId };
}

function parseLimit(raw: string | null): number {
  if (raw === null) return 50;
  const limit = Number(raw);
  if (!Number.isInteger(limit)) {
    throw DiscordErrors.invalidFormBody(
      buildErrorsTree(['limit'], { code: 'NUMBER_TYPE_COERCE', message: `Value "${raw}" is not int.` }),
    );
  }
  if (limit < 1 || limit > 100) {
    throw DiscordErrors.invalidFormBody(
      buildErrorsTree(['limit'], {
        code: limit < 1 ? 'NUMBER_TYPE_MIN' : 'NUMBER_TYPE_MAX',
        message:
          limit < 1
            ? 'int value should be greater than or equal to 1.'
            : 'int value should be less than or equal to 100.',
      }),
    );
  }
  return limit;
}

/** A snowflake query parameter, or null when absent; 50035 when it is not one. */
function snowflakeQuery(query: URLSearchParams, name: string): bigint | null {
  const value = query.get(name);
  if (value === null) return null;
  if (!/^\d{1,20}$/.test(value)) {
    throw DiscordErrors.invalidFormBody(buildErrorsTree([name], DiscordFieldErrors.notSnowflake(value)));
  }
  return BigInt(value);
}

/** Messages per Discord's paging rules: newest first; `around` centres the window on an id. */
function pageMessages(all: MessageRecord[], query: URLSearchParams): MessageRecord[] {
  const limit = parseLimit(query.get('limit'));
  const id = (message: MessageRecord): bigint => BigInt(message.id);
  const before = snowflakeQuery(query, 'before');
  const after = snowflakeQuery(query, 'after');
  const around = snowflakeQuery(query, 'around');
  if (around !== null) {
    const older = all.filter((message) => id(message) < around).slice(-Math.floor(limit / 2));
    const newer = all.filter((message) => id(message) >= around).slice(0, limit - older.length);
    return [...older, ...newer].reverse();
  }
  if (after !== null) {
    return all
      .filter((message) => id(message) > after)
      .slice(0, limit)
      .reverse();
  }
  return all
    .filter((message) => before === null || id(message) < before)
    .slice(-limit)
    .reverse();
}

/** A thread name: 1–100 characters. */
function requireThreadName(value: unknown): string {
  if (typeof value !== 'string') {
    throw DiscordErrors.invalidFormBody(
      buildErrorsTree(
        ['name'],
        value === undefined ? DiscordFieldErrors.required() : DiscordFieldErrors.notString(value),
      ),
    );
  }
  const length = [...value].length;
  if (length < 1 || length > 100) {
    throw DiscordErrors.invalidFormBody(buildErrorsTree(['name'], DiscordFieldErrors.badLength(1, 100)));
  }
  return value;
}

/** Channel, message and thread routes the bot uses. */
export function registerChannelRoutes(router: RestRouter, context: RouteContext): void {
  router.add({
    method: 'GET',
    template: '/channels/:channelId',
    auth: 'bot',
    handler: ({ params }) => ({
      status: 200,
      body: context.serializer.channel(requireVisibleChannel(context, params['channelId'] ?? '')),
    }),
  });

  router.add({
    method: 'POST',
    template: '/channels/:channelId/messages',
    auth: 'bot',
    channelFor: (params) => params['channelId'],
    handler: (request) => {
      const channel = requireVisibleChannel(context, request.params['channelId'] ?? '');
      if (channel.type === ChannelType.GuildForum) throw nonTextChannel();
      requireBotPermissions(context, channel, sendPermissionFor(channel));
      const payload = withUploads(request);
      const invalid = validateMessagePayload(payload, { isWebhook: false });
      if (invalid) throw invalid;
      if (request.files.length > 0) requireBotPermissions(context, channel, PermissionFlags.AttachFiles);
      const body = isObject(request.body) ? request.body : {};
      if (body['message_reference'] !== undefined && body['message_reference'] !== null) {
        // Replying needs Read Message History in the channel.
        requireBotPermissions(context, channel, PermissionFlags.ReadMessageHistory);
      }
      const reference = resolveReference(context, channel.id, channel.guildId, body['message_reference']);
      const message = context.messages.create({
        channel,
        author: { kind: 'user', userId: context.botUserId },
        payload: body,
        files: request.files,
        reference,
        type: reference ? 19 : 0,
      });
      return { status: 200, body: context.messages.forRest(message) };
    },
  });

  router.add({
    method: 'GET',
    template: '/channels/:channelId/messages',
    auth: 'bot',
    handler: ({ params, query }) => {
      const channel = requireVisibleChannel(context, params['channelId'] ?? '');
      // Without Read Message History Discord answers an empty page rather than an error.
      if (!hasPermissions(botPermissionsIn(context, channel), PermissionFlags.ReadMessageHistory)) {
        parseLimit(query.get('limit'));
        return { status: 200, body: [] };
      }
      const page = pageMessages(context.store.channelMessages(channel.id), query);
      return { status: 200, body: page.map((message) => context.messages.forRest(message)) };
    },
  });

  const requireChannelMessage = (channelId: string, messageId: string): MessageRecord => {
    const message = context.store.messages.get(messageId);
    if (!message || message.deleted || message.channelId !== channelId || (message.flags & 64) !== 0) {
      throw DiscordErrors.unknownMessage();
    }
    return message;
  };

  router.add({
    method: 'GET',
    template: '/channels/:channelId/messages/:messageId',
    auth: 'bot',
    handler: ({ params }) => {
      const channel = requireVisibleChannel(context, params['channelId'] ?? '');
      if (!hasPermissions(botPermissionsIn(context, channel), PermissionFlags.ReadMessageHistory)) {
        throw DiscordErrors.missingAccess();
      }
      const message = requireChannelMessage(channel.id, params['messageId'] ?? '');
      return { status: 200, body: context.messages.forRest(message) };
    },
  });

  router.add({
    method: 'PATCH',
    template: '/channels/:channelId/messages/:messageId',
    auth: 'bot',
    handler: (request) => {
      const channel = requireVisibleChannel(context, request.params['channelId'] ?? '');
      const message = requireChannelMessage(channel.id, request.params['messageId'] ?? '');
      if (message.authorId !== context.botUserId || message.webhookId !== null) {
        throw new DiscordHttpError(403, {
          message: 'Cannot edit a message authored by another user',
          code: 50005,
        });
      }
      const invalid = validateMessagePayload(withUploads(request), { isWebhook: false, isEdit: true });
      if (invalid) throw invalid;
      const body = isObject(request.body) ? request.body : {};
      const edited = context.messages.edit(message, body, request.files);
      return { status: 200, body: context.messages.forRest(edited) };
    },
  });

  router.add({
    method: 'DELETE',
    template: '/channels/:channelId/messages/:messageId',
    auth: 'bot',
    handler: ({ params }) => {
      const channel = requireVisibleChannel(context, params['channelId'] ?? '');
      const message = requireChannelMessage(channel.id, params['messageId'] ?? '');
      if (message.authorId !== context.botUserId) {
        if (channel.guildId === null) throw DiscordErrors.cannotExecuteOnDm();
        requireBotPermissions(context, channel, PermissionFlags.ManageMessages);
      }
      context.messages.delete(message);
      return { status: 204 };
    },
  });

  router.add({
    method: 'POST',
    template: '/channels/:channelId/messages/bulk-delete',
    auth: 'bot',
    handler: ({ params, body }) => {
      const channel = requireVisibleChannel(context, params['channelId'] ?? '');
      if (channel.guildId === null) throw DiscordErrors.cannotExecuteOnDm();
      requireBotPermissions(context, channel, PermissionFlags.ManageMessages);
      const checked = validateBulkDelete(body, context.store.now());
      if (checked.error) throw checked.error;
      context.messages.bulkDelete(channel, checked.ids);
      return { status: 204 };
    },
  });

  const announceThread = (thread: ChannelRecord): void => {
    context.gateway.dispatch(
      'THREAD_CREATE',
      { ...context.serializer.channel(thread), newly_created: true },
      { guildId: thread.guildId, intent: GatewayIntents.Guilds },
    );
  };

  router.add({
    method: 'POST',
    template: '/channels/:channelId/threads',
    auth: 'bot',
    handler: (request) => {
      const parent = requireVisibleChannel(context, request.params['channelId'] ?? '');
      if (parent.type !== ChannelType.GuildText && parent.type !== ChannelType.GuildForum) {
        throw cannotExecuteOnChannelType();
      }
      const body = isObject(request.body) ? request.body : {};
      const name = requireThreadName(body['name']);
      if (parent.type === ChannelType.GuildText) {
        // Only public threads are modelled; private threads (type 12) are refused rather than faked.
        if (body['type'] !== undefined && body['type'] !== ChannelType.PublicThread) {
          throw DiscordErrors.invalidFormBody(buildErrorsTree(['type'], DiscordFieldErrors.choices([11])));
        }
        requireBotPermissions(context, parent, PermissionFlags.CreatePublicThreads);
        const thread = context.store.createChannel({
          type: ChannelType.PublicThread,
          guildId: parent.guildId,
          name,
          parentId: parent.id,
          ownerId: context.botUserId,
        });
        announceThread(thread);
        return { status: 201, body: context.serializer.channel(thread) };
      }
      // A forum post: a thread plus its starter message, which shares the thread's id.
      requireBotPermissions(context, parent, PermissionFlags.SendMessages);
      if (!isObject(body['message'])) {
        throw DiscordErrors.invalidFormBody(buildErrorsTree(['message'], DiscordFieldErrors.required()));
      }
      const starter = body['message'];
      const invalid = validateMessagePayload(
        request.files.length > 0 && !Array.isArray(starter['attachments'])
          ? { ...starter, attachments: request.files.map((_, index) => ({ id: index })) }
          : starter,
        { isWebhook: false },
      );
      if (invalid) throw invalid;
      const thread = context.store.createChannel({
        type: ChannelType.PublicThread,
        guildId: parent.guildId,
        name,
        parentId: parent.id,
        ownerId: context.botUserId,
      });
      announceThread(thread);
      const message = context.messages.create({
        id: thread.id,
        channel: thread,
        author: { kind: 'user', userId: context.botUserId },
        payload: starter,
        files: request.files,
        reference: null,
        type: 0,
      });
      return {
        status: 201,
        body: { ...context.serializer.channel(thread), message: context.messages.forRest(message) },
      };
    },
  });

  router.add({
    method: 'POST',
    template: '/channels/:channelId/messages/:messageId/threads',
    auth: 'bot',
    handler: ({ params, body }) => {
      const parent = requireVisibleChannel(context, params['channelId'] ?? '');
      if (parent.type !== ChannelType.GuildText) throw cannotExecuteOnChannelType();
      const message = requireChannelMessage(parent.id, params['messageId'] ?? '');
      const name = requireThreadName(isObject(body) ? body['name'] : undefined);
      requireBotPermissions(context, parent, PermissionFlags.CreatePublicThreads);
      if (context.store.channels.has(message.id)) {
        throw new DiscordHttpError(400, {
          message: 'A thread has already been created for this message',
          code: 160004,
        });
      }
      // A thread started from a message takes the message's id.
      const thread = context.store.createChannel({
        id: message.id,
        type: ChannelType.PublicThread,
        guildId: parent.guildId,
        name,
        parentId: parent.id,
        ownerId: context.botUserId,
      });
      announceThread(thread);
      return { status: 201, body: context.serializer.channel(thread) };
    },
  });

  router.add({
    method: 'POST',
    template: '/channels/:channelId/typing',
    auth: 'bot',
    handler: ({ params }) => {
      const channel = requireVisibleChannel(context, params['channelId'] ?? '');
      if (channel.type === ChannelType.GuildForum) throw nonTextChannel();
      requireBotPermissions(context, channel, sendPermissionFor(channel));
      return { status: 204 };
    },
  });
}
