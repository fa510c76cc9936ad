import {
  type ApplicationCommandOptionChoiceData,
  type AutocompleteInteraction,
  PermissionFlagsBits,
} from 'discord.js';
import { DiscordLimits } from '../discord/index.js';
import type { Personality } from '../state/index.js';
import { rankChoices } from './autocomplete.js';
import type { CommandContext } from './command-context.js';
import { truncateText } from './personality-views.js';
import { ServerOption, ServerSubcommand } from './server-definition.js';
import { ServerReplies } from './server-replies.js';

/** Discord's limit on a choice's name and value. */
const CHOICE_TEXT_MAX = 100;
/** How long autocomplete waits for owners' names it has not seen yet (Discord allows 3 s in all). */
const OWNER_LOOKUP_MS = 1000;

type Choice = ApplicationCommandOptionChoiceData<string>;

/**
 * Owners' display names for autocomplete labels: the client's cache, else fetched within a short budget
 * (discord.js caches what it fetches, so later keystrokes find them); an unknown owner shows as its id.
 */
async function findOwnerNames(
  interaction: AutocompleteInteraction,
  ownerIds: readonly string[],
): Promise<Map<string, string>> {
  const users = interaction.client.users;
  const names = new Map<string, string>();
  const missing: string[] = [];
  for (const id of new Set(ownerIds)) {
    const cached = users.cache.get(id);
    if (cached) names.set(id, cached.globalName ?? cached.username);
    else missing.push(id);
  }
  if (missing.length > 0) {
    const fetched = Promise.allSettled(
      missing.map(async (id) => {
        const user = await users.fetch(id);
        names.set(id, user.globalName ?? user.username);
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, OWNER_LOOKUP_MS);
    });
    await Promise.race([fetched, budget]);
    clearTimeout(timer);
  }
  return names;
}

/** Personalities as choices labelled with name and owner ("Alice — by sam", "Guide (yours)"). */
async function buildOwnedChoices(
  interaction: AutocompleteInteraction,
  found: readonly Personality[],
): Promise<Choice[]> {
  const callerId = interaction.user.id;
  const owners = await findOwnerNames(
    interaction,
    found.filter((personality) => personality.ownerId !== callerId).map((personality) => personality.ownerId),
  );
  return found.map((personality) => {
    const label =
      personality.ownerId === callerId
        ? ServerReplies.choiceOwn(personality.name)
        : ServerReplies.choiceByOwner(
            personality.name,
            owners.get(personality.ownerId) ?? ServerReplies.choiceUnknownOwner(personality.ownerId),
          );
    return { name: truncateText(label, CHOICE_TEXT_MAX), value: personality.id };
  });
}

/** The listed personalities matching the query (name or alias), in list order; deleted ones by id. */
async function searchListed(
  ctx: CommandContext,
  ids: readonly string[],
  query: string,
): Promise<{ found: Personality[]; gone: string[] }> {
  const named = await ctx.deps.personalities.fetchManyByIds(ids);
  const byLabel = new Map<string, Personality>();
  for (const id of ids) {
    const personality = named.get(id);
    if (personality) byLabel.set(`${personality.name}\u0000${id}`, personality);
  }
  const matching = new Set(rankChoices([...byLabel.keys()], query));
  return {
    found: [...byLabel].filter(([label]) => matching.has(label)).map(([, personality]) => personality),
    gone: query.trim() === '' ? ids.filter((id) => !named.has(id)) : [],
  };
}

/**
 * `/server` autocomplete. Members without Manage Server get nothing (the lists are the admins' business).
 * `allow`, `block` and `alias` search the caller's own and public personalities; `disallow`, `unblock`,
 * `unblock-name` and `unalias` offer what the server lists.
 */
export async function answerServerAutocomplete(
  ctx: CommandContext,
  interaction: AutocompleteInteraction,
): Promise<void> {
  if (!interaction.inGuild() || !interaction.memberPermissions.has(PermissionFlagsBits.ManageGuild)) {
    await interaction.respond([]);
    return;
  }
  const focused = interaction.options.getFocused(true);
  const query = String(focused.value);
  const subcommand = interaction.options.getSubcommand(false);
  let choices: Choice[] = [];
  if (focused.name === ServerOption.Personality) {
    if (subcommand === ServerSubcommand.Disallow || subcommand === ServerSubcommand.Unblock) {
      const settings = await ctx.deps.guildSettings.fetch(interaction.guildId);
      const ids =
        subcommand === ServerSubcommand.Disallow
          ? settings.allowedPersonalityIds
          : settings.blockedPersonalityIds;
      const { found, gone } = await searchListed(ctx, ids, query);
      choices = [
        ...(await buildOwnedChoices(interaction, found)),
        ...gone.map((id) => ({
          name: truncateText(ServerReplies.deletedPersonality(id), CHOICE_TEXT_MAX),
          value: id,
        })),
      ];
    } else {
      const found = await ctx.deps.personalities.searchForAutocomplete(
        interaction.user.id,
        query,
        DiscordLimits.autocompleteChoices,
      );
      choices = await buildOwnedChoices(interaction, found);
    }
  } else if (focused.name === ServerOption.Name || focused.name === ServerOption.Alias) {
    const settings = await ctx.deps.guildSettings.fetch(interaction.guildId);
    const values = focused.name === ServerOption.Name ? settings.blockedNames : Object.keys(settings.aliases);
    choices = rankChoices(values, query).map((value) => ({
      name: truncateText(value, CHOICE_TEXT_MAX),
      value,
    }));
  }
  await interaction.respond(choices.slice(0, DiscordLimits.autocompleteChoices));
}
