import { buildKey, buildUserTag } from '../redis/index.js';

/**
 * Redis keys of the usage area: token counters, one key per UTC day or month (`YYYYMMDD`, `YYYYMM`), every one
 * expiring (see usage-period.ts). They hold numbers and ids, never text a user wrote.
 */
const AREA = 'usage';

/**
 * HASH (expiring): one user's tokens in one period, under the user's tag. Fields: `operator` and `own` (tokens
 * the operator's keys and the user's own keys paid), and `p:<personalityId>` (tokens of that personality's
 * replies to the user, whoever paid).
 */
export function buildUserUsageKey(prefix: string, userId: string, period: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), period);
}

/** ZSET (expiring): server id → operator-paid tokens of that server's replies in one period. */
export function buildGuildUsageKey(prefix: string, period: string): string {
  return buildKey(prefix, AREA, 'guilds', period);
}

/** ZSET (expiring): personality id → tokens of its replies in one period, whoever paid. */
export function buildPersonalityUsageKey(prefix: string, period: string): string {
  return buildKey(prefix, AREA, 'personalities', period);
}

/**
 * HASH (expiring): tokens by payer, provider/model and kind in one period. Fields:
 * `<operator|own>:<provider>/<model>:<prompt|completion>`.
 */
export function buildModelUsageKey(prefix: string, period: string): string {
  return buildKey(prefix, AREA, 'models', period);
}

/** STRING (expiring): the user was told, in the current window, that a quota skipped their message. */
export function buildQuotaNoticeKey(prefix: string, userId: string): string {
  return buildKey(prefix, AREA, buildUserTag(userId), 'quota-notified');
}

/** A period's name in a key: `d<YYYYMMDD>` or `m<YYYYMM>`. */
export function buildPeriodName(kind: 'day' | 'month', stamp: string): string {
  return `${kind === 'day' ? 'd' : 'm'}${stamp}`;
}
