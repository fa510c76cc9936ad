import { ChannelType, type ChatInputCommandInteraction, PermissionFlagsBits } from 'discord.js';
import { ChorusErrorCode, UserFacingError } from '../errors/index.js';
import { type GuildSettings, GuildSettingsConflictError } from '../guilds/index.js';
import { normalizePersonalityName, type Personality } from '../state/index.js';
import type { CommandContext } from './command-context.js';
import { CommandReplies } from './command-replies.js';
import { respond } from './interaction-response.js';
import { resolvePersonality } from './personality-lookup.js';
import { ServerGroup, ServerOption, ServerSubcommand } from './server-definition.js';
import { describePersonality, type ServerLimitKind, ServerReplies } from './server-replies.js';
import {
  addToList,
  parseServerAlias,
  parseServerLimit,
  parseServerName,
  removeAlias,
  removeFromList,
  type ServerSettingsEdit,
  setAlias,
} from './server-settings-changes.js';
import { buildServerSettingsEmbed, listReferencedPersonalityIds } from './server-view.js';

const THREAD_TYPES: ReadonlySet<ChannelType> = new Set([
  ChannelType.PublicThread,
  ChannelType.PrivateThread,
  ChannelType.AnnouncementThread,
]);

/** One `/server` invocation: its server, caller and context. */
interface ServerCall {
  readonly ctx: CommandContext;
  readonly interaction: ChatInputCommandInteraction;
  readonly guildId: string;
}

/**
 * Managing the server's settings needs Manage Server, read from the permissions Discord resolved for the member
 * (server admins may override the command's default permissions, so this is the check that counts).
 */
function requireManageServer(interaction: ChatInputCommandInteraction): string {
  if (!interaction.inGuild())
    throw new UserFacingError(ChorusErrorCode.InvalidInput, CommandReplies.guildOnly());
  if (!interaction.memberPermissions.has(PermissionFlagsBits.ManageGuild)) {
    throw new UserFacingError(ChorusErrorCode.Forbidden, ServerReplies.needsManageServer(), {
      userId: interaction.user.id,
      guildId: interaction.guildId,
    });
  }
  return interaction.guildId;
}

/** Applies `edit` to the server's settings (compare-and-set, re-applied on a concurrent change). */
async function applyEdit(
  call: ServerCall,
  edit: (current: GuildSettings) => ServerSettingsEdit,
): Promise<ServerSettingsEdit> {
  let changed = false;
  try {
    const settings = await call.ctx.deps.guildSettings.update(call.guildId, (current) => {
      const result = edit(current);
      changed = result.changed;
      return result.changed ? result.settings : current;
    });
    if (changed)
      call.ctx.log.info(
        { guildId: call.guildId, userId: call.interaction.user.id },
        'server settings changed',
      );
    return { settings, changed };
  } catch (error) {
    if (error instanceof GuildSettingsConflictError)
      throw new UserFacingError(ChorusErrorCode.Conflict, ServerReplies.conflict(), {
        guildId: call.guildId,
      });
    throw error;
  }
}

async function reply(call: ServerCall, content: string): Promise<void> {
  await respond(call.interaction, { content, ephemeral: true });
}

/** `/server …`: checks Manage Server, then routes to the group's subcommand. Every answer is ephemeral. */
export async function runServerCommand(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
): Promise<void> {
  const call: ServerCall = { ctx, interaction, guildId: requireManageServer(interaction) };
  const group = interaction.options.getSubcommandGroup(false);
  const subcommand = interaction.options.getSubcommand(true);
  switch (group) {
    case ServerGroup.Personalities:
      return runPersonalities(call, subcommand);
    case ServerGroup.Channels:
      return runChannels(call, subcommand);
    case ServerGroup.Roles:
      return runRoles(call, subcommand);
    case ServerGroup.Limits:
      return runLimits(call, subcommand);
    case ServerGroup.Nsfw: {
      const allowNsfw = subcommand === ServerSubcommand.Allow;
      await applyEdit(call, (current) => ({
        settings: { ...current, allowNsfw },
        changed: current.allowNsfw !== allowNsfw,
      }));
      return reply(call, allowNsfw ? ServerReplies.nsfwAllowed() : ServerReplies.nsfwDenied());
    }
    case null:
      return showSettings(call);
    default:
      return reply(call, CommandReplies.unknownCommand());
  }
}

async function showSettings(call: ServerCall): Promise<void> {
  const { guildSettings, personalities, config } = call.ctx.deps;
  const settings = await guildSettings.fetch(call.guildId);
  const named = await personalities.fetchManyByIds(listReferencedPersonalityIds(settings));
  await respond(call.interaction, {
    embeds: [buildServerSettingsEmbed(settings, named, config.limits)],
    ephemeral: true,
  });
}

async function runPersonalities(call: ServerCall, subcommand: string): Promise<void> {
  const options = call.interaction.options;
  switch (subcommand) {
    case ServerSubcommand.Mode: {
      const mode = options.getString(ServerOption.Mode, true) === 'allowlist' ? 'allowlist' : 'allow-all';
      const { settings } = await applyEdit(call, (current) => ({
        settings: { ...current, personalityMode: mode },
        changed: current.personalityMode !== mode,
      }));
      return reply(call, ServerReplies.personalityMode(mode, settings.allowedPersonalityIds.length));
    }
    case ServerSubcommand.Allow:
    case ServerSubcommand.Block: {
      const personality = await resolveForCaller(call);
      const field = subcommand === ServerSubcommand.Allow ? 'allowedPersonalityIds' : 'blockedPersonalityIds';
      const { settings } = await applyEdit(call, (current) => addToList(current, field, personality.id));
      const who = describePersonality(personality.name, personality.ownerId);
      return reply(
        call,
        field === 'allowedPersonalityIds'
          ? ServerReplies.allowed(who, settings.personalityMode === 'allowlist')
          : ServerReplies.blocked(who),
      );
    }
    case ServerSubcommand.Disallow:
      return removeListedPersonality(call, 'allowedPersonalityIds');
    case ServerSubcommand.Unblock:
      return removeListedPersonality(call, 'blockedPersonalityIds');
    case ServerSubcommand.BlockName: {
      const name = parseServerName(options.getString(ServerOption.Name, true));
      await applyEdit(call, (current) => addToList(current, 'blockedNames', name));
      return reply(call, ServerReplies.nameBlocked(name));
    }
    case ServerSubcommand.UnblockName: {
      const name = parseServerName(options.getString(ServerOption.Name, true));
      const { changed } = await applyEdit(call, (current) => removeFromList(current, 'blockedNames', name));
      return reply(call, changed ? ServerReplies.nameUnblocked(name) : ServerReplies.nameNotBlocked(name));
    }
    case ServerSubcommand.Alias:
      return setServerAlias(call);
    case ServerSubcommand.Unalias: {
      const alias = options.getString(ServerOption.Alias, true);
      const key = parseServerName(alias);
      const { changed } = await applyEdit(call, (current) => removeAlias(current, key));
      return reply(call, changed ? ServerReplies.aliasRemoved(alias) : ServerReplies.aliasUnknown(alias));
    }
    default:
      // A subcommand registered by an older or newer deployment.
      return reply(call, CommandReplies.unknownCommand());
  }
}

/** The personality the `personality` option names, as the caller may use it (their own, or a public one). */
function resolveForCaller(call: ServerCall): Promise<Personality> {
  return resolvePersonality(
    call.ctx.deps.personalities,
    call.interaction.user.id,
    call.interaction.options.getString(ServerOption.Personality, true),
  );
}

/**
 * Takes a personality off a list. The option holds a listed id (autocomplete offers the list, which may hold
 * personalities that have since gone private or been deleted) or a name, matched against the listed ones.
 */
async function removeListedPersonality(
  call: ServerCall,
  field: 'allowedPersonalityIds' | 'blockedPersonalityIds',
): Promise<void> {
  const { guildSettings, personalities } = call.ctx.deps;
  const query = call.interaction.options.getString(ServerOption.Personality, true).trim();
  const listed = (await guildSettings.fetch(call.guildId))[field];
  const named = await personalities.fetchManyByIds(listed);
  const key = normalizePersonalityName(query);
  const id =
    listed.find((candidate) => candidate === query) ??
    listed.find((candidate) => {
      const personality = named.get(candidate);
      return personality !== undefined && normalizePersonalityName(personality.name) === key;
    });
  const notListed =
    field === 'allowedPersonalityIds' ? ServerReplies.notAllowed(query) : ServerReplies.notBlocked(query);
  if (id === undefined) throw new UserFacingError(ChorusErrorCode.NotFound, notListed);
  const { changed } = await applyEdit(call, (current) => removeFromList(current, field, id));
  if (!changed) throw new UserFacingError(ChorusErrorCode.NotFound, notListed);
  const personality = named.get(id);
  const who =
    personality === undefined
      ? ServerReplies.deletedPersonality(id)
      : describePersonality(personality.name, personality.ownerId);
  await reply(
    call,
    field === 'allowedPersonalityIds' ? ServerReplies.disallowed(who) : ServerReplies.unblocked(who),
  );
}

async function setServerAlias(call: ServerCall): Promise<void> {
  const { personalities } = call.ctx.deps;
  const callerId = call.interaction.user.id;
  const typed = call.interaction.options.getString(ServerOption.Alias, true);
  const key = parseServerAlias(typed);
  const alias = typed.trim().replace(/^@\s*/u, '');
  const personality = await resolveForCaller(call);
  let replacedId: string | null = null;
  await applyEdit(call, (current) => {
    const result = setAlias(current, key, personality.id);
    replacedId = result.replacedId;
    return result;
  });
  const replaced = replacedId === null ? null : await personalities.fetchById(replacedId);
  const shadowed = (await personalities.resolveNames(callerId, [key])).get(key);
  await reply(
    call,
    ServerReplies.aliasSet(
      alias,
      describePersonality(personality.name, personality.ownerId),
      replacedId === null
        ? null
        : replaced === null
          ? ServerReplies.deletedPersonality(replacedId)
          : describePersonality(replaced.name, replaced.ownerId),
    ) + (shadowed?.ownerId === callerId ? ServerReplies.aliasShadowedForCaller(alias) : ''),
  );
}

async function runChannels(call: ServerCall, subcommand: string): Promise<void> {
  const options = call.interaction.options;
  if (subcommand === ServerSubcommand.Mode) {
    const value = options.getString(ServerOption.Mode, true);
    const mode = value === 'only' || value === 'except' ? value : 'everywhere';
    const { settings } = await applyEdit(call, (current) => ({
      settings: { ...current, channelMode: mode },
      changed: current.channelMode !== mode,
    }));
    return reply(call, ServerReplies.channelMode(mode, settings.channelIds.length));
  }
  const channel = options.getChannel(ServerOption.Channel, true);
  if (THREAD_TYPES.has(channel.type)) {
    const parentId = 'parentId' in channel ? channel.parentId : null;
    throw new UserFacingError(ChorusErrorCode.InvalidInput, ServerReplies.threadRefused(parentId ?? null));
  }
  if (subcommand === ServerSubcommand.Add) {
    const { settings } = await applyEdit(call, (current) => addToList(current, 'channelIds', channel.id));
    return reply(call, ServerReplies.channelAdded(channel.id, settings.channelMode));
  }
  const { changed } = await applyEdit(call, (current) => removeFromList(current, 'channelIds', channel.id));
  return reply(
    call,
    changed ? ServerReplies.channelRemoved(channel.id) : ServerReplies.channelNotListed(channel.id),
  );
}

async function runRoles(call: ServerCall, subcommand: string): Promise<void> {
  const field =
    subcommand === ServerSubcommand.Talk || subcommand === ServerSubcommand.TalkClear
      ? 'requiredRoleId'
      : 'activatorRoleId';
  const clear = subcommand === ServerSubcommand.TalkClear || subcommand === ServerSubcommand.ActivateClear;
  let roleId: string | null = null;
  if (!clear) {
    roleId = call.interaction.options.getRole(ServerOption.Role, true).id;
    if (roleId === call.guildId)
      throw new UserFacingError(ChorusErrorCode.InvalidInput, ServerReplies.everyoneRole());
  }
  await applyEdit(call, (current) => ({
    settings: { ...current, [field]: roleId },
    changed: current[field] !== roleId,
  }));
  if (field === 'requiredRoleId')
    return reply(call, roleId === null ? ServerReplies.talkCleared() : ServerReplies.talkRole(roleId));
  return reply(
    call,
    roleId === null ? ServerReplies.activatorCleared() : ServerReplies.activatorRole(roleId),
  );
}

async function runLimits(call: ServerCall, subcommand: string): Promise<void> {
  if (subcommand === ServerSubcommand.Clear) {
    await applyEdit(call, (current) => ({
      settings: { ...current, userMaxPending: null, userRatePerMinute: null },
      changed: current.userMaxPending !== null || current.userRatePerMinute !== null,
    }));
    return reply(call, ServerReplies.limitsCleared());
  }
  const operator = call.ctx.deps.config.limits;
  const kind: ServerLimitKind = subcommand === ServerSubcommand.Pending ? 'pending' : 'per-minute';
  const field = kind === 'pending' ? 'userMaxPending' : 'userRatePerMinute';
  const value = parseServerLimit(
    kind,
    call.interaction.options.getInteger(ServerOption.Value, true),
    kind === 'pending' ? operator.userMaxPending : operator.userRatePerMinute,
  );
  await applyEdit(call, (current) => ({
    settings: { ...current, [field]: value },
    changed: current[field] !== value,
  }));
  return reply(call, ServerReplies.limitSet(kind, value));
}
