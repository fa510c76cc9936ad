import { describe, expect, it } from 'vitest';
import { decideQuota, hasQuotas, UsageMessages } from '../../../src/usage/index.js';

const NOW = Date.parse('2026-12-07T15:00:00.000Z');
const MIDNIGHT = Date.parse('2026-12-08T00:00:00.000Z');

describe('decideQuota', () => {
  const quotas = { userDailyTokens: 1000, guildDailyTokens: 5000 };

  it.each([
    ['under both quotas', { userTokens: 999, guildTokens: 4999 }, false, { allowed: true }],
    [
      'the user at their quota',
      { userTokens: 1000, guildTokens: 0 },
      false,
      { allowed: false, scope: 'user', resetsAt: MIDNIGHT },
    ],
    [
      'the server at its quota',
      { userTokens: 0, guildTokens: 5000 },
      false,
      { allowed: false, scope: 'guild', resetsAt: MIDNIGHT },
    ],
    ['a DM past nothing', { userTokens: 10, guildTokens: null }, false, { allowed: true }],
    ['past both, on their own key', { userTokens: 9999, guildTokens: 9999 }, true, { allowed: true }],
  ] as const)('when %s, decides %j', (_, usage, ownKey, expected) => {
    expect(decideQuota(quotas, usage, ownKey, NOW)).toEqual(expected);
  });

  describe('when no quota is set', () => {
    it('allows everything and reads nothing', () => {
      const none = { userDailyTokens: null, guildDailyTokens: null };
      expect(hasQuotas(none)).toBe(false);
      expect(decideQuota(none, { userTokens: 1e12, guildTokens: 1e12 }, false, NOW)).toEqual({
        allowed: true,
      });
    });
  });
});

describe('UsageMessages.quotaReached', () => {
  it('says when it resets as a Discord relative timestamp', () => {
    expect(UsageMessages.quotaReached('user', MIDNIGHT)).toContain(`<t:${MIDNIGHT / 1000}:R>`);
    expect(UsageMessages.quotaReached('guild', MIDNIGHT)).toContain('This server');
  });
});
