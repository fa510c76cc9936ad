import type { ChatInputCommandInteraction } from 'discord.js';
import type { CommandContext } from './command-context.js';
import { respond } from './interaction-response.js';
import { buildUsageEmbed } from './usage-view.js';

/** `/usage`: the caller's tokens today and this month (UTC), per personality, ephemeral. */
export async function runUsageCommand(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
): Promise<void> {
  const { usage: counters, personalities, config } = ctx.deps;
  await interaction.deferReply({ flags: 'Ephemeral' });
  const usage =
    counters === undefined
      ? { day: { operator: 0, own: 0, byPersonality: [] }, month: { operator: 0, own: 0, byPersonality: [] } }
      : await counters.fetchUserUsage(interaction.user.id, ctx.deps.now());
  const ids = [
    ...new Set(
      [...usage.day.byPersonality, ...usage.month.byPersonality].map((entry) => entry.personalityId),
    ),
  ];
  const found = ids.length === 0 ? new Map() : await personalities.fetchManyByIds(ids);
  const names = new Map([...found].map(([id, personality]) => [id, personality.name]));
  await respond(interaction, {
    embeds: [buildUsageEmbed({ usage, names, userDailyTokens: config.usage?.userDailyTokens ?? null })],
    ephemeral: true,
  });
}
