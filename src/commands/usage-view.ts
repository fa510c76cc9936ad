import type { APIEmbed } from 'discord.js';
import { DiscordLimits } from '../discord/index.js';
import type { UserPeriodUsage, UserUsage } from '../usage/index.js';
import { CommandReplies } from './command-replies.js';
import { truncateText } from './personality-views.js';

/** Personality lines shown per period at most; the largest come first. */
const MAX_PERSONALITY_LINES = 15;

/** Everything `/usage` shows. */
export interface UsageSnapshot {
  readonly usage: UserUsage;
  /** Names of the personalities counted, by id; a missing one was removed since. */
  readonly names: ReadonlyMap<string, string>;
  /** `USER_DAILY_TOKENS`, or null when unlimited. */
  readonly userDailyTokens: number | null;
}

/** The `/usage` embed: the caller's tokens today and this month, with the bot's and their own keys apart. */
export function buildUsageEmbed(snapshot: UsageSnapshot): APIEmbed {
  const { usage, names, userDailyTokens } = snapshot;
  const describe = (period: UserPeriodUsage, withQuota: boolean): string => {
    const counted = period.operator + period.own > 0 || period.byPersonality.length > 0;
    const lines = counted
      ? [
          CommandReplies.usageTotals(period.operator, period.own),
          ...period.byPersonality
            .slice(0, MAX_PERSONALITY_LINES)
            .map(({ personalityId, tokens }) =>
              CommandReplies.usagePersonalityLine(
                names.get(personalityId) ?? CommandReplies.usageDeletedPersonality(),
                tokens,
              ),
            ),
        ]
      : [CommandReplies.usageNone()];
    if (withQuota && userDailyTokens !== null)
      lines.push(CommandReplies.usageQuota(userDailyTokens, period.operator));
    return truncateText(lines.join('\n'), DiscordLimits.embedFieldValue);
  };
  return {
    title: CommandReplies.usageTitle(),
    fields: [
      { name: CommandReplies.usagePeriod('today'), value: describe(usage.day, true) },
      { name: CommandReplies.usagePeriod('this month'), value: describe(usage.month, false) },
    ],
  };
}
