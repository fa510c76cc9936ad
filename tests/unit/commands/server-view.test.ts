import { describe, expect, it } from 'vitest';
import { buildServerSettingsEmbed, joinWithinLimit } from '../../../src/commands/server-view.js';
import { DiscordLimits } from '../../../src/discord/index.js';
import { DefaultGuildSettings, GuildSettingsCaps } from '../../../src/guilds/index.js';
import type { Personality } from '../../../src/state/index.js';
import { buildTestPersonality } from '../../support/personality.js';

const OPERATOR = { userMaxPending: 5, userRatePerMinute: 6 };

function personality(id: string, name: string, ownerId: string): Personality {
  return buildTestPersonality({
    id,
    ownerId,
    name,
    aliases: [],
    visibility: 'public',
    systemPrompt: 'p',
    avatarUrl: null,
    provider: 'default',
    model: 'm',
    temperature: null,
    createdAt: 1,
    version: 1,
  });
}

describe('joinWithinLimit', () => {
  describe('when there are no lines', () => {
    it('says none', () => {
      expect(joinWithinLimit('Blocked', [], 100)).toBe('Blocked: none');
    });
  });

  describe('when every line fits', () => {
    it('lists them all', () => {
      expect(joinWithinLimit('Blocked', ['a', 'b'], 100)).toBe('Blocked:\n• a\n• b');
    });
  });

  describe('when the lines do not fit', () => {
    it('lists what fits and counts the rest, within the limit', () => {
      const lines = Array.from({ length: 50 }, (_, index) => `line ${index}`);
      const text = joinWithinLimit('Blocked', lines, 60);
      expect(text.length).toBeLessThanOrEqual(60);
      expect(text).toMatch(/^Blocked:\n• line 0\n• line 1\n.*… and \d+ more$/su);
      const shown = text.split('\n').filter((line) => line.startsWith('•')).length;
      expect(text.endsWith(`… and ${50 - shown} more`)).toBe(true);
    });
  });
});

describe('buildServerSettingsEmbed', () => {
  describe('when the server never chose', () => {
    it('shows the defaults and the operator’s limits', () => {
      const embed = buildServerSettingsEmbed(DefaultGuildSettings, new Map(), OPERATOR);
      expect(embed.fields?.map((field) => field.value)).toEqual([
        [
          'Mode: every personality may answer, except blocked ones',
          'Allowed: none',
          'Blocked: none',
          'Blocked names (every public personality of the name): none',
          'Server aliases: none',
        ].join('\n'),
        'Everywhere',
        'Who may talk: anyone\nWho may /activate: members with Manage Channels',
        'Pending replies: 5 (the bot’s)\nMessages per minute: 6 (the bot’s)',
        'Never answer here',
      ]);
    });
  });

  describe('when the personalities exist or are gone', () => {
    it('names them with their owners, or as deleted', () => {
      const settings = {
        ...DefaultGuildSettings,
        blockedPersonalityIds: ['alice123', 'gone1234'],
        aliases: { guide: 'alice123' },
      };
      const known = new Map([['alice123', personality('alice123', 'Al*ice', '100000000000000001')]]);
      const value = buildServerSettingsEmbed(settings, known, OPERATOR).fields?.[0]?.value;
      expect(value).toContain(
        'Blocked:\n• **Al\\*ice** (by <@100000000000000001>)\n• a deleted personality (`gone1234`)',
      );
      expect(value).toContain('Server aliases:\n• @guide → **Al\\*ice** (by <@100000000000000001>)');
    });
  });

  describe('when every list is full', () => {
    it('keeps every field within Discord’s limit', () => {
      const ids = (count: number, prefix: string) =>
        Array.from({ length: count }, (_, index) => `${prefix}${String(index).padStart(6, '0')}`);
      const settings = {
        ...DefaultGuildSettings,
        channelMode: 'except' as const,
        allowedPersonalityIds: ids(GuildSettingsCaps.allowedPersonalityIds, 'allowed'),
        blockedPersonalityIds: ids(GuildSettingsCaps.blockedPersonalityIds, 'blocked'),
        blockedNames: ids(GuildSettingsCaps.blockedNames, 'name'),
        aliases: Object.fromEntries(
          ids(GuildSettingsCaps.aliases, 'alias').map((alias) => [alias, 'x1234567']),
        ),
        channelIds: Array.from(
          { length: GuildSettingsCaps.channelIds },
          (_, index) => `${10n ** 18n + BigInt(index)}`,
        ),
      };
      const embed = buildServerSettingsEmbed(settings, new Map(), OPERATOR);
      for (const field of embed.fields ?? [])
        expect(field.value.length).toBeLessThanOrEqual(DiscordLimits.embedFieldValue);
      expect(embed.fields?.[1]?.value).toMatch(/^Everywhere except these channels and their threads:\n• <#/u);
      expect(embed.fields?.[1]?.value).toMatch(/… and \d+ more$/u);
    });
  });
});
