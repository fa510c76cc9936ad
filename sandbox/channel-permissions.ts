/**
 * Discord's permission bits the sandbox enforces, and the channel-permission algorithm Discord documents.
 * @see https://discord.com/developers/docs/topics/permissions#permission-overwrites
 */
export const PermissionFlags = {
  CreateInstantInvite: 1n << 0n,
  KickMembers: 1n << 1n,
  BanMembers: 1n << 2n,
  Administrator: 1n << 3n,
  ManageChannels: 1n << 4n,
  ManageGuild: 1n << 5n,
  AddReactions: 1n << 6n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  ManageMessages: 1n << 13n,
  EmbedLinks: 1n << 14n,
  AttachFiles: 1n << 15n,
  ReadMessageHistory: 1n << 16n,
  MentionEveryone: 1n << 17n,
  UseExternalEmojis: 1n << 18n,
  ChangeNickname: 1n << 26n,
  ManageRoles: 1n << 28n,
  ManageWebhooks: 1n << 29n,
  UseApplicationCommands: 1n << 31n,
  ManageThreads: 1n << 34n,
  CreatePublicThreads: 1n << 35n,
  CreatePrivateThreads: 1n << 36n,
  SendMessagesInThreads: 1n << 38n,
} as const;

/** Every permission bit Discord defines today (through bit 51), granted by Administrator. */
export const ALL_PERMISSIONS = (1n << 52n) - 1n;

/**
 * What a fresh guild's @everyone role may do: Discord's defaults for new servers (no Manage*, no
 * Mention Everyone).
 */
export const DEFAULT_EVERYONE_PERMISSIONS =
  PermissionFlags.CreateInstantInvite |
  PermissionFlags.AddReactions |
  PermissionFlags.ViewChannel |
  PermissionFlags.SendMessages |
  PermissionFlags.EmbedLinks |
  PermissionFlags.AttachFiles |
  PermissionFlags.ReadMessageHistory |
  PermissionFlags.UseExternalEmojis |
  PermissionFlags.ChangeNickname |
  PermissionFlags.UseApplicationCommands |
  PermissionFlags.CreatePublicThreads |
  PermissionFlags.CreatePrivateThreads |
  PermissionFlags.SendMessagesInThreads;

/** An overwrite as Discord stores it: `type` 0 targets a role, 1 a member. */
export interface PermissionOverwrite {
  readonly id: string;
  readonly type: 0 | 1;
  readonly allow: bigint;
  readonly deny: bigint;
}

/** Everything the algorithm needs about one member in one channel. */
export interface PermissionSubject {
  readonly guildId: string;
  readonly ownerId: string;
  readonly userId: string;
  /** The member's roles, without @everyone (whose id is the guild id). */
  readonly roleIds: readonly string[];
  /** Permissions of every role in the guild, @everyone included. */
  readonly rolePermissions: ReadonlyMap<string, bigint>;
}

/** Guild-level permissions: @everyone plus every role of the member; owner and Administrator get all. */
export function computeBasePermissions(subject: PermissionSubject): bigint {
  if (subject.userId === subject.ownerId) return ALL_PERMISSIONS;
  let permissions = subject.rolePermissions.get(subject.guildId) ?? 0n;
  for (const roleId of subject.roleIds) permissions |= subject.rolePermissions.get(roleId) ?? 0n;
  if ((permissions & PermissionFlags.Administrator) !== 0n) return ALL_PERMISSIONS;
  return permissions;
}

/**
 * Channel permissions: base, then the @everyone overwrite, then all role overwrites together (denies before
 * allows), then the member's own overwrite. Administrator bypasses overwrites. Without View Channel a member
 * has nothing in that channel.
 */
export function computeChannelPermissions(
  subject: PermissionSubject,
  overwrites: readonly PermissionOverwrite[],
): bigint {
  const base = computeBasePermissions(subject);
  if ((base & PermissionFlags.Administrator) !== 0n || base === ALL_PERMISSIONS) return ALL_PERMISSIONS;
  let permissions = base;
  const everyone = overwrites.find((overwrite) => overwrite.type === 0 && overwrite.id === subject.guildId);
  if (everyone) permissions = (permissions & ~everyone.deny) | everyone.allow;
  let roleAllow = 0n;
  let roleDeny = 0n;
  for (const overwrite of overwrites) {
    if (overwrite.type === 0 && subject.roleIds.includes(overwrite.id)) {
      roleAllow |= overwrite.allow;
      roleDeny |= overwrite.deny;
    }
  }
  permissions = (permissions & ~roleDeny) | roleAllow;
  const own = overwrites.find((overwrite) => overwrite.type === 1 && overwrite.id === subject.userId);
  if (own) permissions = (permissions & ~own.deny) | own.allow;
  if ((permissions & PermissionFlags.ViewChannel) === 0n) return 0n;
  return permissions;
}

/** Whether `permissions` holds every bit of `required`. */
export function hasPermissions(permissions: bigint, required: bigint): boolean {
  return (permissions & required) === required;
}
