import { describe, expect, it } from 'vitest';
import { CommandReplies } from '../../../src/commands/command-replies.js';

describe('CommandReplies', () => {
  describe('when a name holds mention or markdown syntax', () => {
    it('cannot ping anyone and does not break the bold', () => {
      const text = CommandReplies.created('@everyone *x*', 'default', 'm', 'public');
      expect(text).not.toMatch(/@everyone/u);
      expect(text).toContain('**@\u200Beveryone \\*x\\***');
    });

    it('quotes user input on one short line', () => {
      const text = CommandReplies.personalityNotFound(`<@123>\n${'y'.repeat(80)}`);
      expect(text).not.toContain('<@123>');
      expect(text).not.toContain('\n');
      expect(text).toContain('…”');
    });
  });

  describe('when describing a channel’s activation', () => {
    it('names who activated it', () => {
      expect(CommandReplies.activationHere('Alice', '100000000000000001', 1_700_000_000_999)).toBe(
        '**Alice** answers every message here (activated by <@100000000000000001> <t:1700000000:R>).',
      );
    });

    it('names nobody once the activator ran /forget-me', () => {
      expect(CommandReplies.activationHere('Alice', null, 1_700_000_000_999)).toBe(
        '**Alice** answers every message here (activated <t:1700000000:R>).',
      );
    });
  });

  describe('when counting', () => {
    it.each([
      [0, null, false, 'There was nothing to forget.'],
      [1, null, false, 'Forgot 1 conversation in this channel.'],
      [3, 'Alice', true, 'Forgot 3 conversations with **Alice** everywhere.'],
    ] as const)('words a reset of %i', (count, name, everywhere, expected) => {
      expect(CommandReplies.reset(count, name, everywhere)).toBe(expected);
    });

    it('says what /forget-me deleted', () => {
      expect(
        CommandReplies.forgotten({ conversations: 2, apiKeys: 1, dmSticky: 1, queueKeys: 0, coEdited: 0 }),
      ).toBe(
        'Deleted everything stored about you: 2 conversations, 1 API key, your DM personality choice, 0 queue and rate-limit records.',
      );
      expect(
        CommandReplies.forgotten({ conversations: 0, apiKeys: 0, dmSticky: 0, queueKeys: 1, coEdited: 2 }),
      ).toBe(
        'Deleted everything stored about you: 0 conversations, 0 API keys, 1 queue and rate-limit record, your co-editing of 2 personalities.',
      );
      expect(
        CommandReplies.forgotten({
          conversations: 1,
          apiKeys: 0,
          dmSticky: 0,
          queueKeys: 0,
          coEdited: 0,
          windowLines: 3,
        }),
      ).toBe(
        'Deleted everything stored about you: 1 conversation, 0 API keys, 0 queue and rate-limit records, 3 channel messages.',
      );
    });
  });
});
