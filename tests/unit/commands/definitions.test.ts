import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  InteractionContextType,
  PermissionFlagsBits,
} from 'discord.js';
import { describe, expect, it } from 'vitest';
import { buildCommandDefinitions, PERSONALITY_OPTIONS } from '../../../src/commands/definitions.js';

interface OptionJson {
  readonly name: string;
  readonly type: number;
  readonly description?: string;
  readonly autocomplete?: boolean;
  readonly choices?: readonly { readonly name: string; readonly value: string }[];
  readonly options?: readonly OptionJson[];
}

/** Every leaf option with the path of subcommands leading to it. */
function leafOptions(
  options: readonly OptionJson[] = [],
  path: string[] = [],
): Array<{ path: string; option: OptionJson }> {
  return options.flatMap((option) =>
    option.type === ApplicationCommandOptionType.Subcommand ||
    option.type === ApplicationCommandOptionType.SubcommandGroup
      ? leafOptions(option.options, [...path, option.name])
      : [{ path: path.join(' '), option }],
  );
}

describe('buildCommandDefinitions', () => {
  const definitions = buildCommandDefinitions();

  describe('when built', () => {
    it('declares every command once', () => {
      expect(definitions.map((command) => command.name)).toEqual([
        'personality',
        'activate',
        'deactivate',
        'activations',
        'reset',
        'memory',
        'apikey',
        'server',
        'status',
        'usage',
        'forget-me',
        'help',
        'Delete reply',
        'Regenerate',
      ]);
    });

    it('makes the two reply actions message context-menu commands', () => {
      const types = Object.fromEntries(definitions.map((command) => [command.name, command.type]));
      expect(types['Delete reply']).toBe(ApplicationCommandType.Message);
      expect(types['Regenerate']).toBe(ApplicationCommandType.Message);
    });

    it('autocompletes every option that names an existing personality', () => {
      const personalityOptions = definitions
        .flatMap((command) => leafOptions((command as { options?: OptionJson[] }).options, [command.name]))
        .filter(
          ({ path, option }) =>
            PERSONALITY_OPTIONS.has(option.name) &&
            path !== 'personality create' &&
            // `/server personalities block-name name:` is any name, not one personality.
            !(path.startsWith('server ') && option.name === 'name'),
        );
      expect(personalityOptions.map(({ path }) => path).sort()).toEqual([
        'activate',
        'memory add',
        'memory forget',
        'memory show',
        'personality alias add',
        'personality alias remove',
        'personality edit',
        'personality export',
        'personality info',
        'personality remove',
        'personality share',
        'personality unshare',
        'reset',
        'server personalities alias',
        'server personalities allow',
        'server personalities block',
        'server personalities disallow',
        'server personalities unblock',
      ]);
      expect(personalityOptions.every(({ option }) => option.autocomplete === true)).toBe(true);
    });

    it('hides /server from members without Manage Server, and offers it in servers only', () => {
      const server = definitions.find((command) => command.name === 'server') as {
        default_member_permissions?: string | null;
        contexts?: number[];
      };
      expect(server.default_member_permissions).toBe(String(PermissionFlagsBits.ManageGuild));
      expect(server.contexts).toEqual([InteractionContextType.Guild]);
    });

    it('lets /personality edit choose the context, room or personal, in words that are not visibility’s', () => {
      const options = definitions.flatMap((command) =>
        leafOptions((command as { options?: OptionJson[] }).options, [command.name]),
      );
      const context = options.filter(({ option }) => option.name === 'context');
      expect(context.map(({ path }) => path)).toEqual(['personality edit']);
      const option = context[0]!.option;
      expect(option.type).toBe(ApplicationCommandOptionType.String);
      expect(option.choices?.map((choice) => choice.value)).toEqual(['room', 'personal']);
      const words = [option.description, ...(option.choices ?? []).map((choice) => choice.name)].join(' ');
      expect(words).not.toMatch(/public|private/i);
      for (const choice of option.choices ?? []) expect(choice.name.length).toBeLessThanOrEqual(100);
      expect(option.description?.length).toBeLessThanOrEqual(100);
    });

    it('lets /personality edit list fallback models, with autocomplete and a short description', () => {
      const options = definitions.flatMap((command) =>
        leafOptions((command as { options?: OptionJson[] }).options, [command.name]),
      );
      const fallbacks = options.filter(({ option }) => option.name === 'fallbacks');
      expect(fallbacks.map(({ path }) => path)).toEqual(['personality edit']);
      const option = fallbacks[0]!.option;
      expect(option.type).toBe(ApplicationCommandOptionType.String);
      expect(option.autocomplete).toBe(true);
      expect(option.description?.length).toBeLessThanOrEqual(100);
    });
    it('lets /personality edit choose streaming: on, off or the bot’s default', () => {
      const options = definitions.flatMap((command) =>
        leafOptions((command as { options?: OptionJson[] }).options, [command.name]),
      );
      const stream = options.filter(({ option }) => option.name === 'stream');
      expect(stream.map(({ path }) => path)).toEqual(['personality edit']);
      const option = stream[0]!.option;
      expect(option.type).toBe(ApplicationCommandOptionType.String);
      expect(option.choices?.map((choice) => choice.value)).toEqual(['on', 'off', 'default']);
      for (const choice of option.choices ?? []) expect(choice.name.length).toBeLessThanOrEqual(100);
      expect(option.description?.length).toBeLessThanOrEqual(100);
    });

    it('does not autocomplete the name of a personality being created', () => {
      const create = definitions
        .flatMap((command) => leafOptions((command as { options?: OptionJson[] }).options, [command.name]))
        .find(({ path, option }) => path === 'personality create' && option.name === 'name');
      expect(create?.option.autocomplete).toBeFalsy();
    });
  });
});
