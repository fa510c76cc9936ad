import {
  ApplicationCommandType,
  ContextMenuCommandBuilder,
  InteractionContextType,
  type RESTPutAPIApplicationCommandsJSONBody,
  SlashCommandBuilder,
  type SlashCommandStringOption,
  type SlashCommandSubcommandBuilder,
} from 'discord.js';
import { buildServerCommand, SERVER_COMMAND } from './server-definition.js';

/** Top-level command names, as Discord shows them. */
export const CommandName = {
  Personality: 'personality',
  Activate: 'activate',
  Deactivate: 'deactivate',
  Activations: 'activations',
  Reset: 'reset',
  Memory: 'memory',
  ApiKey: 'apikey',
  Status: 'status',
  Usage: 'usage',
  ForgetMe: 'forget-me',
  Help: 'help',
  Server: SERVER_COMMAND,
  DeleteReply: 'Delete reply',
  Regenerate: 'Regenerate',
} as const;

/** Subcommand (and subcommand group) names. */
export const SubcommandName = {
  Create: 'create',
  Edit: 'edit',
  Remove: 'remove',
  Info: 'info',
  List: 'list',
  Share: 'share',
  Unshare: 'unshare',
  Import: 'import',
  Export: 'export',
  AliasGroup: 'alias',
  Add: 'add',
  Set: 'set',
  Test: 'test',
  Show: 'show',
  Forget: 'forget',
} as const;

/** Option names; one constant per name so definitions and handlers cannot drift apart. */
export const OptionName = {
  Name: 'name',
  NewName: 'new-name',
  Prompt: 'prompt',
  Avatar: 'avatar',
  Provider: 'provider',
  Model: 'model',
  Temperature: 'temperature',
  Visibility: 'visibility',
  Nsfw: 'nsfw',
  Context: 'context',
  Fallbacks: 'fallbacks',
  Stream: 'stream',
  User: 'user',
  Scope: 'scope',
  Alias: 'alias',
  Personality: 'personality',
  Everywhere: 'everywhere',
  Key: 'key',
  File: 'file',
  Text: 'text',
  Memory: 'memory',
} as const;

/** Options whose value names a personality: they autocomplete from the caller's and public personalities. */
export const PERSONALITY_OPTIONS: ReadonlySet<string> = new Set([OptionName.Name, OptionName.Personality]);

/** Where a command may run: guild channels, and the bot's DMs (personalities answer there too). */
const ANYWHERE = [InteractionContextType.Guild, InteractionContextType.BotDM] as const;

const personalityOption = (option: SlashCommandStringOption, description: string) =>
  option.setName(OptionName.Name).setDescription(description).setRequired(true).setAutocomplete(true);

/*
 * Lengths, ranges and formats are deliberately not declared on the options: Discord would reject bad input
 * with its own generic text, while the validators answer naming the field and the rule, from one source.
 * Default member permissions only hide a command (`/server`): server admins can override them, so each
 * handler's own check of `memberPermissions` is what enforces Manage Channels or Manage Server.
 */
/** `/memory add|show|forget`: what personalities remember of the caller (docs/memory.md). */
function buildMemoryCommand() {
  const personality = (option: SlashCommandStringOption, required: boolean) =>
    option
      .setName(OptionName.Personality)
      .setDescription(required ? 'The personality' : 'Only this personality (default: all)')
      .setRequired(required)
      .setAutocomplete(true);
  return new SlashCommandBuilder()
    .setName(CommandName.Memory)
    .setDescription('What personalities remember about you')
    .setContexts(...ANYWHERE)
    .addSubcommand((subcommand) =>
      subcommand
        .setName(SubcommandName.Add)
        .setDescription('Add a note the personality will always keep in mind')
        .addStringOption((option) => personality(option, true))
        .addStringOption((option) =>
          option
            .setName(OptionName.Text)
            .setDescription('The note, e.g. "I am vegetarian"')
            .setRequired(true),
        ),
    )
    .addSubcommand((subcommand) =>
      subcommand
        .setName(SubcommandName.Show)
        .setDescription('Show what is remembered: summaries and notes')
        .addStringOption((option) => personality(option, false)),
    )
    .addSubcommand((subcommand) =>
      subcommand
        .setName(SubcommandName.Forget)
        .setDescription('Forget summaries and notes')
        .addStringOption((option) => personality(option, false)),
    );
}

function addPersonalityFields(subcommand: SlashCommandSubcommandBuilder, required: boolean) {
  return subcommand
    .addStringOption((option) =>
      option
        .setName(OptionName.Prompt)
        .setDescription('The system prompt: who the personality is')
        .setRequired(required),
    )
    .addStringOption((option) =>
      option.setName(OptionName.Avatar).setDescription('Avatar image URL (https), or "none" to remove it'),
    )
    .addStringOption((option) =>
      option.setName(OptionName.Provider).setDescription('AI provider').setAutocomplete(true),
    )
    .addStringOption((option) =>
      option.setName(OptionName.Model).setDescription('Model').setAutocomplete(true),
    )
    .addNumberOption((option) =>
      option
        .setName(OptionName.Temperature)
        .setDescription('Sampling temperature, 0 to 2 (omit for the default)'),
    )
    .addStringOption((option) =>
      option
        .setName(OptionName.Visibility)
        .setDescription('public: anyone can talk to it; private: only you')
        .addChoices({ name: 'public', value: 'public' }, { name: 'private', value: 'private' }),
    )
    .addBooleanOption((option) =>
      option
        .setName(OptionName.Nsfw)
        .setDescription('Adult content: answers only in age-restricted channels'),
    );
}

function buildPersonalityCommand(): SlashCommandBuilder {
  const command = new SlashCommandBuilder()
    .setName(CommandName.Personality)
    .setDescription('Create and manage AI personalities')
    .setContexts(...ANYWHERE);
  command.addSubcommand((subcommand) =>
    addPersonalityFields(
      subcommand
        .setName(SubcommandName.Create)
        .setDescription('Create a personality you own')
        .addStringOption((option) =>
          option
            .setName(OptionName.Name)
            .setDescription('Its name: people address it as @Name')
            .setRequired(true),
        ),
      true,
    ),
  );
  command.addSubcommand((subcommand) =>
    addPersonalityFields(
      subcommand
        .setName(SubcommandName.Edit)
        .setDescription('Change one of your personalities, or one shared with you')
        .addStringOption((option) => personalityOption(option, 'The personality to change'))
        .addStringOption((option) => option.setName(OptionName.NewName).setDescription('A new name')),
      false,
    )
      .addStringOption((option) =>
        option
          .setName(OptionName.Context)
          .setDescription(
            'What it sees in a server: the whole conversation there, or only its talks with each person',
          )
          .addChoices(
            { name: 'room: follows the channel’s conversation', value: 'room' },
            { name: 'personal: sees only its own talk with each person', value: 'personal' },
          ),
      )
      .addStringOption((option) =>
        option
          .setName(OptionName.Memory)
          .setDescription('Whose memory it keeps: one per person and channel, or one per person everywhere')
          .addChoices(
            { name: 'conversation: remembers each channel’s talk apart', value: 'conversation' },
            { name: 'user: remembers each person across channels', value: 'user' },
          ),
      )
      .addStringOption((option) =>
        option
          .setName(OptionName.Fallbacks)
          .setDescription(
            'Models that answer while its own is down: provider/model, comma-separated (max 3), or none',
          )
          .setAutocomplete(true),
      )
      .addStringOption((option) =>
        option
          .setName(OptionName.Stream)
          .setDescription('Whether its replies in servers appear as they are written')
          .addChoices(
            { name: 'on: replies appear as they are written', value: 'on' },
            { name: 'off: replies appear once complete', value: 'off' },
            { name: 'default: follow the bot’s setting', value: 'default' },
          ),
      ),
  );
  command.addSubcommand((subcommand) =>
    subcommand
      .setName(SubcommandName.Remove)
      .setDescription('Delete one of your personalities')
      .addStringOption((option) => personalityOption(option, 'The personality to delete')),
  );
  for (const [name, description, userDescription] of [
    [SubcommandName.Share, 'Let someone edit one of your personalities', 'Who may edit it'],
    [SubcommandName.Unshare, 'Stop someone editing one of your personalities', 'Who may no longer edit it'],
  ] as const) {
    command.addSubcommand((subcommand) =>
      subcommand
        .setName(name)
        .setDescription(description)
        .addStringOption((option) => personalityOption(option, 'The personality'))
        .addUserOption((option) =>
          option.setName(OptionName.User).setDescription(userDescription).setRequired(true),
        ),
    );
  }
  command.addSubcommand((subcommand) =>
    subcommand
      .setName(SubcommandName.Import)
      .setDescription('Create a personality from a character card (V2/V3, .json or .png)')
      .addAttachmentOption((option) =>
        option.setName(OptionName.File).setDescription('The card: a .json or .png file').setRequired(true),
      )
      .addStringOption((option) =>
        option
          .setName(OptionName.Avatar)
          .setDescription('Avatar image URL (https); cards’ images are not used'),
      )
      .addStringOption((option) =>
        option
          .setName(OptionName.Visibility)
          .setDescription('public: anyone can talk to it; private: only you')
          .addChoices({ name: 'public', value: 'public' }, { name: 'private', value: 'private' }),
      ),
  );
  command.addSubcommand((subcommand) =>
    subcommand
      .setName(SubcommandName.Export)
      .setDescription('Download one of your personalities as a character card (V2 JSON)')
      .addStringOption((option) => personalityOption(option, 'The personality to export')),
  );
  command.addSubcommand((subcommand) =>
    subcommand
      .setName(SubcommandName.Info)
      .setDescription('Show a personality')
      .addStringOption((option) => personalityOption(option, 'The personality to show')),
  );
  command.addSubcommand((subcommand) =>
    subcommand
      .setName(SubcommandName.List)
      .setDescription('List personalities')
      .addStringOption((option) =>
        option
          .setName(OptionName.Scope)
          .setDescription('Yours (default) or everyone’s public ones')
          .addChoices({ name: 'mine', value: 'mine' }, { name: 'public', value: 'public' }),
      ),
  );
  command.addSubcommandGroup((group) =>
    group
      .setName(SubcommandName.AliasGroup)
      .setDescription('Other names a personality answers to')
      .addSubcommand((subcommand) =>
        subcommand
          .setName(SubcommandName.Add)
          .setDescription('Add an alias to one of your personalities')
          .addStringOption((option) => personalityOption(option, 'The personality'))
          .addStringOption((option) =>
            option.setName(OptionName.Alias).setDescription('The extra name').setRequired(true),
          ),
      )
      .addSubcommand((subcommand) =>
        subcommand
          .setName(SubcommandName.Remove)
          .setDescription('Remove an alias from one of your personalities')
          .addStringOption((option) => personalityOption(option, 'The personality'))
          .addStringOption((option) =>
            option
              .setName(OptionName.Alias)
              .setDescription('The alias to remove')
              .setRequired(true)
              .setAutocomplete(true),
          ),
      ),
  );
  return command;
}

function buildApiKeyCommand(): SlashCommandBuilder {
  const providerOption = (option: SlashCommandStringOption) =>
    option
      .setName(OptionName.Provider)
      .setDescription('AI provider (default: the bot’s default)')
      .setAutocomplete(true);
  const command = new SlashCommandBuilder()
    .setName(CommandName.ApiKey)
    .setDescription('Use your own AI provider key for your messages')
    .setContexts(...ANYWHERE);
  command.addSubcommand((subcommand) =>
    subcommand
      .setName(SubcommandName.Set)
      .setDescription('Store your key (encrypted; only its fingerprint is ever shown)')
      .addStringOption((option) =>
        option.setName(OptionName.Key).setDescription('Your API key').setRequired(true),
      )
      .addStringOption(providerOption),
  );
  command.addSubcommand((subcommand) =>
    subcommand
      .setName(SubcommandName.Remove)
      .setDescription('Delete your stored key')
      .addStringOption(providerOption),
  );
  command.addSubcommand((subcommand) =>
    subcommand
      .setName(SubcommandName.Test)
      .setDescription('Check your stored key against the provider')
      .addStringOption(providerOption),
  );
  return command;
}

/** Every command Chorus registers, as the JSON body of a bulk overwrite. */
export function buildCommandDefinitions(): RESTPutAPIApplicationCommandsJSONBody {
  const activationPersonality = (option: SlashCommandStringOption) =>
    option
      .setName(OptionName.Personality)
      .setDescription('The personality that answers every message here')
      .setRequired(true)
      .setAutocomplete(true);
  return [
    buildPersonalityCommand(),
    new SlashCommandBuilder()
      .setName(CommandName.Activate)
      .setDescription('Make a personality answer every message in this channel (and its threads)')
      .setContexts(InteractionContextType.Guild)
      .addStringOption(activationPersonality),
    new SlashCommandBuilder()
      .setName(CommandName.Deactivate)
      .setDescription('Stop the personality activated in this channel')
      .setContexts(InteractionContextType.Guild),
    new SlashCommandBuilder()
      .setName(CommandName.Activations)
      .setDescription('Show which personality answers in this channel')
      .setContexts(InteractionContextType.Guild),
    new SlashCommandBuilder()
      .setName(CommandName.Reset)
      .setDescription('Make personalities forget your conversation here')
      .setContexts(...ANYWHERE)
      .addStringOption((option) =>
        option
          .setName(OptionName.Personality)
          .setDescription('Only this personality (default: all)')
          .setAutocomplete(true),
      )
      .addBooleanOption((option) =>
        option.setName(OptionName.Everywhere).setDescription('Forget in every channel, not just this one'),
      ),
    buildMemoryCommand(),
    buildApiKeyCommand(),
    buildServerCommand(),
    new SlashCommandBuilder()
      .setName(CommandName.Status)
      .setDescription('Your pending replies and limits, and the health of the bot')
      .setContexts(...ANYWHERE),
    new SlashCommandBuilder()
      .setName(CommandName.Usage)
      .setDescription('The tokens your conversations used today and this month, per personality')
      .setContexts(...ANYWHERE),
    new SlashCommandBuilder()
      .setName(CommandName.ForgetMe)
      .setDescription('Delete everything Chorus stores about you')
      .setContexts(...ANYWHERE),
    new SlashCommandBuilder()
      .setName(CommandName.Help)
      .setDescription('What Chorus does and how to talk to personalities')
      .setContexts(...ANYWHERE),
    new ContextMenuCommandBuilder()
      .setName(CommandName.DeleteReply)
      .setType(ApplicationCommandType.Message)
      .setContexts(...ANYWHERE),
    new ContextMenuCommandBuilder()
      .setName(CommandName.Regenerate)
      .setType(ApplicationCommandType.Message)
      .setContexts(...ANYWHERE),
  ].map((builder) => builder.toJSON());
}
