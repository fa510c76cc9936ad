export { type AnswerUsage, findPayer, type Payer, sumTokens } from './answer-usage.js';
export {
  buildGuildUsageKey,
  buildModelUsageKey,
  buildPeriodName,
  buildPersonalityUsageKey,
  buildQuotaNoticeKey,
  buildUserUsageKey,
} from './keys.js';
export { UsageMessages } from './messages.js';
export { decideQuota, hasQuotas, type QuotaDecision, type QuotaUsage, type TokenQuotas } from './quota.js';
export {
  buildDayStamp,
  buildMonthStamp,
  DAY_COUNTER_TTL_SECONDS,
  findNextUtcMidnight,
  MONTH_COUNTER_TTL_SECONDS,
} from './usage-period.js';
export {
  type ModelUsage,
  type OperatorPeriodUsage,
  type OperatorUsage,
  type UsageEntry,
  UsageRepository,
  type UsageRepositoryOptions,
  type UserPeriodUsage,
  type UserUsage,
} from './usage-repository.js';
