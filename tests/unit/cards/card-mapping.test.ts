import { describe, expect, it } from 'vitest';
import {
  buildCardExport,
  buildCardFileName,
  buildCardPrompt,
  CardImportLimits,
  mapCardToPersonality,
  parseCardJson,
  substituteCardMacros,
} from '../../../src/cards/index.js';
import { FULL_V2_CARD } from '../../support/character-card.js';

describe('mapCardToPersonality', () => {
  const imported = mapCardToPersonality(parseCardJson(FULL_V2_CARD));

  it('lays the prompt fields out in the documented order', () => {
    const { data } = FULL_V2_CARD;
    expect(imported.systemPrompt).toBe(
      [
        data.system_prompt,
        data.description,
        `Personality: ${data.personality}`,
        `Scenario: ${data.scenario}`,
        `Example messages:\n${data.mes_example}`,
        data.post_history_instructions,
      ].join('\n\n'),
    );
  });

  it('makes first_mes the greeting and keeps the rest for export', () => {
    expect(imported.name).toBe('Seraphina');
    expect(imported.greeting).toBe(FULL_V2_CARD.data.first_mes);
    expect(imported.card).not.toHaveProperty('name');
    expect(imported.card).not.toHaveProperty('first_mes');
    expect(imported.card.character_book).toEqual(FULL_V2_CARD.data.character_book);
    expect(imported.unusedFields).toEqual([
      'alternate_greetings',
      'character_book',
      'tags',
      'creator',
      'creator_notes',
      'character_version',
      'extensions',
    ]);
  });

  it('leaves out empty sections', () => {
    const bare = parseCardJson({
      spec: 'chara_card_v2',
      spec_version: '2.0',
      data: { name: 'Bare', scenario: 'A rainy day.' },
    });
    const mapped = mapCardToPersonality(bare);
    expect(mapped.systemPrompt).toBe('Scenario: A rainy day.');
    expect(mapped.greeting).toBeNull();
    expect(mapped.unusedFields).toEqual([]);
  });

  it.each([
    ['an empty prompt', { name: 'Empty', first_mes: 'Hi' }, /nothing to make a prompt from/],
    [
      'a prompt over 32,000 characters',
      { name: 'Long', description: 'x'.repeat(CardImportLimits.promptChars + 1) },
      /is 32,001 characters; at most 32,000/,
    ],
    [
      'a greeting over its limit',
      { name: 'Chatty', description: 'd', first_mes: 'x'.repeat(CardImportLimits.greetingChars + 1) },
      /`first_mes` is 32,001 characters/,
    ],
    [
      'kept fields over their limit',
      {
        name: 'Lore',
        description: 'd',
        character_book: { entries: ['x'.repeat(CardImportLimits.keptBytes)] },
      },
      /take 257 KB besides its name and greeting; at most 256 KB\. The largest is `character_book`/,
    ],
  ])('refuses %s, naming the field', (_, data, message) => {
    expect(() =>
      mapCardToPersonality(parseCardJson({ spec: 'chara_card_v2', spec_version: '2.0', data })),
    ).toThrow(message);
  });
});

describe('buildCardExport', () => {
  it('gives back the imported card', () => {
    const imported = mapCardToPersonality(parseCardJson(FULL_V2_CARD));
    expect(
      buildCardExport({
        name: imported.name,
        systemPrompt: imported.systemPrompt,
        greeting: imported.greeting,
        card: imported.card,
      }),
    ).toEqual(FULL_V2_CARD);
  });

  it('puts a prompt edited since the import in description, so a re-import gives it back', () => {
    const imported = mapCardToPersonality(parseCardJson(FULL_V2_CARD));
    const exported = buildCardExport({ ...imported, systemPrompt: 'You are Sera now.', name: 'Sera' });
    expect(exported.data).toMatchObject({
      name: 'Sera',
      description: 'You are Sera now.',
      personality: '',
      system_prompt: '',
      tags: FULL_V2_CARD.data.tags,
    });
    expect(mapCardToPersonality(parseCardJson(exported)).systemPrompt).toBe('You are Sera now.');
  });

  it('exports a typed personality with its prompt as description', () => {
    const exported = buildCardExport({ name: 'Typed', systemPrompt: 'Be kind.', greeting: null, card: null });
    expect(exported).toEqual({
      spec: 'chara_card_v2',
      spec_version: '2.0',
      data: expect.objectContaining({
        name: 'Typed',
        description: 'Be kind.',
        first_mes: '',
        extensions: {},
      }),
    });
    expect(buildCardPrompt(exported.data)).toBe('Be kind.');
  });

  it.each([
    ['Seraphina', 'Seraphina.card.json'],
    ['Dr. Who?', 'Dr._Who.card.json'],
    ['💫', 'character.card.json'],
  ])('names the file of %s %s', (name, file) => {
    expect(buildCardFileName(name)).toBe(file);
  });
});

describe('substituteCardMacros', () => {
  it.each([
    ['{{char}} greets {{user}}.', 'Sera greets Ann.'],
    ['{{CHAR}} and {{User}}', 'Sera and Ann'],
    ['{{random:a,b}} stays; {{char}}', '{{random:a,b}} stays; Sera'],
    ['no macros', 'no macros'],
  ])('turns %j into %j', (text, expected) => {
    expect(substituteCardMacros(text, { char: 'Sera', user: 'Ann' })).toBe(expected);
  });

  it('does not re-read a substituted name', () => {
    expect(substituteCardMacros('{{user}}', { char: 'Sera', user: '{{char}}' })).toBe('{{char}}');
  });
});
