import { describe, expect, it } from 'vitest';
import { canSeeMessageContent, stripMessageContent } from '../../../sandbox/gateway-intents.js';

const BOT = '1';

describe('canSeeMessageContent', () => {
  describe('when the MESSAGE_CONTENT intent is missing', () => {
    it.each([
      ['a guild message', { guildId: '9', authorId: '2', mentionedUserIds: [] }, false],
      ['a DM', { guildId: null, authorId: '2', mentionedUserIds: [] }, true],
      ['a message mentioning the bot', { guildId: '9', authorId: '2', mentionedUserIds: [BOT] }, true],
      ["the bot's own message", { guildId: '9', authorId: BOT, mentionedUserIds: [] }, true],
    ])('decides %s: %s', (_name, message, visible) => {
      expect(canSeeMessageContent(message, BOT, false)).toBe(visible);
    });
  });

  describe('when the intent is present', () => {
    it('shows everything', () => {
      expect(canSeeMessageContent({ guildId: '9', authorId: '2', mentionedUserIds: [] }, BOT, true)).toBe(
        true,
      );
    });
  });
});

describe('stripMessageContent', () => {
  it('empties content, embeds, attachments and components and drops polls', () => {
    const stripped = stripMessageContent({
      id: '5',
      content: 'secret',
      embeds: [{}],
      attachments: [{}],
      components: [{}],
      poll: {},
    });
    expect(stripped).toEqual({ id: '5', content: '', embeds: [], attachments: [], components: [] });
  });
});
