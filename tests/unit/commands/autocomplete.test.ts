import { describe, expect, it } from 'vitest';
import {
  buildFallbackChoices,
  buildPersonalityChoice,
  rankChoices,
} from '../../../src/commands/autocomplete.js';
import type { Personality } from '../../../src/state/index.js';
import { buildTestPersonality } from '../../support/personality.js';

const base: Personality = buildTestPersonality({
  id: 'abcdefgh1234',
  ownerId: '1',
  name: 'Alice',
  aliases: [],
  visibility: 'public',
  systemPrompt: 'p',
  avatarUrl: null,
  provider: 'default',
  model: 'm',
  temperature: null,
  createdAt: 0,
  version: 1,
});

describe('buildPersonalityChoice', () => {
  describe('when the caller owns it', () => {
    it('labels it as theirs and answers with its id', () => {
      expect(buildPersonalityChoice(base, '1')).toEqual({ name: 'Alice (yours)', value: 'abcdefgh1234' });
    });
  });

  describe('when it is someone else’s', () => {
    it('labels it public, within Discord’s 100 characters even for the longest name', () => {
      const choice = buildPersonalityChoice({ ...base, name: 'N'.repeat(80) }, '2');
      expect(choice.name).toBe(`${'N'.repeat(80)} (public)`);
      expect(choice.name.length).toBeLessThanOrEqual(100);
    });
  });
});

describe('rankChoices', () => {
  it.each([
    [['gpt-4o', 'gpt-4o-mini', 'o1-gpt'], 'gpt', ['gpt-4o', 'gpt-4o-mini', 'o1-gpt']],
    [['o1-gpt', 'gpt-4o'], 'gpt', ['gpt-4o', 'o1-gpt']],
    [['Ally', 'Bobby'], 'b', ['Bobby']],
    [['Ally', 'Bobby'], '', ['Ally', 'Bobby']],
  ])('ranks %j for %j', (values, query, expected) => {
    expect(rankChoices(values, query)).toEqual(expected);
  });

  it('returns at most 25', () => {
    expect(
      rankChoices(
        Array.from({ length: 40 }, (_, index) => `m${index}`),
        'm',
      ),
    ).toHaveLength(25);
  });
});

describe('buildFallbackChoices', () => {
  const providers = new Map([
    ['default', { models: ['small', 'large'] }],
    ['backup', { models: ['small'] }],
  ]);
  const values = (query: string) => buildFallbackChoices(query, providers).map((choice) => choice.value);

  describe('when nothing is typed yet', () => {
    it('offers none, then every configured model', () => {
      expect(values('')).toEqual(['none', 'default/small', 'default/large', 'backup/small']);
    });
  });

  describe('when an entry is being typed', () => {
    it('completes the entry after the last comma, keeping the ones before and leaving them out', () => {
      expect(values('default/large, b')).toEqual(['default/large, backup/small']);
      expect(values('default/large,')).toEqual([
        'default/large, default/small',
        'default/large, backup/small',
      ]);
    });
  });

  describe('when a choice would pass Discord’s 100 characters', () => {
    it('leaves it out', () => {
      const long = `default/${'x'.repeat(95)}`;
      expect(values(`${long}, `)).toEqual([]);
    });
  });
});
