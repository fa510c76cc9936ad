/** A value a user types for one option: ids (as strings) for users, channels, roles and mentionables. */
export type CommandOptionValue = string | number | boolean;

/** Where in a command's tree the user is. */
export interface CommandPath {
  readonly subcommand?: string;
  readonly subcommandGroup?: string;
}

/** The options of an interaction, and which ids need `resolved` entries. */
export interface BuiltOptions {
  readonly options: Record<string, unknown>[];
  readonly resolve: {
    readonly users: string[];
    readonly channels: string[];
    readonly roles: string[];
    /** Ids of attachments uploaded for ATTACHMENT options (the caller registered them first). */
    readonly attachments: string[];
  };
}

/** Option types. @see https://discord.com/developers/docs/interactions/application-commands#application-command-object-application-command-option-type */
const OptionType = {
  Subcommand: 1,
  SubcommandGroup: 2,
  String: 3,
  Integer: 4,
  Boolean: 5,
  User: 6,
  Channel: 7,
  Role: 8,
  Mentionable: 9,
  Number: 10,
  Attachment: 11,
} as const;

interface OptionDefinition {
  readonly type: number;
  readonly name: string;
  readonly required?: boolean;
  readonly autocomplete?: boolean;
  readonly options?: readonly OptionDefinition[];
}

function definitionsOf(value: unknown): OptionDefinition[] {
  return Array.isArray(value)
    ? value.filter(
        (item): item is OptionDefinition =>
          typeof item === 'object' && item !== null && typeof (item as { name?: unknown }).name === 'string',
      )
    : [];
}

function coerce(
  definition: OptionDefinition,
  value: CommandOptionValue,
  focused: boolean,
): CommandOptionValue {
  // Autocomplete sends what the user has typed so far, as typed.
  if (focused) return String(value);
  switch (definition.type) {
    case OptionType.Integer:
    case OptionType.Number: {
      const number = Number(value);
      if (!Number.isFinite(number) || (definition.type === OptionType.Integer && !Number.isInteger(number))) {
        throw new Error(
          `sandbox: option "${definition.name}" needs a ${definition.type === OptionType.Integer ? 'integer' : 'number'}`,
        );
      }
      return number;
    }
    case OptionType.Boolean:
      return value === true || value === 'true';
    default:
      return String(value);
  }
}

/**
 * Turns `{ name: value }` into the nested `options` of an interaction, following the registered command's option
 * definitions (types, subcommands, required options) the way a Discord client would. Throws when the user could
 * not have sent it: unknown option, missing required option, unknown subcommand, autocomplete on a plain option.
 */
export function buildInteractionOptions(
  definitions: unknown,
  values: Readonly<Record<string, CommandOptionValue>>,
  path: CommandPath = {},
  focusedOption: string | null = null,
): BuiltOptions {
  const resolve = {
    users: [] as string[],
    channels: [] as string[],
    roles: [] as string[],
    attachments: [] as string[],
  };
  let level = definitionsOf(definitions);
  const wrap: { type: number; name: string }[] = [];
  if (path.subcommandGroup !== undefined) {
    const group = level.find(
      (option) => option.type === OptionType.SubcommandGroup && option.name === path.subcommandGroup,
    );
    if (!group) throw new Error(`sandbox: no subcommand group "${path.subcommandGroup}"`);
    wrap.push({ type: OptionType.SubcommandGroup, name: group.name });
    level = definitionsOf(group.options);
  }
  if (path.subcommand !== undefined) {
    const sub = level.find(
      (option) => option.type === OptionType.Subcommand && option.name === path.subcommand,
    );
    if (!sub) throw new Error(`sandbox: no subcommand "${path.subcommand}"`);
    wrap.push({ type: OptionType.Subcommand, name: sub.name });
    level = definitionsOf(sub.options);
  } else if (
    level.some(
      (option) => option.type === OptionType.Subcommand || option.type === OptionType.SubcommandGroup,
    )
  ) {
    throw new Error('sandbox: this command needs a subcommand');
  }

  const leaves: Record<string, unknown>[] = [];
  for (const [name, value] of Object.entries(values)) {
    const definition = level.find((option) => option.name === name);
    if (!definition) throw new Error(`sandbox: the command has no option "${name}"`);
    const focused = name === focusedOption;
    if (focused && definition.autocomplete !== true) {
      throw new Error(`sandbox: option "${name}" does not have autocomplete`);
    }
    const coerced = coerce(definition, value, focused);
    if (!focused) {
      if (definition.type === OptionType.User) resolve.users.push(String(coerced));
      if (definition.type === OptionType.Channel) resolve.channels.push(String(coerced));
      if (definition.type === OptionType.Role) resolve.roles.push(String(coerced));
      if (definition.type === OptionType.Attachment) resolve.attachments.push(String(coerced));
    }
    leaves.push({ type: definition.type, name, value: coerced, ...(focused ? { focused: true } : {}) });
  }
  if (focusedOption === null) {
    const missing = level.find((option) => option.required === true && !(option.name in values));
    if (missing) throw new Error(`sandbox: required option "${missing.name}" is missing`);
  } else if (!(focusedOption in values)) {
    throw new Error(`sandbox: the focused option "${focusedOption}" needs a value`);
  }

  let options = leaves;
  for (const parent of wrap.reverse()) options = [{ type: parent.type, name: parent.name, options }];
  return { options, resolve };
}
