import { createHash } from 'node:crypto';
import {
  type AttachmentRecord,
  type ChannelRecord,
  ChannelType,
  type CommandRecord,
  type GuildRecord,
  type MemberRecord,
  type MessageRecord,
  type RoleRecord,
  type SandboxStore,
  type UserRecord,
  type WebhookRecord,
} from './sandbox-store.js';

/** A JSON object as Discord sends it. */
export type ApiObject = Record<string, unknown>;

/** The bot's identity, as the serializer needs it. */
export interface SerializerIdentity {
  readonly applicationId: string;
  readonly botUserId: string;
  /** `http://host:port` of the sandbox, for attachment URLs. */
  readonly baseUrl: () => string;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Discord shows an avatar URL override as an avatar hash; the sandbox derives a stable one from the URL. */
export function avatarHashFor(avatarUrl: string): string {
  return createHash('md5').update(avatarUrl).digest('hex');
}

/**
 * Turns sandbox records into Discord API v10 JSON, field for field as Discord sends them, so discord.js builds
 * the same structures it builds against the real API.
 * @see https://discord.com/developers/docs/resources/message#message-object
 */
export class ApiSerializer {
  constructor(
    private readonly store: SandboxStore,
    private readonly identity: SerializerIdentity,
  ) {}

  user(user: UserRecord): ApiObject {
    return {
      id: user.id,
      username: user.username,
      global_name: user.globalName,
      avatar: user.avatar,
      discriminator: '0',
      public_flags: 0,
      flags: 0,
      banner: null,
      accent_color: null,
      avatar_decoration_data: null,
      collectibles: null,
      primary_guild: null,
      ...(user.bot ? { bot: true } : {}),
    };
  }

  /** A member with its user; pass `permissions` for interaction payloads, which carry them. */
  member(
    guild: GuildRecord,
    member: MemberRecord,
    options: { withUser: boolean; permissions?: bigint },
  ): ApiObject {
    return {
      ...(options.withUser ? { user: this.user(this.store.requireUser(member.userId)) } : {}),
      nick: null,
      avatar: null,
      banner: null,
      roles: member.roleIds.filter((roleId) => roleId !== guild.id),
      joined_at: iso(member.joinedAt),
      premium_since: null,
      deaf: false,
      mute: false,
      flags: 0,
      pending: false,
      communication_disabled_until: null,
      ...(options.permissions === undefined ? {} : { permissions: options.permissions.toString() }),
    };
  }

  role(role: RoleRecord): ApiObject {
    return {
      id: role.id,
      name: role.name,
      color: 0,
      colors: { primary_color: 0, secondary_color: null, tertiary_color: null },
      hoist: false,
      icon: null,
      unicode_emoji: null,
      position: role.position,
      permissions: role.permissions.toString(),
      managed: role.managed,
      mentionable: role.mentionable,
      flags: 0,
      ...(role.managed ? { tags: { bot_id: this.identity.botUserId } } : {}),
    };
  }

  channel(channel: ChannelRecord): ApiObject {
    if (channel.type === ChannelType.DM) {
      return {
        id: channel.id,
        type: channel.type,
        last_message_id: channel.lastMessageId,
        flags: 0,
        recipients: channel.recipientIds.map((userId) => this.user(this.store.requireUser(userId))),
      };
    }
    if (channel.type === ChannelType.PublicThread) {
      const parent = channel.parentId ? this.store.channels.get(channel.parentId) : undefined;
      return {
        id: channel.id,
        type: channel.type,
        guild_id: channel.guildId,
        parent_id: channel.parentId,
        owner_id: channel.ownerId,
        name: channel.name,
        last_message_id: channel.lastMessageId,
        message_count: channel.messageCount,
        total_message_sent: channel.messageCount,
        member_count: 1,
        rate_limit_per_user: 0,
        flags: 0,
        thread_metadata: {
          archived: channel.archived,
          auto_archive_duration: 4320,
          archive_timestamp: iso(channel.createdAt),
          locked: false,
          create_timestamp: iso(channel.createdAt),
        },
        ...(parent?.type === ChannelType.GuildForum ? { applied_tags: [] } : {}),
      };
    }
    return {
      id: channel.id,
      type: channel.type,
      guild_id: channel.guildId,
      name: channel.name,
      position: channel.position,
      permission_overwrites: channel.overwrites.map((overwrite) => ({
        id: overwrite.id,
        type: overwrite.type,
        allow: overwrite.allow.toString(),
        deny: overwrite.deny.toString(),
      })),
      parent_id: null,
      topic: null,
      nsfw: channel.nsfw,
      last_message_id: channel.lastMessageId,
      rate_limit_per_user: 0,
      flags: 0,
      ...(channel.type === ChannelType.GuildForum
        ? {
            available_tags: [],
            default_reaction_emoji: null,
            default_sort_order: null,
            default_forum_layout: 0,
            default_thread_rate_limit_per_user: 0,
          }
        : {}),
    };
  }

  guild(guild: GuildRecord): ApiObject {
    return {
      id: guild.id,
      name: guild.name,
      icon: null,
      splash: null,
      discovery_splash: null,
      owner_id: guild.ownerId,
      afk_channel_id: null,
      afk_timeout: 300,
      widget_enabled: false,
      widget_channel_id: null,
      verification_level: 0,
      default_message_notifications: 0,
      explicit_content_filter: 0,
      roles: [...guild.roles.values()].map((role) => this.role(role)),
      emojis: [],
      features: [],
      mfa_level: 0,
      application_id: null,
      system_channel_id: null,
      system_channel_flags: 0,
      rules_channel_id: null,
      max_presences: null,
      max_members: 500_000,
      vanity_url_code: null,
      description: null,
      banner: null,
      premium_tier: 0,
      premium_subscription_count: 0,
      preferred_locale: 'en-US',
      public_updates_channel_id: null,
      max_video_channel_users: 25,
      max_stage_video_channel_users: 50,
      nsfw_level: 0,
      stickers: [],
      premium_progress_bar_enabled: false,
      safety_alerts_channel_id: null,
      incidents_data: null,
    };
  }

  /**
   * GUILD_CREATE's payload: the guild plus its channels, active threads and members. Without GUILD_PRESENCES
   * Discord lists only the bot itself among the members.
   * @see https://discord.com/developers/docs/events/gateway-events#guild-create
   */
  guildCreate(guild: GuildRecord, options: { allMembers: boolean }): ApiObject {
    const members = [...guild.members.values()].filter(
      (member) => options.allMembers || member.userId === this.identity.botUserId,
    );
    const bot = guild.members.get(this.identity.botUserId);
    return {
      ...this.guild(guild),
      joined_at: iso(bot?.joinedAt ?? guild.createdAt),
      large: false,
      unavailable: false,
      lazy: true,
      member_count: guild.members.size,
      voice_states: [],
      members: members.map((member) => this.member(guild, member, { withUser: true })),
      channels: [...this.store.channels.values()]
        .filter((channel) => channel.guildId === guild.id && channel.type !== ChannelType.PublicThread)
        .map((channel) => this.channel(channel)),
      threads: this.store.activeThreads(guild.id).map((thread) => this.channel(thread)),
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
    };
  }

  attachment(message: MessageRecord, attachment: AttachmentRecord): ApiObject {
    const url = `${this.identity.baseUrl()}/attachments/${message.channelId}/${attachment.id}/${encodeURIComponent(attachment.filename)}`;
    return {
      id: attachment.id,
      filename: attachment.filename,
      size: attachment.size,
      url,
      proxy_url: url,
      ...(attachment.contentType ? { content_type: attachment.contentType } : {}),
      ...(attachment.description ? { description: attachment.description } : {}),
    };
  }

  /** The author object: a user, or for webhook messages the webhook under its shown name. */
  author(message: MessageRecord): ApiObject {
    if (message.webhookId !== null && message.webhookUsername !== null) {
      return {
        id: message.authorId,
        username: message.webhookUsername,
        avatar: message.webhookAvatarUrl
          ? avatarHashFor(message.webhookAvatarUrl)
          : (this.store.webhooks.get(message.authorId)?.avatar ?? null),
        discriminator: '0000',
        public_flags: 0,
        flags: 0,
        bot: true,
        global_name: null,
      };
    }
    return this.user(this.store.requireUser(message.authorId));
  }

  /**
   * A message as REST returns it. `depth` stops `referenced_message` from nesting (Discord includes one level).
   */
  message(message: MessageRecord, depth = 0): ApiObject {
    const reference = message.reference;
    const referenced = reference ? this.store.messages.get(reference.messageId) : undefined;
    return {
      type: message.type,
      channel_id: message.channelId,
      content: message.content,
      attachments: message.attachments.map((attachment) => this.attachment(message, attachment)),
      embeds: message.embeds,
      timestamp: iso(message.createdAt),
      edited_timestamp: message.editedAt === null ? null : iso(message.editedAt),
      flags: message.flags,
      components: message.components,
      id: message.id,
      author: this.author(message),
      mentions: message.wouldPing.users.flatMap((userId) => {
        const user = this.store.users.get(userId);
        return user ? [this.user(user)] : [];
      }),
      mention_roles: [...message.wouldPing.roles],
      mention_everyone: message.wouldPing.everyone,
      pinned: false,
      tts: message.tts,
      ...(message.nonce === null ? {} : { nonce: message.nonce }),
      ...(message.webhookId === null ? {} : { webhook_id: message.webhookId }),
      ...(message.applicationId === null ? {} : { application_id: message.applicationId }),
      ...(reference
        ? {
            message_reference: {
              type: 0,
              channel_id: reference.channelId,
              message_id: reference.messageId,
              ...(reference.guildId ? { guild_id: reference.guildId } : {}),
            },
            referenced_message:
              referenced && !referenced.deleted && depth === 0 ? this.message(referenced, 1) : null,
          }
        : {}),
      ...(message.interaction
        ? {
            interaction_metadata: {
              id: message.interaction.id,
              type: message.interaction.type,
              user: this.user(this.store.requireUser(message.interaction.userId)),
              authorizing_integration_owners: message.guildId
                ? { '0': message.guildId }
                : { '1': message.interaction.userId },
              ...(message.interaction.name ? { name: message.interaction.name } : {}),
            },
          }
        : {}),
    };
  }

  /** MESSAGE_CREATE / MESSAGE_UPDATE payload: the REST message plus `guild_id`, `member` and `channel_type`. */
  messageDispatch(message: MessageRecord): ApiObject {
    const channel = this.store.channels.get(message.channelId);
    const guild = message.guildId ? this.store.guilds.get(message.guildId) : undefined;
    const member = guild && message.webhookId === null ? guild.members.get(message.authorId) : undefined;
    return {
      ...this.message(message),
      ...(channel ? { channel_type: channel.type } : {}),
      ...(guild ? { guild_id: guild.id } : {}),
      ...(guild && member ? { member: this.member(guild, member, { withUser: false }) } : {}),
    };
  }

  webhook(webhook: WebhookRecord, options: { withToken: boolean; withUser: boolean }): ApiObject {
    const creator = this.store.users.get(webhook.creatorId);
    return {
      application_id: webhook.applicationId,
      avatar: webhook.avatar,
      channel_id: webhook.channelId,
      guild_id: webhook.guildId,
      id: webhook.id,
      name: webhook.name,
      type: 1,
      ...(options.withUser && creator ? { user: this.user(creator) } : {}),
      ...(options.withToken ? { token: webhook.token } : {}),
    };
  }

  command(command: CommandRecord): ApiObject {
    return {
      ...command.body,
      id: command.id,
      application_id: this.identity.applicationId,
      version: command.version,
      type: command.type,
      name: command.name,
      ...(command.guildId === null ? {} : { guild_id: command.guildId }),
    };
  }
}
