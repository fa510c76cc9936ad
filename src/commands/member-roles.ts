import type { APIInteractionGuildMember, GuildMember } from 'discord.js';

/** An interaction's member: a cached GuildMember, or the raw member of an uncached guild. */
type InteractionMember = GuildMember | APIInteractionGuildMember | null;

/** The role ids a member holds (none outside a server). */
export function listMemberRoleIds(member: InteractionMember): readonly string[] {
  if (member === null) return [];
  return Array.isArray(member.roles) ? member.roles : [...member.roles.cache.keys()];
}

/** Whether a member holds a role. */
export function memberHasRole(member: InteractionMember, roleId: string): boolean {
  return listMemberRoleIds(member).includes(roleId);
}
