import { describe, expect, it } from 'vitest';
import { buildLimitNotice, type RefusalReason } from '../../../src/queue/index.js';

describe('buildLimitNotice', () => {
  it.each<[RefusalReason, number, RegExp]>([
    ['user-pending', 20_000, /replies on the way.*20 seconds/],
    ['user-rate', 10_000, /faster than I can answer.*10 seconds/],
    ['user-rate', 1, /1 second\b/],
    ['queue-full', 60_000, /very busy.*60 seconds/],
    ['queue-full', 300_000, /5 minutes/],
    ['server-pending', 20_000, /This server allows each person at most 2 replies on the way.*20 seconds/],
    ['server-rate', 30_000, /This server allows each person at most 2 messages .*per minute.*30 seconds/],
  ])('explains %s and when to retry (%i ms)', (reason, retryAfterMs, expected) => {
    const notice = buildLimitNotice(reason, retryAfterMs, 2);
    expect(notice).toMatch(expected);
    expect(notice.length).toBeLessThan(200);
  });

  it.each<[RefusalReason, RegExp]>([
    ['server-pending', /at most 1 reply on the way/],
    ['server-rate', /at most 1 message to personalities per minute/],
  ])('names a server limit of one in the singular (%s)', (reason, expected) => {
    expect(buildLimitNotice(reason, 1_000, 1)).toMatch(expected);
  });
});
