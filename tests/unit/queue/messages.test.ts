import { describe, expect, it } from 'vitest';
import { buildLimitNotice, type RefusalReason } from '../../../src/queue/index.js';

describe('buildLimitNotice', () => {
  it.each<[RefusalReason, number, RegExp]>([
    ['user-pending', 20_000, /replies on the way.*20 seconds/],
    ['user-rate', 10_000, /faster than I can answer.*10 seconds/],
    ['user-rate', 1, /1 second\b/],
    ['queue-full', 60_000, /very busy.*60 seconds/],
    ['queue-full', 300_000, /5 minutes/],
  ])('explains %s and when to retry (%i ms)', (reason, retryAfterMs, expected) => {
    const notice = buildLimitNotice(reason, retryAfterMs);
    expect(notice).toMatch(expected);
    expect(notice.length).toBeLessThan(200);
  });
});
