import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiSerializer } from './api-serializer.js';
import { hasPermissions, PermissionFlags } from './channel-permissions.js';
import { DiscordErrors } from './discord-errors.js';
import { validateMessagePayload } from './discord-rules.js';
import { GatewayIntents } from './gateway-intents.js';
import type { GatewayServer } from './gateway-server.js';
import type { MessageService } from './message-service.js';
import type { TranscriptEntry } from './sandbox-events.js';
import { type ChannelRecord, ChannelType, type SandboxStore, type WebhookRecord } from './sandbox-store.js';
import { createWebhook } from './webhook-creation.js';

/** PluralKit's public application id (its bot user's id too). */
export const PLURALKIT_APPLICATION_ID = '466378653216014359';

/** What a proxy bot needs in a server: what PluralKit asks for when invited. */
export const PROXY_BOT_PERMISSIONS =
  PermissionFlags.ViewChannel |
  PermissionFlags.SendMessages |
  PermissionFlags.SendMessagesInThreads |
  PermissionFlags.ReadMessageHistory |
  PermissionFlags.ManageMessages |
  PermissionFlags.ManageWebhooks |
  PermissionFlags.EmbedLinks |
  PermissionFlags.AttachFiles;

/** Options of {@link ProxyBotPlayer.play} (and `DiscordSandbox.playProxyBot`). */
export interface PlayProxyBotOptions {
  /**
   * The proxy bot's application id (= its bot user's id). Its bot user, membership of the server and webhook in
   * the channel are made on first use. @defaultValue {@link PLURALKIT_APPLICATION_ID}
   */
  readonly applicationId?: string;
  /** The bot's username, and its webhook's name `<botName> Proxy Webhook`. @defaultValue 'PluralKit' */
  readonly botName?: string;
  /** The person's message the bot reposts, then deletes (or deletes, then reposts). */
  readonly originalMessageId: string;
  /** The member's name: the copy's webhook `username` (Discord's rules for it apply). */
  readonly memberName: string;
  readonly memberAvatarUrl?: string;
  /** The copy's text: the original's with its proxy tags stripped. */
  readonly content: string;
  /** PluralKit posts the copy, then deletes the original. @defaultValue 'copy-first' */
  readonly order?: 'copy-first' | 'delete-first';
  /** Milliseconds between the two events. @defaultValue 0 */
  readonly gapMs?: number;
}

/** What the proxy bot player needs from the sandbox. */
export interface ProxyBotPlayerDeps {
  readonly store: SandboxStore;
  readonly serializer: ApiSerializer;
  readonly gateway: GatewayServer;
  readonly messages: MessageService;
}

/**
 * Plays a proxy bot (PluralKit, Tupperbox): reposts a person's message through the bot's own webhook under a
 * member's name and deletes the original, emitting the gateway events Discord would (GUILD_MEMBER_ADD when the
 * bot joins, WEBHOOKS_UPDATE when it makes its webhook, MESSAGE_CREATE, MESSAGE_DELETE), under Discord's rules
 * (webhook names and usernames, 15 webhooks per channel, the bot's permissions).
 */
export class ProxyBotPlayer {
  constructor(private readonly deps: ProxyBotPlayerDeps) {}

  async play(input: PlayProxyBotOptions): Promise<TranscriptEntry> {
    const { store, messages } = this.deps;
    const applicationId = input.applicationId ?? PLURALKIT_APPLICATION_ID;
    const botName = input.botName ?? 'PluralKit';
    const original = store.requireMessage(input.originalMessageId);
    if (original.deleted) throw new Error('sandbox: the original message is already deleted');
    const channel = store.requireChannel(original.channelId);
    if (channel.guildId === null) throw new Error('sandbox: proxy bots repost in servers only');
    this.#joinServer(channel.guildId, applicationId, botName);
    // Webhooks live on the text channel; a thread's messages go through its parent's with `thread_id`.
    const webhookChannel =
      channel.type === ChannelType.PublicThread && channel.parentId !== null
        ? store.requireChannel(channel.parentId)
        : channel;
    const permissions = store.channelPermissions(channel, applicationId);
    if (
      !hasPermissions(
        permissions,
        PermissionFlags.ViewChannel | PermissionFlags.ManageWebhooks | PermissionFlags.ManageMessages,
      )
    ) {
      throw DiscordErrors.missingPermissions();
    }
    const webhook = this.#webhookFor(webhookChannel, applicationId, botName);
    const payload: Record<string, unknown> = {
      content: input.content,
      username: input.memberName,
      ...(input.memberAvatarUrl === undefined ? {} : { avatar_url: input.memberAvatarUrl }),
    };
    const invalid = validateMessagePayload(payload, { isWebhook: true });
    if (invalid) throw invalid;

    const post = () =>
      messages.create({
        channel,
        author: {
          kind: 'webhook',
          webhookId: webhook.id,
          username: input.memberName.trim(),
          avatarUrl: input.memberAvatarUrl ?? null,
          applicationId,
        },
        payload: { content: input.content },
        files: [],
        reference: null,
        type: 0,
      });
    const remove = () => {
      if (!original.deleted) messages.delete(original);
    };
    const gapMs = input.gapMs ?? 0;
    if (input.order === 'delete-first') {
      remove();
      if (gapMs > 0) await sleep(gapMs);
      return messages.transcriptEntry(post());
    }
    const copy = post();
    if (gapMs > 0) await sleep(gapMs);
    remove();
    return messages.transcriptEntry(copy);
  }

  /** The bot user, in the server with its integration role (as when invited); dispatches GUILD_MEMBER_ADD. */
  #joinServer(guildId: string, applicationId: string, botName: string): void {
    const { store, serializer, gateway } = this.deps;
    if (!store.users.has(applicationId))
      store.createUser({ id: applicationId, username: botName, bot: true });
    const guild = store.requireGuild(guildId);
    if (guild.members.has(applicationId)) return;
    const role = store.createRole(guildId, {
      name: botName,
      permissions: PROXY_BOT_PERMISSIONS,
      managed: true,
    });
    const member = store.addMember(guildId, applicationId, [role.id]);
    gateway.dispatch(
      'GUILD_MEMBER_ADD',
      { ...serializer.member(guild, member, { withUser: true }), guild_id: guildId },
      { guildId, intent: GatewayIntents.GuildMembers },
    );
  }

  /** The bot's webhook in `channel`, made when it has none (Discord's name rules and per-channel cap apply). */
  #webhookFor(channel: ChannelRecord, applicationId: string, botName: string): WebhookRecord {
    const { store, gateway } = this.deps;
    const existing = [...store.webhooks.values()].filter((webhook) => webhook.channelId === channel.id);
    const own = existing.find((webhook) => webhook.applicationId === applicationId);
    if (own) return own;
    const webhook = createWebhook(store, {
      channel,
      name: `${botName} Proxy Webhook`,
      avatar: null,
      creatorId: applicationId,
      applicationId,
    });
    gateway.dispatch(
      'WEBHOOKS_UPDATE',
      { guild_id: webhook.guildId, channel_id: webhook.channelId },
      { guildId: webhook.guildId, intent: GatewayIntents.GuildWebhooks },
    );
    return webhook;
  }
}
