import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitMessage } from '../../../src/webhooks/message-splitter.js';
import { contentOf, isBalanced } from '../../support/markdown-oracle.js';

/** Markdown replies: prose, long words, unicode, and fenced blocks with or without a language. */
const reply = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.lorem({ maxCount: 12, mode: 'sentences' }) },
      { weight: 2, arbitrary: fc.constantFrom('\n', '\n\n', ' ', '\n\n\n') },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }) },
      {
        weight: 1,
        arbitrary: fc.string({ unit: fc.constantFrom('x', '🦊', '李', 'e\u0301', '👩‍💻'), maxLength: 700 }),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(
            fc.constantFrom('```', '```ts', '```python', '~~~', '````md', '```a b'),
            fc.array(fc.string({ unit: 'grapheme-ascii', maxLength: 120 }), { maxLength: 40 }),
            fc.boolean(),
          )
          .map(([opener, lines, closed]) => {
            const marker = /^[`~]+/u.exec(opener)![0];
            const body = lines.map((line) => line.replace(/^ {0,3}(`{3,}|~{3,})/u, 'x')).join('\n');
            return `\n${opener}\n${body}${closed ? `\n${marker}` : ''}\n`;
          }),
      },
    ),
    { maxLength: 30 },
  )
  .map((parts) => parts.join(''));

describe('splitMessage (property)', () => {
  it('keeps every chunk within the limit, balanced, and the content in order', () => {
    fc.assert(
      fc.property(reply, fc.integer({ min: 80, max: 2000 }), fc.boolean(), (text, maxLength, withPrefix) => {
        const prefix = withPrefix ? '> **Bob** · [jump](https://discord.com/channels/1/2/3)\n' : '';
        const chunks = splitMessage(text, { maxLength, prefix });
        if (text.trim() === '') {
          expect(chunks).toEqual([]);
          return;
        }
        for (const chunk of chunks) {
          expect(chunk.length).toBeLessThanOrEqual(maxLength);
          expect(chunk.trim()).not.toBe('');
          expect(isBalanced(chunk)).toBe(true);
          expect(/\p{Cs}/u.test(chunk)).toBe(false);
        }
        expect(chunks[0]!.startsWith(prefix)).toBe(true);
        expect(contentOf(chunks.join('\n').slice(prefix.length))).toBe(contentOf(text));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary unicode and keeps its content', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 3000 }),
        fc.integer({ min: 40, max: 400 }),
        (text, maxLength) => {
          const chunks = splitMessage(text, { maxLength });
          for (const chunk of chunks) {
            expect(chunk.length).toBeLessThanOrEqual(maxLength);
            expect(chunk.trim()).not.toBe('');
            expect(/\p{Cs}/u.test(chunk)).toBe(false);
          }
          if (!/```|~~~/u.test(text)) {
            expect(chunks.join('').replace(/\s+/gu, '')).toBe(text.replace(/\s+/gu, ''));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
