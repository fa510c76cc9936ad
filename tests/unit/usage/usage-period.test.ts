import { describe, expect, it } from 'vitest';
import {
  buildDayStamp,
  buildMonthStamp,
  buildPeriodName,
  buildUserUsageKey,
  findNextUtcMidnight,
} from '../../../src/usage/index.js';

describe('usage periods', () => {
  it.each([
    ['2026-12-07T00:00:00.000Z', '20261207', '202612'],
    ['2026-12-07T23:59:59.999Z', '20261207', '202612'],
    ['2026-12-31T23:59:59.999Z', '20261231', '202612'],
    ['2027-01-01T00:00:00.000Z', '20270101', '202701'],
  ])('puts %s in day %s and month %s (UTC)', (at, day, month) => {
    const now = Date.parse(at);
    expect(buildDayStamp(now)).toBe(day);
    expect(buildMonthStamp(now)).toBe(month);
  });

  it.each([
    ['2026-12-07T00:00:00.000Z', '2026-12-08T00:00:00.000Z'],
    ['2026-12-07T13:45:10.000Z', '2026-12-08T00:00:00.000Z'],
    ['2026-12-31T23:59:59.999Z', '2027-01-01T00:00:00.000Z'],
  ])('resets a day begun at or before %s at %s', (at, midnight) => {
    expect(new Date(findNextUtcMidnight(Date.parse(at))).toISOString()).toBe(midnight);
  });

  it('names a user period key under the user tag, a day apart from a month', () => {
    expect(buildUserUsageKey('p', '42', buildPeriodName('day', '20261207'))).toBe('p:usage:{u:42}:d20261207');
    expect(buildUserUsageKey('p', '42', buildPeriodName('month', '202612'))).toBe('p:usage:{u:42}:m202612');
  });
});
