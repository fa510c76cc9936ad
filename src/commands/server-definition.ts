import {
  ChannelType,
  InteractionContextType,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type SlashCommandStringOption,
} from 'discord.js';

/** The command's name. */
export const SERVER_COMMAND = 'server';

/** `/server` subcommand groups. */
export const ServerGroup = {
  Personalities: 'personalities',
  Channels: 'channels',
  Roles: 'roles',
  Limits: 'limits',
  Nsfw: 'nsfw',
} as const;

/** `/server` subcommands (within their group). */
export const ServerSubcommand = {
  Show: 'show',
  Mode: 'mode',
  Allow: 'allow',
  Disallow: 'disallow',
  Block: 'block',
  Unblock: 'unblock',
  BlockName: 'block-name',
  UnblockName: 'unblock-name',
  Alias: 'alias',
  Unalias: 'unalias',
  Add: 'add',
  Remove: 'remove',
  Talk: 'talk',
  TalkClear: 'talk-clear',
  Activate: 'activate',
  ActivateClear: 'activate-clear',
  Pending: 'pending',
  PerMinute: 'per-minute',
  Clear: 'clear',
  Deny: 'deny',
} as const;

/** `/server` option names. `personality` and `alias` match the other commands' options of those names. */
export const ServerOption = {
  Mode: 'mode',
  Personality: 'personality',
  Name: 'name',
  Alias: 'alias',
  Channel: 'channel',
  Role: 'role',
  Value: 'value',
} as const;

/** Channels a list may hold: those with their own messages (threads follow their parent). */
const LISTABLE_CHANNEL_TYPES = [
  ChannelType.GuildText,
  ChannelType.GuildAnnouncement,
  ChannelType.GuildForum,
  ChannelType.GuildVoice,
] as const;

const personalityOption = (description: string) => (option: SlashCommandStringOption) =>
  option
    .setName(ServerOption.Personality)
    .setDescription(description)
    .setRequired(true)
    .setAutocomplete(true);

const nameOption = (description: string, autocomplete: boolean) => (option: SlashCommandStringOption) =>
  option
    .setName(ServerOption.Name)
    .setDescription(description)
    .setRequired(true)
    .setAutocomplete(autocomplete);

/**
 * `/server`: what answers in this server. Hidden from members without Manage Server (`default_member_permissions`);
 * server admins can override that in Discord's settings, so the handler checks the permission again.
 */
export function buildServerCommand(): SlashCommandBuilder {
  const command = new SlashCommandBuilder()
    .setName(SERVER_COMMAND)
    .setDescription('Choose which personalities answer in this server, where, and for whom')
    .setContexts(InteractionContextType.Guild)
    .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild);
  command.addSubcommand((sub) =>
    sub.setName(ServerSubcommand.Show).setDescription('Show this server’s settings'),
  );
  command.addSubcommandGroup((group) =>
    group
      .setName(ServerGroup.Personalities)
      .setDescription('Which personalities answer here')
      .addSubcommand((sub) =>
        sub
          .setName(ServerSubcommand.Mode)
          .setDescription('Let every personality answer (minus blocks), or only the allowed ones')
          .addStringOption((option) =>
            option
              .setName(ServerOption.Mode)
              .setDescription('allow-all (the default) or allowlist')
              .setRequired(true)
              .addChoices(
                { name: 'allow-all', value: 'allow-all' },
                { name: 'allowlist', value: 'allowlist' },
              ),
          ),
      )
      .addSubcommand((sub) =>
        sub
          .setName(ServerSubcommand.Allow)
          .setDescription('Add a personality to the allowlist')
          .addStringOption(personalityOption('The personality to allow')),
      )
      .addSubcommand((sub) =>
        sub
          .setName(ServerSubcommand.Disallow)
          .setDescription('Take a personality off the allowlist')
          .addStringOption(personalityOption('The allowed personality to remove')),
      )
      .addSubcommand((sub) =>
        sub
          .setName(ServerSubcommand.Block)
          .setDescription('Stop one personality from answering here')
          .addStringOption(personalityOption('The personality to block')),
      )
      .addSubcommand((sub) =>
        sub
          .setName(ServerSubcommand.Unblock)
          .setDescription('Let a blocked personality answer here again')
          .addStringOption(personalityOption('The blocked personality')),
      )
      .addSubcommand((sub) =>
        sub
          .setName(ServerSubcommand.BlockName)
          .setDescription('Stop every public personality of a name from answering here')
          .addStringOption(nameOption('The name (any owner’s public personality of this name)', false)),
      )
      .addSubcommand((sub) =>
        sub
          .setName(ServerSubcommand.UnblockName)
          .setDescription('Let public personalities of a blocked name answer here again')
          .addStringOption(nameOption('The blocked name', true)),
      )
      .addSubcommand((sub) =>
        sub
          .setName(ServerSubcommand.Alias)
          .setDescription('A name that means a personality in this server only (@Guide → Alice)')
          .addStringOption((option) =>
            option.setName(ServerOption.Alias).setDescription('The server’s name for it').setRequired(true),
          )
          .addStringOption(personalityOption('The personality it means')),
      )
      .addSubcommand((sub) =>
        sub
          .setName(ServerSubcommand.Unalias)
          .setDescription('Remove a server alias')
          .addStringOption((option) =>
            option
              .setName(ServerOption.Alias)
              .setDescription('The alias to remove')
              .setRequired(true)
              .setAutocomplete(true),
          ),
      ),
  );
  command.addSubcommandGroup((group) =>
    group
      .setName(ServerGroup.Channels)
      .setDescription('Where personalities answer (threads follow their parent)')
      .addSubcommand((sub) =>
        sub
          .setName(ServerSubcommand.Mode)
          .setDescription('Everywhere (the default), only in the listed channels, or everywhere except them')
          .addStringOption((option) =>
            option
              .setName(ServerOption.Mode)
              .setDescription('everywhere, only or except')
              .setRequired(true)
              .addChoices(
                { name: 'everywhere', value: 'everywhere' },
                { name: 'only the listed channels', value: 'only' },
                { name: 'everywhere except the listed channels', value: 'except' },
              ),
          ),
      )
      .addSubcommand((sub) =>
        sub
          .setName(ServerSubcommand.Add)
          .setDescription('Add a channel to the list')
          .addChannelOption((option) =>
            option
              .setName(ServerOption.Channel)
              .setDescription('The channel (its threads follow it)')
              .setRequired(true)
              .addChannelTypes(...LISTABLE_CHANNEL_TYPES),
          ),
      )
      .addSubcommand((sub) =>
        sub
          .setName(ServerSubcommand.Remove)
          .setDescription('Remove a channel from the list')
          .addChannelOption((option) =>
            option
              .setName(ServerOption.Channel)
              .setDescription('The listed channel')
              .setRequired(true)
              .addChannelTypes(...LISTABLE_CHANNEL_TYPES),
          ),
      ),
  );
  command.addSubcommandGroup((group) =>
    group
      .setName(ServerGroup.Roles)
      .setDescription('Who may talk to personalities, and who may /activate')
      .addSubcommand((sub) =>
        sub
          .setName(ServerSubcommand.Talk)
          .setDescription('Only members with this role may talk to personalities')
          .addRoleOption((option) =>
            option.setName(ServerOption.Role).setDescription('The required role').setRequired(true),
          ),
      )
      .addSubcommand((sub) =>
        sub.setName(ServerSubcommand.TalkClear).setDescription('Anyone may talk to personalities again'),
      )
      .addSubcommand((sub) =>
        sub
          .setName(ServerSubcommand.Activate)
          .setDescription('Members with this role may /activate, besides those with Manage Channels')
          .addRoleOption((option) =>
            option.setName(ServerOption.Role).setDescription('The activator role').setRequired(true),
          ),
      )
      .addSubcommand((sub) =>
        sub
          .setName(ServerSubcommand.ActivateClear)
          .setDescription('Only members with Manage Channels may /activate again'),
      ),
  );
  // Ranges are checked by the handler, which names the operator's limit (Discord's own text would not).
  command.addSubcommandGroup((group) =>
    group
      .setName(ServerGroup.Limits)
      .setDescription('Stricter per-member limits in this server')
      .addSubcommand((sub) =>
        sub
          .setName(ServerSubcommand.Pending)
          .setDescription('Replies one member may have on the way at once')
          .addIntegerOption((option) =>
            option.setName(ServerOption.Value).setDescription('At least 1').setRequired(true),
          ),
      )
      .addSubcommand((sub) =>
        sub
          .setName(ServerSubcommand.PerMinute)
          .setDescription('Messages per minute one member may send to personalities')
          .addIntegerOption((option) =>
            option.setName(ServerOption.Value).setDescription('At least 1').setRequired(true),
          ),
      )
      .addSubcommand((sub) =>
        sub.setName(ServerSubcommand.Clear).setDescription('Use the bot’s own limits again'),
      ),
  );
  command.addSubcommandGroup((group) =>
    group
      .setName(ServerGroup.Nsfw)
      .setDescription('Personalities their owners marked NSFW')
      .addSubcommand((sub) =>
        sub
          .setName(ServerSubcommand.Allow)
          .setDescription('They may answer here, in age-restricted channels only'),
      )
      .addSubcommand((sub) =>
        sub.setName(ServerSubcommand.Deny).setDescription('They never answer here (the default)'),
      ),
  );
  return command;
}
