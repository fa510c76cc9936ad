import type { ApiSerializer } from '../api-serializer.js';
import { hasPermissions, PermissionFlags } from '../channel-permissions.js';
import { DiscordErrors, DiscordHttpError } from '../discord-errors.js';
import type { GatewayServer } from '../gateway-server.js';
import type { InteractionService } from '../interaction-service.js';
import type { MessageService } from '../message-service.js';
import { type ChannelRecord, ChannelType, type SandboxStore } from '../sandbox-store.js';

/** What every route module works with. */
export interface RouteContext {
  readonly store: SandboxStore;
  readonly serializer: ApiSerializer;
  readonly gateway: GatewayServer;
  readonly messages: MessageService;
  readonly interactions: InteractionService;
  readonly botUserId: string;
  readonly applicationId: string;
  /** `ws://host:port/gateway`. */
  readonly gatewayUrl: () => string;
  readonly enabledPrivilegedIntents: () => number;
}

/** Discord's answer when an action does not apply to a channel's type (threads, DMs, forums). */
export function cannotExecuteOnChannelType(): DiscordHttpError {
  return new DiscordHttpError(400, { message: 'Cannot execute action on this channel type', code: 50024 });
}

/**
 * A channel the bot can see: 10003 when it does not exist, 50001 Missing Access when the bot lacks View Channel
 * (or is not in its guild). DMs are the bot's own.
 */
export function requireVisibleChannel(context: RouteContext, channelId: string): ChannelRecord {
  const channel = context.store.channels.get(channelId);
  if (!channel) throw DiscordErrors.unknownChannel();
  if (channel.guildId === null) return channel;
  const permissions = context.store.channelPermissions(channel, context.botUserId);
  if (!hasPermissions(permissions, PermissionFlags.ViewChannel)) throw DiscordErrors.missingAccess();
  return channel;
}

/** The bot's permissions in a channel; everything a DM allows for DMs. */
export function botPermissionsIn(context: RouteContext, channel: ChannelRecord): bigint {
  if (channel.guildId === null) {
    return (
      PermissionFlags.ViewChannel |
      PermissionFlags.SendMessages |
      PermissionFlags.ReadMessageHistory |
      PermissionFlags.EmbedLinks |
      PermissionFlags.AttachFiles |
      PermissionFlags.AddReactions
    );
  }
  return context.store.channelPermissions(channel, context.botUserId);
}

/** Throws 50013 unless the bot holds `required` in `channel`. */
export function requireBotPermissions(context: RouteContext, channel: ChannelRecord, required: bigint): void {
  if (!hasPermissions(botPermissionsIn(context, channel), required)) throw DiscordErrors.missingPermissions();
}

/** The send permission for a channel: threads need Send Messages in Threads instead of Send Messages. */
export function sendPermissionFor(channel: ChannelRecord): bigint {
  return channel.type === ChannelType.PublicThread
    ? PermissionFlags.SendMessagesInThreads
    : PermissionFlags.SendMessages;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
