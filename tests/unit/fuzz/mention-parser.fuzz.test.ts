import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  collectCandidateKeys,
  extractMentionCandidates,
  resolveMentions,
} from '../../../src/gateway/mention-parser.js';
import { normalizePersonalityName } from '../../../src/state/personality.js';

const NAMES = ['Alice', 'Bob', 'Dr Who', 'Dr', 'Zoë', '李白', '🦊', "Alice's Bot", 'R2-D2', 'Mr. T'];
const lookup: ReadonlyMap<string, { readonly name: string }> = new Map(
  NAMES.map((name) => [normalizePersonalityName(name), { name }]),
);

/** Message-like text: known and unknown mentions in markdown, code spans and fences, punctuation, unicode. */
const messageText = fc
  .array(
    fc.oneof(
      fc
        .constantFrom(...NAMES)
        .chain((name) =>
          fc
            .tuple(
              fc.constantFrom('', '**', '||', '_', '~~', '> ', '(', '"'),
              fc.constantFrom(name, name.toUpperCase(), name.toLowerCase()),
              fc.constantFrom('', ',', '!', '?', ':', "'s", '’s', '.', '**', '||', ')', '...'),
            )
            .map(([before, written, after]) => `${before}@${written}${after}`),
        ),
      fc.stringMatching(/^@[A-Za-z]{1,8}$/u),
      fc.constantFrom(
        'hi',
        'how are you',
        'bob@alice.com',
        '<@123456789012345678>',
        '@everyone',
        '@here',
        'é',
        '李',
        '👩‍💻',
      ),
      fc.constantFrom('`', '``', '```', '~~~', '\\', '@', '/', '<', '*', '|'),
      fc.constantFrom(...NAMES).map((name) => `\`@${name}\``),
      fc.constantFrom(...NAMES).map((name) => `\n\`\`\`ts\n@${name}\n\`\`\`\n`),
      fc.string({ unit: 'grapheme', maxLength: 6 }),
    ),
    { maxLength: 24 },
  )
  .chain((tokens) =>
    fc
      .array(fc.constantFrom(' ', ' ', ' ', '', '\n', ', ', '  ', '\t', ' & '), {
        minLength: tokens.length,
        maxLength: tokens.length,
      })
      .map((gaps) => tokens.map((token, index) => token + gaps[index]).join('')),
  );

const anyText = fc.oneof(
  messageText,
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.string({ unit: fc.constantFrom('@', ' ', 'a', '`', '\n', '*', "'", 's', '李', '.'), maxLength: 200 }),
);

describe('extractMentionCandidates (property)', () => {
  it('never throws and returns spans of `@name` inside the text', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        for (const candidate of extractMentionCandidates(text)) {
          expect(candidate.start).toBeGreaterThanOrEqual(0);
          expect(candidate.end).toBeLessThanOrEqual(text.length);
          expect(candidate.end).toBeGreaterThan(candidate.start + 1);
          expect(text[candidate.start]).toBe('@');
          expect(text.slice(candidate.start + 1, candidate.end)).toBe(candidate.name);
          expect(candidate.key).toBe(normalizePersonalityName(candidate.name));
          expect(/^\p{Cs}|\p{Cs}$/u.test(candidate.name)).toBe(false);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('lists candidates by start, longest first, with bounded keys', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const candidates = extractMentionCandidates(text);
        for (let index = 1; index < candidates.length; index += 1) {
          const previous = candidates[index - 1]!;
          const current = candidates[index]!;
          expect(
            previous.start < current.start ||
              (previous.start === current.start && previous.end > current.end),
          ).toBe(true);
        }
        expect(new Set(candidates.map((candidate) => candidate.start)).size).toBeLessThanOrEqual(50);
        expect(collectCandidateKeys(candidates).keys.length).toBeLessThanOrEqual(candidates.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe('resolveMentions (property)', () => {
  it('leaves no resolvable @Name outside code', () => {
    fc.assert(
      fc.property(messageText, (text) => {
        const { strippedText } = resolveMentions(text, extractMentionCandidates(text), lookup);
        const again = resolveMentions(strippedText, extractMentionCandidates(strippedText), lookup);
        expect(again.mentioned).toEqual([]);
      }),
      { numRuns: 400 },
    );
  });

  it('lists each mentioned personality once, only ones from the lookup', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const { mentioned, strippedText } = resolveMentions(text, extractMentionCandidates(text), lookup);
        expect(new Set(mentioned).size).toBe(mentioned.length);
        const values = new Set(lookup.values());
        for (const value of mentioned) expect(values.has(value)).toBe(true);
        expect(strippedText.length).toBeLessThanOrEqual(text.length);
      }),
      { numRuns: 300 },
    );
  });

  it('changes nothing when no name resolves', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        expect(resolveMentions(text, extractMentionCandidates(text), new Map())).toEqual({
          mentioned: [],
          strippedText: text,
        });
      }),
      { numRuns: 200 },
    );
  });
});
