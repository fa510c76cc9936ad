import { randomBytes } from 'node:crypto';
import { buildSnowflake } from '../src/discord/index.js';
import {
  computeBasePermissions,
  computeChannelPermissions,
  DEFAULT_EVERYONE_PERMISSIONS,
  type PermissionOverwrite,
  type PermissionSubject,
} from './channel-permissions.js';

/** Discord channel types the sandbox models. @see https://discord.com/developers/docs/resources/channel#channel-object-channel-types */
export const ChannelType = { GuildText: 0, DM: 1, PublicThread: 11, GuildForum: 15 } as const;
export type SandboxChannelType = (typeof ChannelType)[keyof typeof ChannelType];

/** A user account (people and the bot). */
export interface UserRecord {
  readonly id: string;
  username: string;
  globalName: string | null;
  avatar: string | null;
  readonly bot: boolean;
}

/** A guild role; the @everyone role's id is the guild's id. */
export interface RoleRecord {
  readonly id: string;
  readonly guildId: string;
  name: string;
  permissions: bigint;
  mentionable: boolean;
  readonly position: number;
  /** A bot's own integration role. */
  readonly managed: boolean;
}

/** A user's membership of a guild. */
export interface MemberRecord {
  readonly userId: string;
  roleIds: string[];
  readonly joinedAt: number;
}

/** A guild and everything that hangs off it but channels. */
export interface GuildRecord {
  readonly id: string;
  name: string;
  readonly ownerId: string;
  readonly createdAt: number;
  readonly roles: Map<string, RoleRecord>;
  readonly members: Map<string, MemberRecord>;
}

/** A text or forum channel, a public thread, or a DM. */
export interface ChannelRecord {
  readonly id: string;
  readonly type: SandboxChannelType;
  /** null for DMs. */
  readonly guildId: string | null;
  name: string | null;
  /** The owning text/forum channel of a thread; null otherwise. */
  readonly parentId: string | null;
  overwrites: PermissionOverwrite[];
  readonly position: number;
  /** DM recipients (the other user); empty for guild channels. */
  readonly recipientIds: readonly string[];
  /** Who started a thread. */
  readonly ownerId: string | null;
  readonly createdAt: number;
  lastMessageId: string | null;
  messageCount: number;
  archived: boolean;
  /** Age-restricted; always false for threads and DMs, which have no such flag in Discord's payloads. */
  readonly nsfw: boolean;
}

/** An incoming webhook. */
export interface WebhookRecord {
  readonly id: string;
  readonly token: string;
  channelId: string;
  readonly guildId: string;
  name: string;
  avatar: string | null;
  readonly creatorId: string;
  /** Set when an application (the bot) created it; Discord stamps its messages with this. */
  readonly applicationId: string | null;
}

/** A stored file attachment. */
export interface AttachmentRecord {
  readonly id: string;
  readonly filename: string;
  readonly contentType: string | null;
  readonly size: number;
  readonly description: string | null;
  readonly data: Buffer;
}

/** Who a message would have notified, given its content and `allowed_mentions`. */
export interface WouldPing {
  readonly users: readonly string[];
  readonly roles: readonly string[];
  readonly everyone: boolean;
}

/** A reply target, as `message_reference`. */
export interface MessageReferenceRecord {
  readonly messageId: string;
  readonly channelId: string;
  readonly guildId: string | null;
}

/** The interaction a message answers (Discord's `interaction_metadata`). */
export interface MessageInteractionRecord {
  readonly id: string;
  readonly type: number;
  readonly userId: string;
  readonly name: string | null;
}

/** One edit of a message. */
export interface MessageEdit {
  /** Unix ms. */
  readonly at: number;
  /** The message's content after the edit. */
  readonly content: string;
}

/** One message in one channel. */
export interface MessageRecord {
  readonly id: string;
  readonly channelId: string;
  readonly guildId: string | null;
  /** A user id, or the webhook id for webhook messages (Discord's `author.id`). */
  readonly authorId: string;
  readonly webhookId: string | null;
  readonly applicationId: string | null;
  /** The name shown: the webhook's username override or name; null for user authors. */
  readonly webhookUsername: string | null;
  readonly webhookAvatarUrl: string | null;
  /** Discord's message type: 0 default, 19 reply, 20 chat-input command, 23 context-menu command. */
  readonly type: number;
  content: string;
  embeds: unknown[];
  components: unknown[];
  attachments: AttachmentRecord[];
  flags: number;
  readonly tts: boolean;
  readonly nonce: string | number | null;
  wouldPing: WouldPing;
  readonly reference: MessageReferenceRecord | null;
  readonly interaction: MessageInteractionRecord | null;
  readonly createdAt: number;
  editedAt: number | null;
  /** Every edit, oldest first: when (Unix ms) and the content it left (tests check a streamed reply's pace). */
  edits: MessageEdit[];
  deleted: boolean;
}

/** An application command as registered. */
export interface CommandRecord {
  readonly id: string;
  /** null for global commands. */
  readonly guildId: string | null;
  /** 1 chat input, 2 user, 3 message. */
  readonly type: number;
  readonly name: string;
  version: string;
  /** The command body as given (description, options, localisations…), normalised by the route. */
  body: Record<string, unknown>;
}

/** Monotonic snowflakes: Discord's timestamp layout with an increment in the low bits. */
class SnowflakeGenerator {
  #increment = 0n;
  #lastMs = 0;
  constructor(private readonly now: () => number) {}
  next(): string {
    // Never go backwards, even if the clock does: ids must sort by creation like Discord's.
    const ms = Math.max(this.now(), this.#lastMs);
    if (ms !== this.#lastMs) this.#increment = 0n;
    this.#lastMs = ms;
    this.#increment += 1n;
    return buildSnowflake(ms, this.#increment);
  }
}

/** A random token in the shape Discord uses for webhooks and interactions (url-safe, 68 chars). */
export function generateSecretToken(): string {
  return randomBytes(51).toString('base64url');
}

/**
 * The sandbox's world: users, guilds, roles, members, channels, messages, webhooks and commands, in memory.
 * Pure bookkeeping: no I/O and no events; the services around it dispatch.
 */
export class SandboxStore {
  readonly users = new Map<string, UserRecord>();
  readonly guilds = new Map<string, GuildRecord>();
  readonly channels = new Map<string, ChannelRecord>();
  readonly messages = new Map<string, MessageRecord>();
  readonly webhooks = new Map<string, WebhookRecord>();
  readonly commands = new Map<string, CommandRecord>();
  /** Messages per channel in creation order, so history reads don't scan every message. */
  readonly #byChannel = new Map<string, MessageRecord[]>();
  readonly #ids: SnowflakeGenerator;

  constructor(readonly now: () => number) {
    this.#ids = new SnowflakeGenerator(now);
  }

  /** A fresh snowflake. */
  nextId(): string {
    return this.#ids.next();
  }

  /** Creates a user; `id` gives a known one (a bot whose application id is public, such as PluralKit's). */
  createUser(input: {
    id?: string;
    username: string;
    globalName?: string | null;
    bot?: boolean;
  }): UserRecord {
    if (input.id !== undefined && this.users.has(input.id))
      throw new Error(`sandbox: user ${input.id} exists`);
    const user: UserRecord = {
      id: input.id ?? this.nextId(),
      username: input.username,
      globalName: input.globalName ?? null,
      avatar: null,
      bot: input.bot ?? false,
    };
    this.users.set(user.id, user);
    return user;
  }

  createGuild(input: { name: string; ownerId: string }): GuildRecord {
    const id = this.nextId();
    const guild: GuildRecord = {
      id,
      name: input.name,
      ownerId: input.ownerId,
      createdAt: this.now(),
      roles: new Map(),
      members: new Map(),
    };
    guild.roles.set(id, {
      id,
      guildId: id,
      name: '@everyone',
      permissions: DEFAULT_EVERYONE_PERMISSIONS,
      mentionable: false,
      position: 0,
      managed: false,
    });
    this.guilds.set(id, guild);
    this.addMember(id, input.ownerId, []);
    return guild;
  }

  createRole(
    guildId: string,
    input: { name: string; permissions: bigint; mentionable?: boolean; managed?: boolean },
  ): RoleRecord {
    const guild = this.requireGuild(guildId);
    const role: RoleRecord = {
      id: this.nextId(),
      guildId,
      name: input.name,
      permissions: input.permissions,
      mentionable: input.mentionable ?? false,
      position: guild.roles.size,
      managed: input.managed ?? false,
    };
    guild.roles.set(role.id, role);
    return role;
  }

  addMember(guildId: string, userId: string, roleIds: readonly string[]): MemberRecord {
    const guild = this.requireGuild(guildId);
    const existing = guild.members.get(userId);
    if (existing) {
      existing.roleIds = [...new Set([...existing.roleIds, ...roleIds])];
      return existing;
    }
    const member: MemberRecord = { userId, roleIds: [...roleIds], joinedAt: this.now() };
    guild.members.set(userId, member);
    return member;
  }

  createChannel(input: {
    /** A given id: Discord reuses the message id for threads started from a message. */
    id?: string;
    type: SandboxChannelType;
    guildId: string | null;
    name: string | null;
    parentId?: string | null;
    overwrites?: PermissionOverwrite[];
    recipientIds?: readonly string[];
    ownerId?: string | null;
    nsfw?: boolean;
  }): ChannelRecord {
    const position = [...this.channels.values()].filter(
      (channel) => channel.guildId === input.guildId && channel.parentId === null,
    ).length;
    const channel: ChannelRecord = {
      id: input.id ?? this.nextId(),
      type: input.type,
      guildId: input.guildId,
      name: input.name,
      parentId: input.parentId ?? null,
      overwrites: input.overwrites ?? [],
      position,
      recipientIds: input.recipientIds ?? [],
      ownerId: input.ownerId ?? null,
      nsfw: input.nsfw ?? false,
      createdAt: this.now(),
      lastMessageId: null,
      messageCount: 0,
      archived: false,
    };
    this.channels.set(channel.id, channel);
    return channel;
  }

  /** The DM channel between the bot and `userId`, if one was opened. */
  findDm(userId: string): ChannelRecord | undefined {
    for (const channel of this.channels.values()) {
      if (channel.type === ChannelType.DM && channel.recipientIds.includes(userId)) return channel;
    }
    return undefined;
  }

  requireGuild(guildId: string): GuildRecord {
    const guild = this.guilds.get(guildId);
    if (!guild) throw new Error(`sandbox: unknown guild ${guildId}`);
    return guild;
  }

  requireChannel(channelId: string): ChannelRecord {
    const channel = this.channels.get(channelId);
    if (!channel) throw new Error(`sandbox: unknown channel ${channelId}`);
    return channel;
  }

  requireUser(userId: string): UserRecord {
    const user = this.users.get(userId);
    if (!user) throw new Error(`sandbox: unknown user ${userId}`);
    return user;
  }

  requireMessage(messageId: string): MessageRecord {
    const message = this.messages.get(messageId);
    if (!message || message.deleted) throw new Error(`sandbox: unknown message ${messageId}`);
    return message;
  }

  /** The channel whose permission overwrites apply: a thread inherits its parent's. */
  permissionChannel(channel: ChannelRecord): ChannelRecord {
    return channel.parentId ? (this.channels.get(channel.parentId) ?? channel) : channel;
  }

  /** Guild-wide permissions of a member (no channel overwrites); 0 when not a member. */
  guildPermissions(guildId: string, userId: string): bigint {
    const subject = this.#subject(guildId, userId);
    return subject ? computeBasePermissions(subject) : 0n;
  }

  /** A member's permissions in a guild channel or thread; 0 when not a member. */
  channelPermissions(channel: ChannelRecord, userId: string): bigint {
    if (channel.guildId === null) return 0n;
    const subject = this.#subject(channel.guildId, userId);
    if (!subject) return 0n;
    return computeChannelPermissions(subject, this.permissionChannel(channel).overwrites);
  }

  /** Stores a new message and bumps its channel's last message. */
  addMessage(message: MessageRecord): void {
    this.messages.set(message.id, message);
    const list = this.#byChannel.get(message.channelId) ?? [];
    list.push(message);
    this.#byChannel.set(message.channelId, list);
    const channel = this.channels.get(message.channelId);
    if (channel) {
      channel.lastMessageId = message.id;
      channel.messageCount += 1;
    }
  }

  /** Messages everyone sees in a channel (not deleted, not ephemeral), oldest first. */
  channelMessages(channelId: string): MessageRecord[] {
    return (this.#byChannel.get(channelId) ?? []).filter(
      (message) => !message.deleted && (message.flags & 64) === 0,
    );
  }

  /** Active (unarchived) threads under a guild's channels. */
  activeThreads(guildId: string): ChannelRecord[] {
    return [...this.channels.values()].filter(
      (channel) =>
        channel.guildId === guildId && channel.type === ChannelType.PublicThread && !channel.archived,
    );
  }

  #subject(guildId: string, userId: string): PermissionSubject | null {
    const guild = this.guilds.get(guildId);
    const member = guild?.members.get(userId);
    if (!guild || !member) return null;
    return {
      guildId,
      ownerId: guild.ownerId,
      userId,
      roleIds: member.roleIds,
      rolePermissions: new Map([...guild.roles.values()].map((role) => [role.id, role.permissions])),
    };
  }
}
