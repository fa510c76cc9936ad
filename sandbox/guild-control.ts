import type { ApiSerializer } from './api-serializer.js';
import { PermissionFlags, type PermissionOverwrite } from './channel-permissions.js';
import type { AddMemberOptions, CreateChannelOptions, OverwriteInput } from './control-api-types.js';
import { GatewayIntents } from './gateway-intents.js';
import type { GatewayServer } from './gateway-server.js';
import { guildCreatePayload } from './gateway-world.js';
import { ChannelType, type SandboxStore } from './sandbox-store.js';

/** What the bot may do in a new guild unless told otherwise: what Chorus asks for when invited. */
export const DEFAULT_BOT_PERMISSIONS =
  PermissionFlags.ViewChannel |
  PermissionFlags.SendMessages |
  PermissionFlags.SendMessagesInThreads |
  PermissionFlags.ReadMessageHistory |
  PermissionFlags.ManageWebhooks |
  PermissionFlags.EmbedLinks |
  PermissionFlags.AttachFiles |
  PermissionFlags.AddReactions |
  PermissionFlags.UseApplicationCommands;

/** What {@link GuildControl} builds on. */
export interface GuildControlDeps {
  readonly store: SandboxStore;
  readonly serializer: ApiSerializer;
  readonly gateway: GatewayServer;
  readonly botUserId: string;
  /** Name of the managed role the bot gets in each new guild. */
  readonly botUsername: string;
  /** The user owning every guild and thread the control API creates. */
  readonly ownerId: string;
}

/**
 * The world as server admins shape it: guilds, roles, channels, threads, members and DMs, each change dispatched
 * to the gateway as Discord would.
 */
export class GuildControl {
  readonly #deps: GuildControlDeps;

  constructor(deps: GuildControlDeps) {
    this.#deps = deps;
  }

  /** Creates a guild with the bot in it (through a managed role holding `botPermissions`); dispatches GUILD_CREATE. */
  createGuild(input: { name: string; botPermissions?: bigint }): {
    id: string;
    name: string;
    botRoleId: string;
  } {
    const guild = this.#deps.store.createGuild({ name: input.name, ownerId: this.#deps.ownerId });
    const botRole = this.#deps.store.createRole(guild.id, {
      name: this.#deps.botUsername,
      permissions: input.botPermissions ?? DEFAULT_BOT_PERMISSIONS,
      managed: true,
    });
    this.#deps.store.addMember(guild.id, this.#deps.botUserId, [botRole.id]);
    this.#deps.gateway.dispatch('GUILD_CREATE', null, {
      guildId: guild.id,
      intent: GatewayIntents.Guilds,
      payloadFor: (session) => guildCreatePayload(this.#deps, guild.id, session),
    });
    return { id: guild.id, name: guild.name, botRoleId: botRole.id };
  }

  /**
   * Takes the bot out of a guild (kicked, or the guild deleted) and dispatches GUILD_DELETE `{ id }`; with
   * `outage` the bot stays and the guild is reported `unavailable: true`, as during a Discord outage.
   */
  removeBotFromGuild(guildId: string, options: { outage?: boolean } = {}): void {
    const guild = this.#deps.store.requireGuild(guildId);
    this.#deps.gateway.dispatch(
      'GUILD_DELETE',
      { id: guildId, ...(options.outage ? { unavailable: true } : {}) },
      { guildId, intent: GatewayIntents.Guilds },
    );
    // Removed only after the dispatch: from now on the guild's events no longer reach the bot.
    if (!options.outage) guild.members.delete(this.#deps.botUserId);
  }

  /** Creates a role; `permissions` defaults to none beyond @everyone's. */
  createRole(
    guildId: string,
    input: { name: string; permissions?: bigint; mentionable?: boolean },
  ): { id: string } {
    const role = this.#deps.store.createRole(guildId, {
      name: input.name,
      permissions: input.permissions ?? 0n,
      mentionable: input.mentionable ?? false,
    });
    this.#deps.gateway.dispatch(
      'GUILD_ROLE_CREATE',
      { guild_id: guildId, role: this.#deps.serializer.role(role) },
      { guildId, intent: GatewayIntents.Guilds },
    );
    return { id: role.id };
  }

  /** Changes a role's permissions (e.g. @everyone's, whose id is the guild id). */
  setRolePermissions(guildId: string, roleId: string, permissions: bigint): void {
    const role = this.#deps.store.requireGuild(guildId).roles.get(roleId);
    if (!role) throw new Error(`sandbox: unknown role ${roleId}`);
    role.permissions = permissions;
    this.#deps.gateway.dispatch(
      'GUILD_ROLE_UPDATE',
      { guild_id: guildId, role: this.#deps.serializer.role(role) },
      { guildId, intent: GatewayIntents.Guilds },
    );
  }

  /** Creates a text or forum channel; dispatches CHANNEL_CREATE. */
  createChannel(guildId: string, input: CreateChannelOptions): { id: string; guildId: string; name: string } {
    this.#deps.store.requireGuild(guildId);
    const overwrites: PermissionOverwrite[] = (input.permissionOverwrites ?? []).map((overwrite) => ({
      id: overwrite.id,
      type: overwrite.type === 'role' ? 0 : 1,
      allow: overwrite.allow ?? 0n,
      deny: overwrite.deny ?? 0n,
    }));
    if (input.botPermissions) {
      overwrites.push({
        id: this.#deps.botUserId,
        type: 1,
        allow: input.botPermissions.allow ?? 0n,
        deny: input.botPermissions.deny ?? 0n,
      });
    }
    const channel = this.#deps.store.createChannel({
      type: input.type === 'forum' ? ChannelType.GuildForum : ChannelType.GuildText,
      guildId,
      name: input.name,
      overwrites,
      nsfw: input.nsfw ?? false,
    });
    this.#deps.gateway.dispatch('CHANNEL_CREATE', this.#deps.serializer.channel(channel), {
      guildId,
      intent: GatewayIntents.Guilds,
    });
    return { id: channel.id, guildId, name: input.name };
  }

  /** Replaces the bot's member overwrite in a channel; dispatches CHANNEL_UPDATE. */
  setBotChannelPermissions(channelId: string, input: { allow?: bigint; deny?: bigint }): void {
    this.setChannelOverwrite(channelId, { id: this.#deps.botUserId, type: 'member', ...input });
  }

  /** Sets (replaces) one permission overwrite of a channel; dispatches CHANNEL_UPDATE. */
  setChannelOverwrite(channelId: string, overwrite: OverwriteInput): void {
    const channel = this.#deps.store.requireChannel(channelId);
    const type = overwrite.type === 'role' ? 0 : 1;
    channel.overwrites = [
      ...channel.overwrites.filter((existing) => !(existing.id === overwrite.id && existing.type === type)),
      { id: overwrite.id, type, allow: overwrite.allow ?? 0n, deny: overwrite.deny ?? 0n },
    ];
    this.#deps.gateway.dispatch('CHANNEL_UPDATE', this.#deps.serializer.channel(channel), {
      guildId: channel.guildId,
      intent: GatewayIntents.Guilds,
    });
  }

  /** Starts a public thread under a text or forum channel; dispatches THREAD_CREATE. */
  createThread(
    channelId: string,
    input: { name: string; ownerId?: string },
  ): { id: string; parentId: string; name: string } {
    const parent = this.#deps.store.requireChannel(channelId);
    if (parent.type !== ChannelType.GuildText && parent.type !== ChannelType.GuildForum) {
      throw new Error('sandbox: threads live under text or forum channels');
    }
    const thread = this.#deps.store.createChannel({
      type: ChannelType.PublicThread,
      guildId: parent.guildId,
      name: input.name,
      parentId: parent.id,
      ownerId: input.ownerId ?? this.#deps.ownerId,
    });
    this.#deps.gateway.dispatch(
      'THREAD_CREATE',
      { ...this.#deps.serializer.channel(thread), newly_created: true },
      { guildId: thread.guildId, intent: GatewayIntents.Guilds },
    );
    return { id: thread.id, parentId: parent.id, name: input.name };
  }

  /**
   * Deletes a guild channel or thread, as a member with Manage Channels would. A thread dispatches THREAD_DELETE
   * with the subset Discord sends (`id`, `guild_id`, `parent_id`, `type`); a channel dispatches CHANNEL_DELETE
   * with the whole channel and takes its threads and webhooks with it, without an event for each (Discord sends
   * none: discord.js drops a deleted channel's threads from its cache itself).
   */
  deleteChannel(channelId: string): void {
    const channel = this.#deps.store.requireChannel(channelId);
    const guildId = channel.guildId;
    if (guildId === null) throw new Error('sandbox: only guild channels and threads can be deleted');
    const route = { guildId, intent: GatewayIntents.Guilds };
    if (channel.type === ChannelType.PublicThread) {
      this.#deps.gateway.dispatch(
        'THREAD_DELETE',
        { id: channel.id, guild_id: guildId, parent_id: channel.parentId, type: channel.type },
        route,
      );
      this.#deps.store.channels.delete(channel.id);
      return;
    }
    this.#deps.gateway.dispatch('CHANNEL_DELETE', this.#deps.serializer.channel(channel), route);
    for (const other of [...this.#deps.store.channels.values()]) {
      if (other.parentId === channel.id) this.#deps.store.channels.delete(other.id);
    }
    for (const webhook of [...this.#deps.store.webhooks.values()]) {
      if (webhook.channelId === channel.id) this.#deps.store.webhooks.delete(webhook.id);
    }
    this.#deps.store.channels.delete(channel.id);
  }

  /** Creates a person. */
  createUser(input: { username: string; globalName?: string }): {
    id: string;
    username: string;
    globalName: string | null;
  } {
    const user = this.#deps.store.createUser({
      username: input.username,
      globalName: input.globalName ?? null,
    });
    return { id: user.id, username: user.username, globalName: user.globalName };
  }

  /** Adds a user to a guild; dispatches GUILD_MEMBER_ADD (GUILD_MEMBERS intent). */
  addMember(guildId: string, userId: string, input: AddMemberOptions = {}): void {
    const guild = this.#deps.store.requireGuild(guildId);
    const user = this.#deps.store.requireUser(userId);
    const roleIds = [...(input.roles ?? [])];
    if (input.permissions !== undefined) {
      roleIds.push(
        this.#deps.store.createRole(guildId, {
          name: `${user.username}-role`,
          permissions: input.permissions,
        }).id,
      );
    }
    const member = this.#deps.store.addMember(guildId, userId, roleIds);
    this.#deps.gateway.dispatch(
      'GUILD_MEMBER_ADD',
      { ...this.#deps.serializer.member(guild, member, { withUser: true }), guild_id: guildId },
      { guildId, intent: GatewayIntents.GuildMembers },
    );
  }

  /** The DM channel between the bot and a user (opened on first use). */
  openDm(userId: string): { id: string } {
    this.#deps.store.requireUser(userId);
    const channel =
      this.#deps.store.findDm(userId) ??
      this.#deps.store.createChannel({
        type: ChannelType.DM,
        guildId: null,
        name: null,
        recipientIds: [userId],
      });
    return { id: channel.id };
  }

  /** Deletes a webhook behind the bot's back (as a server admin would); dispatches WEBHOOKS_UPDATE. */
  deleteWebhookBehindBotsBack(webhookId: string): void {
    const webhook = this.#deps.store.webhooks.get(webhookId);
    if (!webhook) throw new Error(`sandbox: unknown webhook ${webhookId}`);
    this.#deps.store.webhooks.delete(webhookId);
    this.#deps.gateway.dispatch(
      'WEBHOOKS_UPDATE',
      { guild_id: webhook.guildId, channel_id: webhook.channelId },
      { guildId: webhook.guildId, intent: GatewayIntents.GuildWebhooks },
    );
  }
}
