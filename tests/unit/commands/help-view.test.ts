import { describe, expect, it } from 'vitest';
import { buildHelpEmbed } from '../../../src/commands/help-view.js';

describe('buildHelpEmbed', () => {
  describe('when built from the configuration', () => {
    it('states the configured limits and every way to address a personality', () => {
      const embed = buildHelpEmbed({
        limits: {
          maxPersonalitiesPerMessage: 3,
          maxPersonalitiesPerUser: 50,
          userMaxPending: 5,
          userRatePerMinute: 6,
          userBurst: 3,
          queueMaxDepth: 10_000,
          queueDepthSampleMs: 1000,
          fairQueue: true,
        },
        conversation: { maxTurns: 40, maxChars: 24_000, ttlSeconds: 7 * 24 * 3600 },
      });
      const text = JSON.stringify(embed);
      for (const expected of [
        'up to 3 personalities per message',
        'At most 5 replies on the way',
        '3 messages in a burst, then 6 per minute',
        'last 40 messages, for 7 days',
        '**@Name**',
        '**Reply**',
        '**/activate**',
        '**DMs**',
      ]) {
        expect(text).toContain(expected);
      }
    });
  });
});
