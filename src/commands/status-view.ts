import type { APIEmbed } from 'discord.js';
import { type FleetStats, OPERATOR_KEY_FINGERPRINT } from '../ai/index.js';
import { DiscordLimits } from '../discord/index.js';
import type { ApiKeySummary } from '../state/index.js';
import { type OperatorPeriodUsage, type OperatorUsage, sumTokens } from '../usage/index.js';
import { CommandReplies } from './command-replies.js';
import { truncateText } from './personality-views.js';
import type { UserLimitState } from './user-limit-state.js';

/** Everything `/status` shows. */
export interface StatusSnapshot {
  readonly user: UserLimitState;
  /** The caller's own keys (fingerprints only). */
  readonly keys: readonly ApiKeySummary[];
  readonly queue: { readonly waiting: number; readonly active: number };
  readonly fleet: FleetStats;
  /** The operator's token totals: only for the bot's operators (`BOT_OWNER_IDS`); absent for everyone else. */
  readonly operatorUsage?: OperatorUsage;
}

/** Provider/model lines of the operator's usage shown per period at most; the largest come first. */
const MAX_MODEL_USAGE_LINES = 10;

/** Provider/model lines shown at most; the worst come first. */
const MAX_PROVIDER_LINES = 15;

/**
 * The `/status` embed. Everyone sees the queue, the live workers and the operator-key breakers with latency
 * per provider/model; breakers of users' own keys are shown only to their owner (a fingerprint says whose key
 * is failing).
 */
export function buildStatusEmbed(snapshot: StatusSnapshot): APIEmbed {
  const { user, fleet } = snapshot;
  const ownFingerprints = new Set(snapshot.keys.map((key) => key.fingerprint));
  const yourBreakers = fleet.breakers
    .filter((breaker) => ownFingerprints.has(breaker.keyFingerprint))
    .map((breaker) =>
      CommandReplies.statusYourBreakerLine(
        breaker.provider,
        breaker.model,
        breaker.keyFingerprint,
        CommandReplies.breakerState(breaker.state, breaker.probeAt, fleet.generatedAt),
      ),
    );
  const you = [
    CommandReplies.statusYourPending(user.pending, user.maxPending),
    CommandReplies.statusYourRate(user.available, user.burst, user.ratePerMinute, user.retryAfterMs),
    CommandReplies.statusYourKeys(snapshot.keys.map((key) => `${key.provider} \`${key.fingerprint}\``)),
    ...yourBreakers,
  ];
  return {
    title: CommandReplies.statusTitle(),
    fields: [
      {
        name: CommandReplies.statusYou(),
        value: truncateText(you.join('\n'), DiscordLimits.embedFieldValue),
      },
      {
        name: CommandReplies.statusQueue(),
        value: CommandReplies.statusQueueLine(
          snapshot.queue.waiting,
          snapshot.queue.active,
          fleet.workers.length,
        ),
      },
      {
        name: CommandReplies.statusBreakers(),
        value: truncateText(describeProviders(fleet), DiscordLimits.embedFieldValue),
      },
      ...(snapshot.operatorUsage === undefined
        ? []
        : [
            {
              name: CommandReplies.statusOperatorUsage('today'),
              value: truncateText(
                describeOperatorUsage(snapshot.operatorUsage.day),
                DiscordLimits.embedFieldValue,
              ),
            },
            {
              name: CommandReplies.statusOperatorUsage('this month'),
              value: truncateText(
                describeOperatorUsage(snapshot.operatorUsage.month),
                DiscordLimits.embedFieldValue,
              ),
            },
          ]),
    ],
    timestamp: new Date(fleet.generatedAt).toISOString(),
  };
}

/**
 * One line per provider/model the fleet used recently or holds an operator breaker for: its breaker's state
 * across the workers (the worst of theirs; they open and close together, docs/guarantees.md), when an open one
 * retries, and its latency.
 */
function describeProviders(fleet: FleetStats): string {
  const operatorBreakers = new Map(
    fleet.breakers
      .filter((breaker) => breaker.keyFingerprint === OPERATOR_KEY_FINGERPRINT)
      .map((breaker) => [`${breaker.provider}/${breaker.model}`, breaker]),
  );
  const latency = new Map(fleet.providers.map((stats) => [`${stats.provider}/${stats.model}`, stats]));
  const names = [...new Set([...operatorBreakers.keys(), ...latency.keys()])];
  if (names.length === 0) return CommandReplies.statusNoBreakers();
  const order = { open: 0, 'half-open': 1, closed: 2 } as const;
  return names
    .map((name) => {
      const breaker = operatorBreakers.get(name);
      const stats = latency.get(name);
      const [provider = '', model = ''] = breaker
        ? [breaker.provider, breaker.model]
        : [stats?.provider, stats?.model];
      return {
        name,
        provider,
        model,
        state: breaker?.state ?? 'closed',
        probeAt: breaker?.probeAt ?? null,
        stats,
      };
    })
    .sort((left, right) => order[left.state] - order[right.state] || left.name.localeCompare(right.name))
    .slice(0, MAX_PROVIDER_LINES)
    .map((line) =>
      CommandReplies.statusBreakerLine(
        line.provider,
        line.model,
        CommandReplies.breakerState(line.state, line.probeAt, fleet.generatedAt),
        CommandReplies.latency(line.stats?.latencyP50Ms ?? null),
        CommandReplies.latency(line.stats?.latencyP95Ms ?? null),
      ),
    )
    .join('\n');
}

/** The operator's tokens in one period: who paid, per provider/model, and the servers costing the most. */
function describeOperatorUsage(usage: OperatorPeriodUsage): string {
  if (usage.models.length === 0 && usage.topGuilds.length === 0) return CommandReplies.statusNoUsage();
  const paidBy = (payer: 'operator' | 'own') =>
    usage.models
      .filter((model) => model.payer === payer)
      .reduce((total, model) => total + sumTokens(model), 0);
  return [
    CommandReplies.statusOperatorTotals(paidBy('operator'), paidBy('own')),
    ...usage.models
      .slice(0, MAX_MODEL_USAGE_LINES)
      .map((model) =>
        CommandReplies.statusModelLine(
          model.provider,
          model.model,
          model.payer,
          model.promptTokens,
          model.completionTokens,
        ),
      ),
    ...usage.topGuilds.map((guild) => CommandReplies.statusGuildLine(guild.guildId, guild.tokens)),
  ].join('\n');
}
