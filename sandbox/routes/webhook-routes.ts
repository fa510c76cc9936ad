import { createHash } from 'node:crypto';
import { PermissionFlags } from '../channel-permissions.js';
import { buildErrorsTree, DiscordErrors, DiscordFieldErrors, DiscordHttpError } from '../discord-errors.js';
import { validateMessagePayload, validateWebhookName } from '../discord-rules.js';
import { GatewayIntents } from '../gateway-intents.js';
import type { RestRequest, RestRouter } from '../rest-router.js';
import { type ChannelRecord, ChannelType, type MessageRecord, type WebhookRecord } from '../sandbox-store.js';
import { createWebhook } from '../webhook-creation.js';
import {
  cannotExecuteOnChannelType,
  isObject,
  type RouteContext,
  requireBotPermissions,
  requireVisibleChannel,
} from './route-context.js';

/** Discord's answer when the token in a webhook URL is wrong. */
function invalidWebhookToken(): DiscordHttpError {
  return new DiscordHttpError(401, { message: 'Invalid Webhook Token', code: 50027 });
}

/** Webhooks may only live on text and forum channels (not threads, not DMs). */
function requireWebhookChannel(channel: ChannelRecord): void {
  if (channel.type !== ChannelType.GuildText && channel.type !== ChannelType.GuildForum) {
    throw cannotExecuteOnChannelType();
  }
}

/** `avatar` of a create/modify body: a data URI image, or null to clear. Returns the stored hash. */
function parseAvatar(value: unknown): string | null | undefined {
  if (value === undefined) return undefined;
  if (value === null) return null;
  if (
    typeof value !== 'string' ||
    !/^data:image\/(?:png|jpeg|jpg|gif|webp);base64,[A-Za-z0-9+/=]+$/.test(value)
  ) {
    throw DiscordErrors.invalidFormBody(
      buildErrorsTree(['avatar'], { code: 'IMAGE_INVALID', message: 'Invalid image data' }),
    );
  }
  return createHash('md5').update(value).digest('hex');
}

function parseBooleanQuery(value: string | null): boolean {
  return value === 'true' || value === '1' || value === 'True';
}

/** Webhook management, execution and webhook-message routes, plus the interaction webhook that shares them. */
export function registerWebhookRoutes(router: RestRouter, context: RouteContext): void {
  const { store, serializer } = context;

  const dispatchWebhooksUpdate = (webhook: WebhookRecord): void => {
    context.gateway.dispatch(
      'WEBHOOKS_UPDATE',
      { guild_id: webhook.guildId, channel_id: webhook.channelId },
      { guildId: webhook.guildId, intent: GatewayIntents.GuildWebhooks },
    );
  };

  /** A webhook by id for bot-authenticated routes: exists, and the bot may manage webhooks in its channel. */
  const requireManagedWebhook = (webhookId: string): WebhookRecord => {
    const webhook = store.webhooks.get(webhookId);
    if (!webhook) throw DiscordErrors.unknownWebhook();
    const channel = requireVisibleChannel(context, webhook.channelId);
    requireBotPermissions(context, channel, PermissionFlags.ManageWebhooks);
    return webhook;
  };

  /** A webhook by id and token for token-authenticated routes. */
  const requireTokenWebhook = (webhookId: string, token: string): WebhookRecord => {
    const webhook = store.webhooks.get(webhookId);
    if (!webhook) throw DiscordErrors.unknownWebhook();
    if (webhook.token !== token) throw invalidWebhookToken();
    return webhook;
  };

  const applyModify = (webhook: WebhookRecord, body: unknown, allowChannel: boolean): void => {
    const payload = isObject(body) ? body : {};
    if (payload['name'] !== undefined) {
      const invalid = validateWebhookName(payload['name']);
      if (invalid) throw invalid;
    }
    const avatar = parseAvatar(payload['avatar']);
    let channelId = webhook.channelId;
    if (
      allowChannel &&
      typeof payload['channel_id'] === 'string' &&
      payload['channel_id'] !== webhook.channelId
    ) {
      const target = requireVisibleChannel(context, payload['channel_id']);
      if (target.guildId !== webhook.guildId) throw DiscordErrors.unknownChannel();
      requireWebhookChannel(target);
      requireBotPermissions(context, target, PermissionFlags.ManageWebhooks);
      channelId = target.id;
    }
    if (typeof payload['name'] === 'string') webhook.name = payload['name'].trim();
    if (avatar !== undefined) webhook.avatar = avatar;
    webhook.channelId = channelId;
    dispatchWebhooksUpdate(webhook);
  };

  router.add({
    method: 'POST',
    template: '/channels/:channelId/webhooks',
    auth: 'bot',
    handler: ({ params, body }) => {
      const channel = requireVisibleChannel(context, params['channelId'] ?? '');
      requireWebhookChannel(channel);
      requireBotPermissions(context, channel, PermissionFlags.ManageWebhooks);
      const payload = isObject(body) ? body : {};
      const webhook = createWebhook(store, {
        channel,
        name: payload['name'],
        avatar: parseAvatar(payload['avatar']) ?? null,
        creatorId: context.botUserId,
        applicationId: context.applicationId,
      });
      dispatchWebhooksUpdate(webhook);
      return { status: 200, body: serializer.webhook(webhook, { withToken: true, withUser: true }) };
    },
  });

  router.add({
    method: 'GET',
    template: '/channels/:channelId/webhooks',
    auth: 'bot',
    handler: ({ params }) => {
      const channel = requireVisibleChannel(context, params['channelId'] ?? '');
      requireWebhookChannel(channel);
      requireBotPermissions(context, channel, PermissionFlags.ManageWebhooks);
      const webhooks = [...store.webhooks.values()].filter((webhook) => webhook.channelId === channel.id);
      return {
        status: 200,
        body: webhooks.map((webhook) => serializer.webhook(webhook, { withToken: true, withUser: true })),
      };
    },
  });

  router.add({
    method: 'GET',
    template: '/guilds/:guildId/webhooks',
    auth: 'bot',
    handler: ({ params }) => {
      const guild = store.guilds.get(params['guildId'] ?? '');
      if (!guild?.members.has(context.botUserId)) {
        throw new DiscordHttpError(404, { message: 'Unknown Guild', code: 10004 });
      }
      if ((store.guildPermissions(guild.id, context.botUserId) & PermissionFlags.ManageWebhooks) === 0n) {
        throw DiscordErrors.missingPermissions();
      }
      const webhooks = [...store.webhooks.values()].filter((webhook) => webhook.guildId === guild.id);
      return {
        status: 200,
        body: webhooks.map((webhook) => serializer.webhook(webhook, { withToken: true, withUser: true })),
      };
    },
  });

  router.add({
    method: 'GET',
    template: '/webhooks/:webhookId',
    auth: 'bot',
    handler: ({ params }) => ({
      status: 200,
      body: serializer.webhook(requireManagedWebhook(params['webhookId'] ?? ''), {
        withToken: true,
        withUser: true,
      }),
    }),
  });

  router.add({
    method: 'PATCH',
    template: '/webhooks/:webhookId',
    auth: 'bot',
    handler: ({ params, body }) => {
      const webhook = requireManagedWebhook(params['webhookId'] ?? '');
      applyModify(webhook, body, true);
      return { status: 200, body: serializer.webhook(webhook, { withToken: true, withUser: true }) };
    },
  });

  router.add({
    method: 'DELETE',
    template: '/webhooks/:webhookId',
    auth: 'bot',
    handler: ({ params }) => {
      const webhook = requireManagedWebhook(params['webhookId'] ?? '');
      store.webhooks.delete(webhook.id);
      dispatchWebhooksUpdate(webhook);
      return { status: 204 };
    },
  });

  router.add({
    method: 'GET',
    template: '/webhooks/:webhookId/:token',
    auth: 'none',
    handler: ({ params }) => ({
      status: 200,
      body: serializer.webhook(requireTokenWebhook(params['webhookId'] ?? '', params['token'] ?? ''), {
        withToken: true,
        withUser: false,
      }),
    }),
  });

  router.add({
    method: 'PATCH',
    template: '/webhooks/:webhookId/:token',
    auth: 'none',
    handler: ({ params, body }) => {
      const webhook = requireTokenWebhook(params['webhookId'] ?? '', params['token'] ?? '');
      applyModify(webhook, body, false);
      return { status: 200, body: serializer.webhook(webhook, { withToken: true, withUser: false }) };
    },
  });

  router.add({
    method: 'DELETE',
    template: '/webhooks/:webhookId/:token',
    auth: 'none',
    handler: ({ params }) => {
      const webhook = requireTokenWebhook(params['webhookId'] ?? '', params['token'] ?? '');
      store.webhooks.delete(webhook.id);
      dispatchWebhooksUpdate(webhook);
      return { status: 204 };
    },
  });

  /** Where an execute lands: the webhook's channel, a thread of it (`thread_id`), or a new forum post. */
  const resolveTarget = (
    webhook: WebhookRecord,
    request: RestRequest,
    payload: Record<string, unknown>,
  ): ChannelRecord => {
    const channel = store.channels.get(webhook.channelId);
    if (!channel) throw DiscordErrors.unknownChannel();
    const threadId = request.query.get('thread_id');
    if (threadId !== null) {
      if (!/^\d{1,20}$/.test(threadId)) {
        throw DiscordErrors.invalidFormBody(
          buildErrorsTree(['thread_id'], DiscordFieldErrors.notSnowflake(threadId)),
        );
      }
      const thread = store.channels.get(threadId);
      if (!thread || thread.type !== ChannelType.PublicThread || thread.parentId !== channel.id) {
        throw new DiscordHttpError(400, { message: 'Unknown Channel', code: 10003 });
      }
      return thread;
    }
    const threadName = payload['thread_name'];
    if (typeof threadName === 'string' && threadName.trim() !== '') {
      if (channel.type !== ChannelType.GuildForum) {
        throw new DiscordHttpError(400, {
          message: 'Webhooks can only create threads in forum channels',
          code: 220003,
        });
      }
      const thread = store.createChannel({
        type: ChannelType.PublicThread,
        guildId: channel.guildId,
        name: threadName.trim(),
        parentId: channel.id,
        ownerId: webhook.id,
      });
      context.gateway.dispatch(
        'THREAD_CREATE',
        { ...serializer.channel(thread), newly_created: true },
        { guildId: thread.guildId, intent: GatewayIntents.Guilds },
      );
      return thread;
    }
    if (channel.type === ChannelType.GuildForum) {
      throw new DiscordHttpError(400, {
        message: 'Webhooks posted to forum channels must have a thread_name or thread_id',
        code: 220001,
      });
    }
    return channel;
  };

  const withUploads = (request: RestRequest): Record<string, unknown> => {
    const body = isObject(request.body) ? request.body : {};
    return request.files.length > 0 && !Array.isArray(body['attachments'])
      ? { ...body, attachments: request.files.map((_, index) => ({ id: index })) }
      : body;
  };

  router.add({
    method: 'POST',
    template: '/webhooks/:webhookId/:token',
    auth: 'none',
    channelFor: (params) => store.webhooks.get(params['webhookId'] ?? '')?.channelId,
    handler: (request) => {
      const webhookId = request.params['webhookId'] ?? '';
      const token = request.params['token'] ?? '';
      const wait = parseBooleanQuery(request.query.get('wait'));
      if (context.interactions.isInteractionWebhook(webhookId, token)) {
        return context.interactions.followUp(token, request.body, request.files, wait);
      }
      const webhook = requireTokenWebhook(webhookId, token);
      const invalid = validateMessagePayload(withUploads(request), { isWebhook: true });
      if (invalid) throw invalid;
      const body = isObject(request.body) ? request.body : {};
      const target = resolveTarget(webhook, request, body);
      const username =
        typeof body['username'] === 'string' && body['username'].trim() !== ''
          ? body['username'].trim()
          : webhook.name;
      const avatarUrl =
        typeof body['avatar_url'] === 'string' && body['avatar_url'] !== '' ? body['avatar_url'] : null;
      // Execute Webhook has no `message_reference`: Discord drops it, so the message is never a reply.
      const { message_reference: _ignored, ...payload } = body;
      const message = context.messages.create({
        channel: target,
        author: {
          kind: 'webhook',
          webhookId: webhook.id,
          username,
          avatarUrl,
          applicationId: webhook.applicationId,
        },
        payload,
        files: request.files,
        reference: null,
        type: 0,
      });
      return wait ? { status: 200, body: serializer.message(message) } : { status: 204 };
    },
  });

  /** A message a webhook posted, looked up in the channel `thread_id` names (Discord needs it for threads). */
  const requireWebhookMessage = (webhook: WebhookRecord, request: RestRequest): MessageRecord => {
    const message = store.messages.get(request.params['messageId'] ?? '');
    const channelId = request.query.get('thread_id') ?? webhook.channelId;
    if (!message || message.deleted || message.webhookId !== webhook.id || message.channelId !== channelId) {
      throw DiscordErrors.unknownMessage();
    }
    return message;
  };

  router.add({
    method: 'GET',
    template: '/webhooks/:webhookId/:token/messages/:messageId',
    auth: 'none',
    handler: (request) => {
      const { webhookId = '', token = '', messageId = '' } = request.params;
      if (context.interactions.isInteractionWebhook(webhookId, token)) {
        return context.interactions.getMessage(token, messageId);
      }
      const webhook = requireTokenWebhook(webhookId, token);
      return { status: 200, body: serializer.message(requireWebhookMessage(webhook, request)) };
    },
  });

  router.add({
    method: 'PATCH',
    template: '/webhooks/:webhookId/:token/messages/:messageId',
    auth: 'none',
    handler: (request) => {
      const { webhookId = '', token = '', messageId = '' } = request.params;
      if (context.interactions.isInteractionWebhook(webhookId, token)) {
        return context.interactions.editMessage(token, messageId, request.body, request.files);
      }
      const webhook = requireTokenWebhook(webhookId, token);
      const message = requireWebhookMessage(webhook, request);
      const invalid = validateMessagePayload(withUploads(request), { isWebhook: true, isEdit: true });
      if (invalid) throw invalid;
      context.messages.edit(message, isObject(request.body) ? request.body : {}, request.files);
      return { status: 200, body: serializer.message(message) };
    },
  });

  router.add({
    method: 'DELETE',
    template: '/webhooks/:webhookId/:token/messages/:messageId',
    auth: 'none',
    handler: (request) => {
      const { webhookId = '', token = '', messageId = '' } = request.params;
      if (context.interactions.isInteractionWebhook(webhookId, token)) {
        return context.interactions.deleteMessage(token, messageId);
      }
      const webhook = requireTokenWebhook(webhookId, token);
      context.messages.delete(requireWebhookMessage(webhook, request));
      return { status: 204 };
    },
  });
}
