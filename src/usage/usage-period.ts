/**
 * The UTC periods usage is counted in, and when they end. Pure: every function takes `now` (Unix ms).
 */

const DAY_MS = 86_400_000;

/**
 * How long a day's counters live after their last write, seconds: two days, so yesterday's stay readable
 * until well after midnight wherever a reader is, and a day's keys never outlive the day after tomorrow.
 */
export const DAY_COUNTER_TTL_SECONDS = 2 * 86_400;

/** How long a month's counters live after their last write, seconds: about two months (62 days). */
export const MONTH_COUNTER_TTL_SECONDS = 62 * 86_400;

/** `YYYYMMDD` of the UTC day `now` falls in. */
export function buildDayStamp(now: number): string {
  return new Date(now).toISOString().slice(0, 10).replaceAll('-', '');
}

/** `YYYYMM` of the UTC month `now` falls in. */
export function buildMonthStamp(now: number): string {
  return new Date(now).toISOString().slice(0, 7).replace('-', '');
}

/** The next UTC midnight after `now` (Unix ms): when a day's quota resets. */
export function findNextUtcMidnight(now: number): number {
  return (Math.floor(now / DAY_MS) + 1) * DAY_MS;
}
