import { describe, expect, it } from 'vitest';
import {
  buildReplyQuote,
  needsReplyQuote,
  REPLY_QUOTE_EXCERPT_LENGTH,
  stripReplyQuote,
} from '../../../src/webhooks/reply-quote.js';

const GUILD = '111111111111111111';
const CHANNEL = '222222222222222222';
const MESSAGE = '333333333333333333';
const where = { guildId: GUILD, channelId: CHANNEL, messageId: MESSAGE };

describe('buildReplyQuote', () => {
  describe('in a guild channel', () => {
    it('names the asker and links to their message', () => {
      expect(buildReplyQuote({ askerName: 'Bob', ...where })).toBe(
        `> **Bob** · [jump](https://discord.com/channels/${GUILD}/${CHANNEL}/${MESSAGE})\n`,
      );
    });

    it('shows an excerpt after the name', () => {
      expect(buildReplyQuote({ askerName: 'Bob', excerpt: 'what is   the\nweather?', ...where })).toBe(
        `> **Bob**: what is the weather? · [jump](https://discord.com/channels/${GUILD}/${CHANNEL}/${MESSAGE})\n`,
      );
    });
  });

  describe('in a DM', () => {
    it('links through @me', () => {
      expect(buildReplyQuote({ askerName: 'Bob', ...where, guildId: null })).toContain(
        `(https://discord.com/channels/@me/${CHANNEL}/${MESSAGE})`,
      );
    });
  });

  describe('when the name or excerpt could format or ping', () => {
    it.each([
      ['**Bob**', '\\*\\*Bob\\*\\*'],
      ['<@123456789012345678>', '<\u200B@123456789012345678>'],
      ['@everyone', '@\u200Beveryone'],
      ['@here', '@\u200Bhere'],
      ['', 'someone'],
    ])('escapes the name %j', (askerName, shown) => {
      const quote = buildReplyQuote({ askerName, ...where });
      expect(quote.startsWith(`> **${shown}** · `)).toBe(true);
    });

    it.each([['hey <@123456789012345678>'], ['ping @everyone now'], ['and @here'], ['<@&999> role']])(
      'defuses mentions in the excerpt %j',
      (excerpt) => {
        const quote = buildReplyQuote({ askerName: 'Bob', excerpt, ...where });
        expect(quote).not.toMatch(/<@|@everyone|@here/u);
      },
    );

    it('defuses links in the excerpt', () => {
      const quote = buildReplyQuote({ askerName: 'Bob', excerpt: 'see https://example.com/x', ...where });
      expect(quote).toContain('https:\u200B//example.com/x');
    });

    it('keeps the quote on one line', () => {
      const quote = buildReplyQuote({ askerName: 'Bo\nb', excerpt: 'line\n> two', ...where });
      expect(quote.indexOf('\n')).toBe(quote.length - 1);
    });
  });

  describe('when the excerpt is long', () => {
    it(`shortens it to ${REPLY_QUOTE_EXCERPT_LENGTH} graphemes with an ellipsis`, () => {
      const quote = buildReplyQuote({ askerName: 'Bob', excerpt: '🦊'.repeat(100), ...where });
      expect(quote).toContain(`: ${'🦊'.repeat(REPLY_QUOTE_EXCERPT_LENGTH)}… · `);
    });

    it('keeps an excerpt of exactly the limit whole', () => {
      const quote = buildReplyQuote({
        askerName: 'Bob',
        excerpt: 'x'.repeat(REPLY_QUOTE_EXCERPT_LENGTH),
        ...where,
      });
      expect(quote).toContain(`: ${'x'.repeat(REPLY_QUOTE_EXCERPT_LENGTH)} · `);
    });

    it('leaves out a blank excerpt', () => {
      expect(buildReplyQuote({ askerName: 'Bob', excerpt: '  ', ...where })).toMatch(/^> \*\*Bob\*\* · /u);
    });
  });

  describe('when an id is not a snowflake', () => {
    it.each([
      [{ ...where, channelId: 'abc' }],
      [{ ...where, messageId: '' }],
      [{ ...where, guildId: '12/34' }],
    ])('throws for %j', (ids) => {
      expect(() => buildReplyQuote({ askerName: 'Bob', ...ids })).toThrow(RangeError);
    });
  });
});

describe('needsReplyQuote', () => {
  it.each<[string | null, string, boolean]>([
    ['1000', '1000', false],
    ['1001', '1000', true],
    ['999', '1000', false],
    [null, '1000', false],
    ['1000000000000000000', '999999999999999999', true],
  ])('last %j, user %j → %j', (last, user, expected) => {
    expect(needsReplyQuote(last, user)).toBe(expected);
  });

  it('throws for an id that is not a snowflake', () => {
    expect(() => needsReplyQuote('x', '1')).toThrow(RangeError);
  });
});

describe('stripReplyQuote', () => {
  it.each<[string, string, string]>([
    [
      'the quote of this message',
      `${buildReplyQuote({ askerName: 'Bob', excerpt: 'hi?', ...where })}Hello!`,
      'Hello!',
    ],
    ['a chunk without a quote', 'Hello!\nBye.', 'Hello!\nBye.'],
    ['a quote the answer opens with', '> a famous line\nIndeed.', '> a famous line\nIndeed.'],
    [
      'the quote of another message',
      `${buildReplyQuote({ askerName: 'Bob', ...where, messageId: '444444444444444444' })}Hello!`,
      `${buildReplyQuote({ askerName: 'Bob', ...where, messageId: '444444444444444444' })}Hello!`,
    ],
    ['a lone quote line', '> **Bob** · [jump](x)', '> **Bob** · [jump](x)'],
  ])('with %s', (_case, chunk, expected) => {
    expect(stripReplyQuote(chunk, where)).toBe(expected);
  });

  it('strips a DM quote linked through @me', () => {
    const quote = buildReplyQuote({ askerName: 'Bob', ...where, guildId: null });
    expect(stripReplyQuote(`${quote}Hi`, { ...where, guildId: null })).toBe('Hi');
  });
});
