import { findNextUtcMidnight } from './usage-period.js';

/** The operator's daily token quotas (`USER_DAILY_TOKENS`, `GUILD_DAILY_TOKENS`); null = unlimited. */
export interface TokenQuotas {
  readonly userDailyTokens: number | null;
  readonly guildDailyTokens: number | null;
}

/** Today's operator-paid tokens, as routing reads them. */
export interface QuotaUsage {
  readonly userTokens: number;
  /** null in DMs. */
  readonly guildTokens: number | null;
}

/** What {@link decideQuota} decided for one message to one personality. */
export type QuotaDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      /** Whose quota is spent: the user's, or their server's. */
      readonly scope: 'user' | 'guild';
      /** When it resets: the next UTC midnight, Unix ms. */
      readonly resetsAt: number;
    };

const ALLOWED: QuotaDecision = { allowed: true };

/**
 * Whether a message may be answered under the operator's quotas. A call the user's own key would pay for
 * (`ownKey`) is exempt; otherwise a quota is spent once today's operator-paid tokens reach it. Pure.
 */
export function decideQuota(
  quotas: TokenQuotas,
  usage: QuotaUsage,
  ownKey: boolean,
  now: number,
): QuotaDecision {
  if (ownKey) return ALLOWED;
  const { userDailyTokens, guildDailyTokens } = quotas;
  if (userDailyTokens !== null && usage.userTokens >= userDailyTokens)
    return { allowed: false, scope: 'user', resetsAt: findNextUtcMidnight(now) };
  if (guildDailyTokens !== null && usage.guildTokens !== null && usage.guildTokens >= guildDailyTokens)
    return { allowed: false, scope: 'guild', resetsAt: findNextUtcMidnight(now) };
  return ALLOWED;
}

/** Whether any quota is set: without one routing reads no counters. */
export function hasQuotas(quotas: TokenQuotas): boolean {
  return quotas.userDailyTokens !== null || quotas.guildDailyTokens !== null;
}
