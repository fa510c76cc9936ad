import { describe, expect, it } from 'vitest';
import {
  buildDmPrefixedContent,
  escapeDisplayName,
  FALLBACK_PERSONA_USERNAME,
  sanitizePersonaUsername,
} from '../../../src/webhooks/persona-username.js';

const HAIR_SPACE = '\u200A';

describe('sanitizePersonaUsername', () => {
  describe('when the name is already acceptable', () => {
    it.each([['Alice'], ['Dr Who'], ['Zoë'], ['李白'], ['🦊 Fox'], ['👩‍💻 Coder'], ['Ab']])(
      'keeps %j',
      (name) => {
        expect(sanitizePersonaUsername(name)).toBe(name);
      },
    );
  });

  describe('when the name holds a word Discord refuses', () => {
    it.each([
      ['Discord Bot', `D${HAIR_SPACE}iscord Bot`],
      ['my DISCORD pal', `my D${HAIR_SPACE}ISCORD pal`],
      ['Clyde', `C${HAIR_SPACE}lyde`],
      ['superclydebot', `superc${HAIR_SPACE}lydebot`],
      ['discordiscord', `d${HAIR_SPACE}iscord${HAIR_SPACE}iscord`],
      ['everyone', `e${HAIR_SPACE}veryone`],
      ['HERE', `H${HAIR_SPACE}ERE`],
      ['code ```x', `code \`${HAIR_SPACE}\`\`x`],
    ])('breaks %j', (name, expected) => {
      expect(sanitizePersonaUsername(name)).toBe(expected);
    });

    it.each([['Sphere'], ['Everyone Else'], ['Here and there']])(
      'leaves %j, which only contains everyone/here',
      (name) => {
        expect(sanitizePersonaUsername(name)).toBe(name);
      },
    );

    it('breaks full-width forms Discord may fold', () => {
      const result = sanitizePersonaUsername('ｄｉｓｃｏｒｄ');
      expect(result.normalize('NFKC').toLowerCase()).not.toContain('discord');
    });
  });

  describe('when the name has invisible or control characters', () => {
    it.each([
      ['Line\nbreak', 'Line break'],
      ['Tab\there', 'Tab here'],
      ['  spaced   out  ', 'spaced out'],
      ['Zero\u200Bwidth', 'Zerowidth'],
      ['\u202EReversed', 'Reversed'],
      ['Bell\u0007', 'Bell'],
    ])('cleans %j', (name, expected) => {
      expect(sanitizePersonaUsername(name)).toBe(expected);
    });

    it.each([[''], ['   '], ['\u200B\u200B'], ['\u200D'], ['\n\t'], ['\u0301\u0301'], ['\u3164']])(
      'falls back for %j',
      (name) => {
        expect(sanitizePersonaUsername(name)).toBe(FALLBACK_PERSONA_USERNAME);
      },
    );
  });

  describe('when the name has one character', () => {
    it.each([['A'], ['🦊'], ['李']])('pads %j invisibly', (name) => {
      const result = sanitizePersonaUsername(name);
      expect(result.startsWith(name)).toBe(true);
      expect([...result].length).toBe(2);
    });
  });

  describe('when the name is too long', () => {
    it('truncates to 80 characters', () => {
      expect(sanitizePersonaUsername('x'.repeat(100))).toBe('x'.repeat(80));
    });

    it('never splits a surrogate pair or an emoji sequence', () => {
      const result = sanitizePersonaUsername(`${'x'.repeat(79)}🦊🦊`);
      expect(result).toBe('x'.repeat(79));
      const family = sanitizePersonaUsername('👨‍👩‍👧‍👦'.repeat(10));
      expect(family).toBe('👨‍👩‍👧‍👦'.repeat(7));
    });

    it('keeps the name within 80 characters after breaking words', () => {
      const result = sanitizePersonaUsername('discord'.repeat(12));
      expect(result.length).toBeLessThanOrEqual(80);
      expect(result.toLowerCase()).not.toContain('discord');
    });

    it('drops a trailing space left by the cut', () => {
      expect(sanitizePersonaUsername(`${'x'.repeat(79)} yz`)).toBe('x'.repeat(79));
    });
  });
});

describe('escapeDisplayName', () => {
  it.each([
    ['**Bold**', '\\*\\*Bold\\*\\*'],
    ['snake_case', 'snake\\_case'],
    ['||spoiler||', '\\|\\|spoiler\\|\\|'],
    ['`code`', '\\`code\\`'],
    ['[x](y)', '\\[x\\]\\(y\\)'],
    ['a\\b', 'a\\\\b'],
    ['<@123>', '<\u200B@123>'],
    ['@everyone', '@\u200Beveryone'],
    ['@Here', '@\u200BHere'],
  ])('renders %j as %j', (name, expected) => {
    expect(escapeDisplayName(name, '?')).toBe(expected);
  });

  it('uses the fallback when nothing is visible', () => {
    expect(escapeDisplayName('\u200B', 'someone')).toBe('someone');
  });
});

describe('buildDmPrefixedContent', () => {
  it.each([
    ['Alice', 'Hello!', '**Alice:** Hello!'],
    ['A*B', 'hi', '**A\\*B:** hi'],
    ['Alice', '```ts\nx\n```', '**Alice:**\n```ts\nx\n```'],
    ['Alice', '> quoted', '**Alice:**\n> quoted'],
    ['Alice', '# Title', '**Alice:**\n# Title'],
    ['Alice', '- item', '**Alice:**\n- item'],
    ['Alice', '1. first', '**Alice:**\n1. first'],
    ['Alice', '\n\nHello', '**Alice:** Hello'],
    ['', 'Hello', `**${FALLBACK_PERSONA_USERNAME}:** Hello`],
  ])('prefixes %j to %j', (name, content, expected) => {
    expect(buildDmPrefixedContent(name, content)).toBe(expected);
  });
});
