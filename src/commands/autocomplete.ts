import type { ApplicationCommandOptionChoiceData, AutocompleteInteraction } from 'discord.js';
import { DiscordLimits } from '../discord/index.js';
import { normalizePersonalityName, type Personality } from '../state/index.js';
import type { CommandContext } from './command-context.js';
import { CommandReplies } from './command-replies.js';
import { CommandName, OptionName, PERSONALITY_OPTIONS, SubcommandName } from './definitions.js';
import { tryResolvePersonality } from './personality-lookup.js';
import { NO_FALLBACKS } from './personality-rules.js';
import { truncateText } from './personality-views.js';

/** Discord's limit on a choice's name and value. */
const CHOICE_TEXT_MAX = 100;

type Choice = ApplicationCommandOptionChoiceData<string>;

/** A personality as an autocomplete choice: its id as the value, so the command gets exactly this one. */
export function buildPersonalityChoice(personality: Personality, callerId: string): Choice {
  const label =
    personality.ownerId === callerId
      ? CommandReplies.choiceOwn(personality.name)
      : personality.editorIds.includes(callerId)
        ? CommandReplies.choiceShared(personality.name)
        : CommandReplies.choicePublic(personality.name);
  return { name: truncateText(label, CHOICE_TEXT_MAX), value: personality.id };
}

/** Names that start with the query first, then those containing it; at most Discord's 25. */
export function rankChoices(values: readonly string[], query: string): string[] {
  const key = normalizePersonalityName(query);
  const starts = values.filter((value) => normalizePersonalityName(value).startsWith(key));
  const contains = values.filter(
    (value) => !starts.includes(value) && normalizePersonalityName(value).includes(key),
  );
  return [...starts, ...contains].slice(0, DiscordLimits.autocompleteChoices);
}

/**
 * Answers an autocomplete interaction from Redis and the configuration alone, never deferred (Discord does not
 * allow it): personalities the caller may use (their own first, best matches first), configured providers and
 * models, and a personality's aliases.
 */
export async function answerAutocomplete(
  ctx: CommandContext,
  interaction: AutocompleteInteraction,
): Promise<void> {
  const focused = interaction.options.getFocused(true);
  const query = String(focused.value);
  const callerId = interaction.user.id;
  const { personalities, config } = ctx.deps;
  let choices: Choice[] = [];
  if (PERSONALITY_OPTIONS.has(focused.name)) {
    // Co-editors are offered what was shared with them where they edit it, and only there.
    const editing =
      interaction.commandName === CommandName.Personality &&
      interaction.options.getSubcommandGroup(false) === null &&
      interaction.options.getSubcommand(false) === SubcommandName.Edit;
    const found = await personalities.searchForAutocomplete(
      callerId,
      query,
      DiscordLimits.autocompleteChoices,
      { shared: editing },
    );
    choices = found.map((personality) => buildPersonalityChoice(personality, callerId));
  } else if (focused.name === OptionName.Provider) {
    choices = rankChoices([...config.ai.providers.keys()], query).map((provider) => ({
      name:
        provider === config.ai.defaultProvider ? CommandReplies.choiceDefaultProvider(provider) : provider,
      value: provider,
    }));
  } else if (focused.name === OptionName.Model) {
    const provider =
      interaction.options.getString(OptionName.Provider) ?? (await findEditedProvider(ctx, interaction));
    const models = config.ai.providers.get(provider ?? config.ai.defaultProvider)?.models ?? [];
    choices = rankChoices(models, query).map((model) => ({
      name: truncateText(model, CHOICE_TEXT_MAX),
      value: model,
    }));
  } else if (focused.name === OptionName.Fallbacks) {
    choices = buildFallbackChoices(query, config.ai.providers);
  } else if (focused.name === OptionName.Alias) {
    const edited = await findNamedPersonality(ctx, interaction);
    const aliases = edited?.ownerId === callerId ? edited.aliases : [];
    choices = rankChoices(aliases, query).map((alias) => ({
      name: truncateText(alias, CHOICE_TEXT_MAX),
      value: alias,
    }));
  }
  await interaction.respond(choices.slice(0, DiscordLimits.autocompleteChoices));
}

/**
 * Choices for the `fallbacks` list: the entries typed so far, kept, followed by each configured
 * `provider/model` matching the entry being typed (the text after the last comma); `none` when nothing is typed.
 * A choice whose value would pass Discord's 100 characters is left out.
 */
export function buildFallbackChoices(
  query: string,
  providers: ReadonlyMap<string, { readonly models: readonly string[] }>,
): Choice[] {
  const comma = query.lastIndexOf(',');
  const typed = query
    .slice(0, comma + 1)
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  const current = query.slice(comma + 1).trim();
  const models = [...providers].flatMap(([provider, choice]) =>
    choice.models.map((model) => `${provider}/${model}`),
  );
  const ranked = rankChoices(
    models.filter((model) => !typed.includes(model)),
    current,
  ).map((model) => [...typed, model].join(', '));
  const values = typed.length === 0 && current === '' ? [NO_FALLBACKS, ...ranked] : ranked;
  return values
    .filter((value) => value.length <= CHOICE_TEXT_MAX)
    .slice(0, DiscordLimits.autocompleteChoices)
    .map((value) => ({ name: value, value }));
}

/** The personality the command's `name` option holds so far (an id from autocomplete, or a typed name). */
async function findNamedPersonality(
  ctx: CommandContext,
  interaction: AutocompleteInteraction,
): Promise<Personality | null> {
  const value = interaction.options.getString(OptionName.Name);
  return value === null ? null : tryResolvePersonality(ctx.deps.personalities, interaction.user.id, value);
}

/** When editing a personality without choosing a provider, models come from its current provider. */
async function findEditedProvider(
  ctx: CommandContext,
  interaction: AutocompleteInteraction,
): Promise<string | null> {
  return (await findNamedPersonality(ctx, interaction))?.provider ?? null;
}
