import type { ChatInputCommandInteraction } from 'discord.js';
import { fetchFleetStats } from '../ai/index.js';
import type { CommandContext } from './command-context.js';
import { fetchUserLimitState } from './fetch-user-limit-state.js';
import { respond } from './interaction-response.js';
import { buildStatusEmbed } from './status-view.js';

/** Servers the operators' /status lists per period, the costliest first. */
const TOP_GUILDS = 5;

/**
 * `/status`: the caller's pending replies and rate limit, then the fleet: queue depth, live workers, breaker
 * states and reply latency per provider/model (what workers publish; the gateway holds no breakers). The bot's
 * operators (`BOT_OWNER_IDS`) also see the operator's token totals, today and this month.
 */
export async function runStatusCommand(
  ctx: CommandContext,
  interaction: ChatInputCommandInteraction,
): Promise<void> {
  const { redis, prefix, config, apiKeys, admission } = ctx.deps;
  // Several Redis reads, one of them BullMQ's: deferred so a slow moment cannot miss Discord's 3 s.
  await interaction.deferReply({ flags: 'Ephemeral' });
  const now = ctx.deps.now();
  const userId = interaction.user.id;
  const isOperator = config.usage?.botOwnerIds.has(userId) === true;
  const [user, keys, counts, fleet, operatorUsage] = await Promise.all([
    fetchUserLimitState(redis, prefix, userId, config.limits, now),
    apiKeys.list(userId),
    admission.queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active'),
    fetchFleetStats(redis, prefix, now),
    isOperator ? ctx.deps.usage?.fetchOperatorUsage(now, TOP_GUILDS) : undefined,
  ]);
  const waiting = (counts['waiting'] ?? 0) + (counts['prioritized'] ?? 0) + (counts['delayed'] ?? 0);
  await respond(interaction, {
    embeds: [
      buildStatusEmbed({
        user,
        keys,
        queue: { waiting, active: counts['active'] ?? 0 },
        fleet,
        ...(operatorUsage === undefined ? {} : { operatorUsage }),
      }),
    ],
    ephemeral: true,
  });
}
