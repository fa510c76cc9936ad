import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type PersonalityRulesContext,
  validateAlias,
  validateAvatarUrl,
  validatePersonalityInput,
  validatePersonalityName,
  validateProviderModel,
  validateSystemPrompt,
  validateTemperature,
  validateVisibility,
} from '../../../src/commands/personality-rules.js';
import { normalizePersonalityName, PersonalitySchema } from '../../../src/state/personality.js';

const context: PersonalityRulesContext = {
  providers: new Map([['default', { models: ['m'], defaultModel: 'm' }]]),
  defaultProvider: 'default',
  existingNames: new Set(['taken']),
};

const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.string({
    unit: fc.constantFrom('@', 'e', 'v', 'r', 'y', 'o', 'n', 'h', ' ', '\u200B', '\n', 'D', 'c'),
    maxLength: 20,
  }),
  fc.string({ unit: 'binary', minLength: 5000, maxLength: 7000 }),
);

/** `@everyone`/`@here` (or the bare words) in any case, padded with spaces. */
const massMention = fc
  .tuple(
    fc.constantFrom('@', ''),
    fc.constantFrom('everyone', 'here'),
    fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
    fc.constantFrom('', ' ', '   '),
  )
  .map(
    ([at, word, upper, pad]) =>
      `${pad}${at}${[...word].map((char, index) => (upper[index] ? char.toUpperCase() : char)).join('')}${pad}`,
  );

describe('personality rules (property)', () => {
  it('never throw on arbitrary strings', () => {
    fc.assert(
      fc.property(anyString, anyString, fc.double(), (text, other, temperature) => {
        validatePersonalityName(text, context.existingNames);
        validateAlias(text, context.existingNames, normalizePersonalityName(other));
        validateSystemPrompt(text);
        validateAvatarUrl(text);
        validateProviderModel(text, other, context);
        validateVisibility(text);
        validateTemperature(temperature);
        validatePersonalityInput(
          { name: text, aliases: [other, text], systemPrompt: other, avatarUrl: text, temperature },
          context,
        );
      }),
      { numRuns: 300 },
    );
  });

  it('reject @everyone, @here and the bare words, in any case', () => {
    fc.assert(
      fc.property(massMention, (name) => {
        expect(validatePersonalityName(name, new Set()).ok).toBe(false);
        expect(validateAlias(name, new Set()).ok).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('accept only names that fit the stored schema and Discord’s webhook rules', () => {
    fc.assert(
      fc.property(anyString, (name) => {
        const result = validatePersonalityName(name, context.existingNames);
        if (!result.ok) {
          expect(result.errors.length).toBeGreaterThan(0);
          for (const error of result.errors) expect(error.field).toBe('name');
          return;
        }
        const key = normalizePersonalityName(result.value);
        expect(PersonalitySchema.shape.name.safeParse(result.value).success).toBe(true);
        expect(/[\p{Cc}\u200B\u202E]/u.test(result.value)).toBe(false);
        expect(key.startsWith('@')).toBe(false);
        expect(['everyone', 'here']).not.toContain(key);
        expect(key).not.toMatch(/discord|clyde/u);
        expect(key).not.toBe('taken');
      }),
      { numRuns: 400 },
    );
  });
});
