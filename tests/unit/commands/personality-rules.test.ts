import { describe, expect, it } from 'vitest';
import { PersonalityRuleMessages } from '../../../src/commands/messages.js';
import {
  buildInvalidInputError,
  type PersonalityInput,
  type PersonalityRulesContext,
  validateAlias,
  validateAvatarUrl,
  validateContextMode,
  validateFallbackModels,
  validatePersonalityInput,
  validatePersonalityName,
  validateProviderModel,
  validateStreamReplies,
  validateSystemPrompt,
  validateTemperature,
  validateVisibility,
} from '../../../src/commands/personality-rules.js';
import { ChorusErrorCode, UserFacingError } from '../../../src/errors/chorus-error.js';
import { PersonalitySchema } from '../../../src/state/personality.js';

const context: PersonalityRulesContext = {
  providers: new Map([
    ['default', { models: ['small', 'large'], defaultModel: 'small' }],
    ['other', { models: ['o1'], defaultModel: 'o1' }],
  ]),
  defaultProvider: 'default',
  existingNames: new Set(['bob', 'bobby']),
};

const valid: PersonalityInput = { name: 'Alice', systemPrompt: 'You are Alice.' };

function messageOf(result: { ok: boolean; errors?: readonly { message: string }[] }): string | undefined {
  return result.ok ? undefined : result.errors?.[0]?.message;
}

describe('validatePersonalityName', () => {
  describe('when the name is acceptable', () => {
    it.each([
      ['Alice', 'Alice'],
      ['x', 'x'],
      ['x'.repeat(80), 'x'.repeat(80)],
      ['  Dr   Who  ', 'Dr Who'],
      ['Zoë', 'Zoë'],
      ['李白', '李白'],
      ['🦊', '🦊'],
      ['👩‍💻 Coder', '👩‍💻 Coder'],
      ['Bob@Home', 'Bob@Home'],
      ['Everyone Else', 'Everyone Else'],
      ['Sphere', 'Sphere'],
    ])('accepts %j as %j', (name, value) => {
      expect(validatePersonalityName(name, context.existingNames)).toEqual({ ok: true, value });
    });
  });

  describe('when the name breaks a rule', () => {
    it.each([
      ['', 'Name must be 1–80 characters (got 0).'],
      ['   ', 'Name must be 1–80 characters (got 0).'],
      ['x'.repeat(81), 'Name must be 1–80 characters (got 81).'],
      ['x'.repeat(93), 'Name must be 1–80 characters (got 93).'],
      ['Line\nbreak', PersonalityRuleMessages.nameControlCharacters('Name')],
      ['\nAlice', PersonalityRuleMessages.nameControlCharacters('Name')],
      ['Tab\tbed', PersonalityRuleMessages.nameControlCharacters('Name')],
      ['Bell\u0007', PersonalityRuleMessages.nameControlCharacters('Name')],
      ['Zero\u200Bwidth', PersonalityRuleMessages.nameControlCharacters('Name')],
      ['\u202Eevil', PersonalityRuleMessages.nameControlCharacters('Name')],
      ['\u200D', PersonalityRuleMessages.nameInvisible('Name')],
      ['\u0301', PersonalityRuleMessages.nameInvisible('Name')],
      ['\u3164', PersonalityRuleMessages.nameInvisible('Name')],
      ['\u2800', PersonalityRuleMessages.nameInvisible('Name')],
      ['@Alice', PersonalityRuleMessages.nameLeadingAt('Name')],
      ['＠Alice', PersonalityRuleMessages.nameLeadingAt('Name')],
      ['@everyone', PersonalityRuleMessages.nameLeadingAt('Name')],
      ['everyone', PersonalityRuleMessages.nameReserved('Name')],
      ['HERE', PersonalityRuleMessages.nameReserved('Name')],
      ['Here', PersonalityRuleMessages.nameReserved('Name')],
      ['ｅｖｅｒｙｏｎｅ', PersonalityRuleMessages.nameReserved('Name')],
      ['Discord Helper', PersonalityRuleMessages.nameForbiddenWord('Name', 'discord')],
      ['myDISCORDbot', PersonalityRuleMessages.nameForbiddenWord('Name', 'discord')],
      ['Disc\u200Dord', PersonalityRuleMessages.nameForbiddenWord('Name', 'discord')],
      ['ｃｌｙｄｅ', PersonalityRuleMessages.nameForbiddenWord('Name', 'clyde')],
      ['Clyde', PersonalityRuleMessages.nameForbiddenWord('Name', 'clyde')],
      ['Bob', 'Name is taken: you already have a personality or alias called “Bob”.'],
      ['  BOBBY ', 'Name is taken: you already have a personality or alias called “BOBBY”.'],
    ])('rejects %j', (name, message) => {
      const result = validatePersonalityName(name, context.existingNames);
      expect(result.ok).toBe(false);
      expect(result.ok ? [] : result.errors).toEqual([{ field: 'name', message }]);
    });
  });

  it('counts emoji as Discord-safe UTF-16 units', () => {
    expect(validatePersonalityName('🦊'.repeat(40), new Set()).ok).toBe(true);
    expect(messageOf(validatePersonalityName('🦊'.repeat(41), new Set()))).toBe(
      'Name must be 1–80 characters (got 82).',
    );
  });
});

describe('validateAlias', () => {
  it('applies the name rules under an alias label', () => {
    expect(validateAlias('@Al', new Set())).toEqual({
      ok: false,
      errors: [
        {
          field: 'aliases',
          message: 'Alias “@\u200BAl” cannot start with “@” (people type the @ to address it).',
        },
      ],
    });
  });

  it('rejects the personality’s own name', () => {
    expect(messageOf(validateAlias('ALICE', new Set(['alice']), 'alice'))).toBe(
      'Alias “ALICE” is the same as the name.',
    );
  });

  it('rejects another of the owner’s names', () => {
    expect(messageOf(validateAlias('bob', context.existingNames, 'alice'))).toBe(
      'Alias “bob” is taken: you already have a personality or alias called “bob”.',
    );
  });

  it('accepts a new alias', () => {
    expect(validateAlias(' Ally ', context.existingNames, 'alice')).toEqual({ ok: true, value: 'Ally' });
  });
});

describe('validateSystemPrompt', () => {
  it.each([
    ['x', true],
    ['x'.repeat(6000), true],
    [`  ${'x'.repeat(6000)}  `, true],
    ['', false],
    ['  \n ', false],
    ['x'.repeat(6001), false],
  ])('%#: accepts? %j', (prompt, ok) => {
    expect(validateSystemPrompt(prompt).ok).toBe(ok);
  });

  it('names the limit and the length', () => {
    expect(messageOf(validateSystemPrompt('x'.repeat(6001)))).toBe(
      'Prompt must be 1–6,000 characters (got 6,001).',
    );
  });
});

describe('validateAvatarUrl', () => {
  it.each([
    ['https://cdn.example.com/a.png'],
    ['https://cdn.example.com/a.PNG'],
    ['https://cdn.example.com/a.jpg'],
    ['https://cdn.example.com/a.jpeg'],
    ['https://cdn.example.com/a.webp'],
    ['https://cdn.example.com/a.gif'],
    ['https://cdn.discordapp.com/attachments/1/2/a.png?ex=65&is=66&hm=ab'],
    ['https://example.com/a.png#frag'],
  ])('accepts %j', (url) => {
    expect(validateAvatarUrl(url)).toEqual({ ok: true, value: url });
  });

  it.each([[null], [undefined], [''], ['  ']])('treats %j as no avatar', (url) => {
    expect(validateAvatarUrl(url)).toEqual({ ok: true, value: null });
  });

  it.each([
    ['http://example.com/a.png'],
    ['ftp://example.com/a.png'],
    ['https://example.com/a.svg'],
    ['https://example.com/a.png.exe'],
    ['https://example.com/image?format=.png'],
    ['https://example.com/'],
    ['example.com/a.png'],
    ['https://user:pass@example.com/a.png'],
    ['https://exa mple.com/a.png'],
    ['https://example.com/a\n.png'],
    ['javascript:alert(1)//.png'],
  ])('rejects %j', (url) => {
    expect(validateAvatarUrl(url)).toEqual({
      ok: false,
      errors: [{ field: 'avatarUrl', message: PersonalityRuleMessages.avatarNotImageUrl() }],
    });
  });

  it('rejects a link longer than 2,048 characters', () => {
    const url = `https://example.com/${'a'.repeat(2030)}.png`;
    expect(messageOf(validateAvatarUrl(url))).toBe(
      `Avatar link must be at most 2,048 characters (got ${url.length.toLocaleString('en-US')}).`,
    );
  });
});

describe('validateTemperature', () => {
  it.each<[number | null | undefined, boolean]>([
    [0, true],
    [2, true],
    [0.7, true],
    [null, true],
    [undefined, true],
    [-0.01, false],
    [2.01, false],
    [Number.NaN, false],
    [Number.POSITIVE_INFINITY, false],
  ])('%j → ok %j', (temperature, ok) => {
    expect(validateTemperature(temperature).ok).toBe(ok);
  });

  it('names the range and the value', () => {
    expect(messageOf(validateTemperature(2.5))).toBe('Temperature must be a number from 0 to 2 (got 2.5).');
  });
});

describe('validateProviderModel', () => {
  it.each<[string | null | undefined, string | null | undefined, { provider: string; model: string }]>([
    [undefined, undefined, { provider: 'default', model: 'small' }],
    ['default', null, { provider: 'default', model: 'small' }],
    ['default', 'large', { provider: 'default', model: 'large' }],
    [' other ', '', { provider: 'other', model: 'o1' }],
  ])('%j / %j → %j', (provider, model, value) => {
    expect(validateProviderModel(provider, model, context)).toEqual({ ok: true, value });
  });

  it('rejects an unknown provider, listing the configured ones', () => {
    expect(validateProviderModel('nope', null, context)).toEqual({
      ok: false,
      errors: [
        { field: 'provider', message: 'Provider “nope” is not configured. Choose one of: default, other.' },
      ],
    });
  });

  it('rejects a model the provider does not offer', () => {
    expect(validateProviderModel('other', 'small', context)).toEqual({
      ok: false,
      errors: [
        {
          field: 'model',
          message: 'Model “small” is not available from provider “other”. Choose one of: o1.',
        },
      ],
    });
  });

  it('asks for a provider when there is no default', () => {
    expect(messageOf(validateProviderModel(null, null, { providers: context.providers }))).toBe(
      'Choose a provider: default, other.',
    );
  });
});

describe('validateVisibility', () => {
  it.each([
    [undefined, 'public'],
    ['private', 'private'],
    ['PUBLIC', 'public'],
  ])('%j → %j', (visibility, value) => {
    expect(validateVisibility(visibility)).toEqual({ ok: true, value });
  });

  it('rejects anything else', () => {
    expect(validateVisibility('secret').ok).toBe(false);
  });
});

describe('validatePersonalityInput', () => {
  describe('when every field is valid', () => {
    it('returns the tidied fields with defaults, in the stored shape', () => {
      const result = validatePersonalityInput(
        { ...valid, name: ' Alice ', aliases: ['Ally', 'Al'] },
        context,
      );
      expect(result).toEqual({
        ok: true,
        value: {
          name: 'Alice',
          aliases: ['Ally', 'Al'],
          systemPrompt: 'You are Alice.',
          avatarUrl: null,
          provider: 'default',
          model: 'small',
          temperature: null,
          visibility: 'public',
        },
      });
      if (!result.ok) return;
      const stored = { ...result.value, id: 'abcdefgh12', ownerId: '123', createdAt: 0 };
      expect(PersonalitySchema.safeParse(stored).success).toBe(true);
    });
  });

  describe('when several fields are invalid', () => {
    it('reports every broken rule, each naming its field', () => {
      const result = validatePersonalityInput(
        {
          name: '@everyone',
          aliases: ['Bob', 'x'.repeat(81)],
          systemPrompt: '',
          avatarUrl: 'http://x/a.png',
          temperature: 3,
          provider: 'nope',
          visibility: 'secret',
        },
        context,
      );
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.errors.map((error) => error.field)).toEqual([
        'name',
        'aliases',
        'aliases',
        'systemPrompt',
        'avatarUrl',
        'temperature',
        'provider',
        'visibility',
      ]);
    });
  });

  describe('when aliases clash', () => {
    it.each([
      [['Alice'], 'Alias “Alice” is the same as the name.'],
      [['Ally', 'ALLY'], 'Alias “ALLY” is listed more than once.'],
      [['bobby'], 'Alias “bobby” is taken: you already have a personality or alias called “bobby”.'],
      [
        Array.from({ length: 11 }, (_, index) => `a${index}`),
        'A personality can have at most 10 aliases (got 11).',
      ],
    ])('rejects %j', (aliases, message) => {
      const result = validatePersonalityInput({ ...valid, aliases }, context);
      expect(result.ok ? [] : result.errors).toEqual([{ field: 'aliases', message }]);
    });
  });
});

describe('buildInvalidInputError', () => {
  it('is a user-facing InvalidInput error carrying the one problem', () => {
    const error = buildInvalidInputError([
      { field: 'name', message: 'Name must be 1–80 characters (got 93).' },
    ]);
    expect(error).toBeInstanceOf(UserFacingError);
    expect(error.code).toBe(ChorusErrorCode.InvalidInput);
    expect(error.message).toBe('Name must be 1–80 characters (got 93).');
  });

  it('lists several problems', () => {
    const error = buildInvalidInputError([
      { field: 'name', message: 'A.' },
      { field: 'temperature', message: 'B.' },
    ]);
    expect(error.message).toBe('Please fix these:\n• A.\n• B.');
  });
});

describe('validateContextMode', () => {
  it.each([
    ['room', 'room'],
    ['personal', 'personal'],
    [' Personal ', 'personal'],
  ] as const)('accepts %j', (value, expected) => {
    expect(validateContextMode(value)).toEqual({ ok: true, value: expected });
  });

  it.each(['private', 'public', ''])('rejects %j, naming the choices', (value) => {
    expect(validateContextMode(value)).toEqual({
      ok: false,
      errors: [{ field: 'contextMode', message: PersonalityRuleMessages.contextModeInvalid() }],
    });
  });
});

describe('validateFallbackModels', () => {
  const fallbackContext = {
    providers: new Map([
      ['default', { models: ['small', 'large'], defaultModel: 'small' }],
      ['other', { models: ['o1', 'meta-llama/llama-3-70b'], defaultModel: 'o1' }],
      ['other-eu', { models: ['o1'], defaultModel: 'o1' }],
    ]),
  };
  const primary = { provider: 'default', model: 'small' };

  describe('when every entry is a configured model', () => {
    it.each([
      ['other/o1', [{ provider: 'other', model: 'o1' }]],
      [
        ' default/large ,other/o1, ',
        [
          { provider: 'default', model: 'large' },
          { provider: 'other', model: 'o1' },
        ],
      ],
      // A model name holding a slash; a provider name that starts like another one.
      ['other/meta-llama/llama-3-70b', [{ provider: 'other', model: 'meta-llama/llama-3-70b' }]],
      ['other-eu/o1', [{ provider: 'other-eu', model: 'o1' }]],
      ['none', []],
      [' None ', []],
      ['', []],
    ])('accepts %j in its order', (value, expected) => {
      expect(validateFallbackModels(value, primary, fallbackContext)).toEqual({ ok: true, value: expected });
    });
  });

  describe('when entries break a rule', () => {
    it('refuses more than three', () => {
      expect(
        messageOf(
          validateFallbackModels(
            'default/large, other/o1, other-eu/o1, other/meta-llama/llama-3-70b',
            primary,
            fallbackContext,
          ),
        ),
      ).toBe(PersonalityRuleMessages.tooManyFallbacks(3, 4));
    });

    const providers = ['default', 'other', 'other-eu'];
    it.each([
      ['large', PersonalityRuleMessages.fallbackNotModelRef('large', providers)],
      ['nowhere/o1', PersonalityRuleMessages.fallbackNotModelRef('nowhere/o1', providers)],
      [
        'other/o2',
        PersonalityRuleMessages.fallbackModelUnknown('other/o2', 'other', ['o1', 'meta-llama/llama-3-70b']),
      ],
      ['default/small', PersonalityRuleMessages.fallbackIsPrimary('default/small')],
      ['other/o1, other/o1', PersonalityRuleMessages.fallbackRepeated('other/o1')],
    ])('refuses %j, naming the entry', (value, message) => {
      expect(validateFallbackModels(value, primary, fallbackContext)).toEqual({
        ok: false,
        errors: [{ field: 'fallbackModels', message }],
      });
      expect(message).toContain(`“${value.split(',')[0]}”`);
    });

    it('names every bad entry at once', () => {
      const result = validateFallbackModels('large, other/o1, other/o2', primary, fallbackContext);
      expect(result.ok ? [] : result.errors.map((error) => error.message)).toEqual([
        PersonalityRuleMessages.fallbackNotModelRef('large', providers),
        PersonalityRuleMessages.fallbackModelUnknown('other/o2', 'other', ['o1', 'meta-llama/llama-3-70b']),
      ]);
    });
  });
});
describe('validateStreamReplies', () => {
  it.each([
    ['on', true],
    ['off', false],
    [' Default ', null],
  ] as const)('accepts %j', (value, expected) => {
    expect(validateStreamReplies(value)).toEqual({ ok: true, value: expected });
  });

  it.each(['yes', 'true', ''])('rejects %j, naming the choices', (value) => {
    expect(validateStreamReplies(value)).toEqual({
      ok: false,
      errors: [{ field: 'streamReplies', message: PersonalityRuleMessages.streamRepliesInvalid() }],
    });
  });
});

describe('PersonalitySchema', () => {
  it('reads a record stored before fallback models existed as having none', () => {
    const stored = PersonalitySchema.parse({
      id: 'abcdefgh1234',
      ownerId: '1',
      name: 'Alice',
      aliases: [],
      visibility: 'public',
      systemPrompt: '',
      avatarUrl: null,
      provider: 'default',
      model: 'small',
      temperature: null,
      createdAt: 0,
    });
    expect(stored.fallbackModels).toEqual([]);
  });

  it('refuses more than three fallback models', () => {
    const model = { provider: 'default', model: 'large' };
    expect(PersonalitySchema.shape.fallbackModels.safeParse([model, model, model, model]).success).toBe(
      false,
    );
  });

  it('reads a record stored before the context mode existed as room', () => {
    const stored = PersonalitySchema.parse({
      id: 'abcdefgh1234',
      ownerId: '1',
      name: 'Alice',
      aliases: [],
      visibility: 'public',
      systemPrompt: '',
      avatarUrl: null,
      provider: 'default',
      model: 'small',
      temperature: null,
      createdAt: 0,
    });
    expect(stored.contextMode).toBe('room');
    expect(stored.streamReplies).toBeNull();
  });
});
