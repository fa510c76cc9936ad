import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildDmPrefixedContent, sanitizePersonaUsername } from '../../../src/webhooks/persona-username.js';
import { buildReplyQuote } from '../../../src/webhooks/reply-quote.js';

/** Names built to hit the rules: refused words in any case, zero-width and control characters, emoji. */
const trickyName = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        'discord',
        'DISCORD',
        'Clyde',
        'cLyDe',
        'ｄｉｓｃｏｒｄ',
        'discordiscord',
        'clydiscord',
        '```',
      ),
      fc.constantFrom('everyone', 'HERE', '@everyone', '<@123>', 'd', 'iscord', 'c', 'lyde'),
      fc.constantFrom(
        '\u200B',
        '\u200D',
        '\u200C',
        '\u202E',
        '\uFEFF',
        '\u0000',
        '\n',
        '\r\n',
        '\t',
        '\u0301',
        '\u3164',
      ),
      fc.constantFrom('🦊', '👩‍💻', '🇫🇷', '李白', 'Zoë', ' ', '  '),
      fc.string({ unit: 'binary', maxLength: 8 }),
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(''));

const anyName = fc.oneof(
  trickyName,
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 120 }),
  fc.string({ unit: 'binary', minLength: 9000, maxLength: 10_000 }),
);

describe('sanitizePersonaUsername (property)', () => {
  it('always returns a username Discord accepts', () => {
    fc.assert(
      fc.property(anyName, (name) => {
        const username = sanitizePersonaUsername(name);
        expect(username.length).toBeGreaterThanOrEqual(1);
        expect(username.length).toBeLessThanOrEqual(80);
        expect(username).toBe(username.trim());
        expect([...username].length).toBeGreaterThanOrEqual(2);
        expect(/[\p{Cc}\p{Cs}]/u.test(username)).toBe(false);
        for (const form of [username.toLowerCase(), username.normalize('NFKC').toLowerCase()]) {
          expect(form).not.toContain('discord');
          expect(form).not.toContain('clyde');
          expect(form).not.toContain('```');
          expect(['everyone', 'here']).not.toContain(form.trim());
        }
      }),
      { numRuns: 400 },
    );
  });
});

describe('buildDmPrefixedContent and buildReplyQuote (property)', () => {
  it('never let a name ping or break the line', () => {
    fc.assert(
      fc.property(anyName, (name) => {
        const prefixed = buildDmPrefixedContent(name.slice(0, 200), 'hello');
        const quote = buildReplyQuote({
          askerName: name.slice(0, 200),
          guildId: null,
          channelId: '1',
          messageId: '2',
          excerpt: name,
        });
        for (const text of [prefixed, quote]) {
          expect(text).not.toMatch(/<@|@everyone|@here/iu);
          expect(/\p{Cs}/u.test(text)).toBe(false);
        }
        expect(prefixed.split('\n')[0]!.startsWith('**')).toBe(true);
        expect(quote.indexOf('\n')).toBe(quote.length - 1);
      }),
      { numRuns: 300 },
    );
  });
});
