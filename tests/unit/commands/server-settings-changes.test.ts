import { describe, expect, it } from 'vitest';
import {
  addToList,
  parseServerAlias,
  parseServerLimit,
  parseServerName,
  removeAlias,
  removeFromList,
  setAlias,
} from '../../../src/commands/server-settings-changes.js';
import { DefaultGuildSettings, GuildSettingsCaps } from '../../../src/guilds/index.js';

describe('addToList', () => {
  describe('when the value is new', () => {
    it('appends it', () => {
      const edit = addToList(DefaultGuildSettings, 'blockedNames', 'mods');
      expect(edit).toEqual({ settings: { ...DefaultGuildSettings, blockedNames: ['mods'] }, changed: true });
    });
  });

  describe('when the value is listed already', () => {
    it('gives back the same settings, unchanged', () => {
      const settings = { ...DefaultGuildSettings, blockedNames: ['mods'] };
      expect(addToList(settings, 'blockedNames', 'mods')).toEqual({ settings, changed: false });
    });
  });

  describe('when the list is full', () => {
    it('refuses, naming the cap', () => {
      const full = {
        ...DefaultGuildSettings,
        channelIds: Array.from(
          { length: GuildSettingsCaps.channelIds },
          (_, index) => `${10n ** 17n + BigInt(index)}`,
        ),
      };
      expect(() => addToList(full, 'channelIds', '200000000000000000')).toThrow(
        'This server already has 500 listed channels, the most it can have. Remove one first.',
      );
    });
  });
});

describe('removeFromList', () => {
  it('removes a listed value, and changes nothing for another', () => {
    const settings = { ...DefaultGuildSettings, allowedPersonalityIds: ['a', 'b'] };
    expect(removeFromList(settings, 'allowedPersonalityIds', 'a').settings.allowedPersonalityIds).toEqual([
      'b',
    ]);
    expect(removeFromList(settings, 'allowedPersonalityIds', 'c')).toEqual({ settings, changed: false });
  });
});

describe('parseServerName', () => {
  it.each([
    ['  MODS ', 'mods'],
    ['The   Guide', 'the guide'],
    ['Ｇｕｉｄｅ', 'guide'],
    ['@Mods', 'mods'],
  ])('normalizes %j to %j as personality names are', (input, expected) => {
    expect(parseServerName(input)).toBe(expected);
  });

  it.each(['   ', 'x'.repeat(81)])('refuses %j', (input) => {
    expect(() => parseServerName(input)).toThrow('Name must be 1–80 characters.');
  });
});

describe('parseServerAlias', () => {
  it.each([
    ['Guide', 'guide'],
    ['@The  Guide ', 'the guide'],
  ])('keys %j as %j', (input, expected) => {
    expect(parseServerAlias(input)).toBe(expected);
  });

  it.each([
    ['everyone', 'cannot be “everyone” or “here”'],
    ['a\nb', 'cannot contain line breaks'],
    ['x'.repeat(81), 'must be 1–80 characters'],
  ])('refuses %j as a personality’s alias would be', (input, message) => {
    expect(() => parseServerAlias(input)).toThrow(message);
  });
});

describe('setAlias', () => {
  describe('when the alias is new', () => {
    it('points it at the personality', () => {
      const edit = setAlias(DefaultGuildSettings, 'guide', 'alice123');
      expect(edit).toMatchObject({
        settings: { aliases: { guide: 'alice123' } },
        changed: true,
        replacedId: null,
      });
    });
  });

  describe('when the alias meant another personality', () => {
    it('repoints it and says what it meant', () => {
      const settings = { ...DefaultGuildSettings, aliases: { guide: 'bob12345' } };
      expect(setAlias(settings, 'guide', 'alice123')).toMatchObject({
        settings: { aliases: { guide: 'alice123' } },
        replacedId: 'bob12345',
      });
    });
  });

  describe('when the server has as many aliases as it may', () => {
    it('refuses a new one but still repoints an existing one', () => {
      const aliases = Object.fromEntries(
        Array.from({ length: GuildSettingsCaps.aliases }, (_, index) => [`alias${index}`, 'alice123']),
      );
      const settings = { ...DefaultGuildSettings, aliases };
      expect(() => setAlias(settings, 'one-more', 'alice123')).toThrow('already has 200 server aliases');
      expect(setAlias(settings, 'alias0', 'bob12345').changed).toBe(true);
    });
  });
});

describe('removeAlias', () => {
  it('removes an alias, and changes nothing for an unknown one', () => {
    const settings = { ...DefaultGuildSettings, aliases: { guide: 'a', helper: 'b' } };
    expect(removeAlias(settings, 'guide').settings.aliases).toEqual({ helper: 'b' });
    expect(removeAlias(settings, 'nobody')).toEqual({ settings, changed: false });
  });
});

describe('parseServerLimit', () => {
  it.each([1, 3, 5])('accepts %i up to the operator’s 5', (value) => {
    expect(parseServerLimit('pending', value, 5)).toBe(value);
  });

  it.each([0, -1, 1.5])('refuses %d as not a whole number of at least 1', (value) => {
    expect(() => parseServerLimit('pending', value, 5)).toThrow(
      'Pending replies must be a whole number of at least 1.',
    );
  });

  it('refuses a looser value, naming the operator’s', () => {
    expect(() => parseServerLimit('per-minute', 7, 6)).toThrow(
      'Messages per minute can be at most 6, the bot’s own limit: a server can never loosen the operator’s limits.',
    );
  });
});
