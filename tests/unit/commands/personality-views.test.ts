import { ComponentType } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { parseCustomId } from '../../../src/commands/custom-id.js';
import { buildPageWindow } from '../../../src/commands/page-window.js';
import {
  buildPersonalityInfoEmbed,
  buildPersonalityListView,
  LIST_PAGE_SIZE,
  truncateText,
} from '../../../src/commands/personality-views.js';
import type { Personality } from '../../../src/state/index.js';
import { buildTestPersonality } from '../../support/personality.js';

const OWNER = '111111111111111111';
const VIEWER = '222222222222222222';

function personality(overrides: Partial<Personality> = {}): Personality {
  return buildTestPersonality({
    id: 'abcdefgh1234',
    ownerId: OWNER,
    name: 'Alice',
    aliases: ['Ally'],
    visibility: 'public',
    systemPrompt: 'You are Alice the librarian.',
    avatarUrl: 'https://cdn.example.com/alice.png',
    provider: 'default',
    model: 'stub-small',
    temperature: null,
    createdAt: Date.UTC(2026, 0, 2),
    version: 1,
    ...overrides,
  });
}

describe('buildPersonalityInfoEmbed', () => {
  describe('when the owner looks', () => {
    it('shows every field including the prompt', () => {
      const embed = buildPersonalityInfoEmbed(personality(), OWNER);
      expect(embed.title).toBe('Alice');
      expect(embed.thumbnail).toEqual({ url: 'https://cdn.example.com/alice.png' });
      expect(embed.fields?.map((field) => [field.name, field.value])).toEqual([
        ['Owner', `<@${OWNER}>`],
        ['Provider / model', 'default/stub-small'],
        ['Temperature', 'provider default'],
        ['Visibility', 'public'],
        ['NSFW', 'no'],
        ['Context in servers', 'room: follows the conversation of the channel it answers in'],
        ['Memory', 'conversation: remembers each person’s talk in each channel apart'],
        ['Fallback models', 'none'],
        ['Streamed replies', 'default: follows the bot’s setting'],
        ['Aliases', 'Ally'],
        ['Prompt (only you see this)', 'You are Alice the librarian.'],
      ]);
      expect(embed.timestamp).toBe('2026-01-02T00:00:00.000Z');
    });
  });

  describe('when a co-editor looks at an nsfw personality', () => {
    it('shows the prompt, the flag and the co-editors', () => {
      const embed = buildPersonalityInfoEmbed(personality({ nsfw: true, editorIds: [VIEWER] }), VIEWER);
      const fields = new Map(embed.fields?.map((field) => [field.name, field.value]));
      expect(fields.get('NSFW')).toBe('yes: answers only in age-restricted channels');
      expect(fields.get('Co-editors')).toBe(`<@${VIEWER}>`);
      expect(fields.get('Prompt (only you see this)')).toBe('You are Alice the librarian.');
    });
  });

  describe('when the personality keeps to personal conversations', () => {
    it('says what it sees', () => {
      const embed = buildPersonalityInfoEmbed(personality({ contextMode: 'personal' }), VIEWER);
      const fields = new Map(embed.fields?.map((field) => [field.name, field.value]));
      expect(fields.get('Context in servers')).toBe(
        'personal: sees only its own conversation with each person',
      );
    });
  });

  describe('when the personality remembers people across channels', () => {
    it('says so', () => {
      const embed = buildPersonalityInfoEmbed(personality({ memoryScope: 'user' }), VIEWER);
      const fields = new Map(embed.fields?.map((field) => [field.name, field.value]));
      expect(fields.get('Memory')).toBe('user: remembers each person across channels');
    });
  });

  describe('when it has fallback models', () => {
    it('lists them in their order', () => {
      const embed = buildPersonalityInfoEmbed(
        personality({
          fallbackModels: [
            { provider: 'backup', model: 'stub-large' },
            { provider: 'default', model: 'stub-large' },
          ],
        }),
        VIEWER,
      );
      const fields = new Map(embed.fields?.map((field) => [field.name, field.value]));
      expect(fields.get('Fallback models')).toBe(
        'backup/stub-large, default/stub-large (in this order, while its own model is down)',
      );
    });
  });
  describe('when the personality overrides streaming', () => {
    it.each([
      [true, 'on: replies in servers appear as they are written'],
      [false, 'off: replies appear once complete'],
    ])('says %j in words', (streamReplies, shown) => {
      const embed = buildPersonalityInfoEmbed(personality({ streamReplies }), VIEWER);
      const fields = new Map(embed.fields?.map((field) => [field.name, field.value]));
      expect(fields.get('Streamed replies')).toBe(shown);
    });
  });

  describe('when someone else looks', () => {
    it('leaves the prompt out', () => {
      const embed = buildPersonalityInfoEmbed(personality(), VIEWER);
      expect(JSON.stringify(embed)).not.toContain('librarian');
    });
  });

  describe('when fields are long or empty', () => {
    it('cuts a long prompt to an embed field and says there are no aliases', () => {
      const embed = buildPersonalityInfoEmbed(
        personality({ systemPrompt: 'x'.repeat(6000), aliases: [], avatarUrl: null, temperature: 0.7 }),
        OWNER,
      );
      const fields = new Map(embed.fields?.map((field) => [field.name, field.value]));
      expect(fields.get('Prompt (only you see this)')).toHaveLength(1024);
      expect(fields.get('Aliases')).toBe('none');
      expect(fields.get('Temperature')).toBe('0.7');
      expect(embed.thumbnail).toBeUndefined();
    });
  });
});

describe('buildPersonalityListView', () => {
  const many = Array.from({ length: 23 }, (_, index) =>
    personality({ id: `abcdefgh${String(index).padStart(4, '0')}`, name: `P${index}` }),
  );

  describe('when everything fits on one page', () => {
    it('shows no buttons', () => {
      const view = buildPersonalityListView({
        scope: 'mine',
        viewerId: OWNER,
        items: many.slice(0, 3),
        total: 3,
        window: buildPageWindow(3, LIST_PAGE_SIZE, 0),
      });
      expect(view.components).toEqual([]);
      expect(view.embeds[0]?.title).toBe('Your personalities (3)');
      expect(view.embeds[0]?.description?.split('\n')).toEqual([
        '**P0** · default/stub-small · public · aka Ally',
        '**P1** · default/stub-small · public · aka Ally',
        '**P2** · default/stub-small · public · aka Ally',
      ]);
    });
  });

  describe('when there are several pages', () => {
    it('adds previous/next buttons for the viewer, disabled at the ends', () => {
      const window = buildPageWindow(many.length, LIST_PAGE_SIZE, 2);
      const view = buildPersonalityListView({
        scope: 'public',
        viewerId: VIEWER,
        items: many.slice(window.offset, window.offset + window.limit),
        total: many.length,
        window,
      });
      expect(view.embeds[0]?.footer?.text).toBe('Page 3 of 3');
      expect(view.embeds[0]?.description).toContain(`by <@${OWNER}>`);
      const row = view.components[0];
      expect(row?.type).toBe(ComponentType.ActionRow);
      const buttons = row?.components ?? [];
      expect(
        buttons.map((button) => ('custom_id' in button ? parseCustomId(button.custom_id) : null)),
      ).toEqual([
        { action: 'list-page', userId: VIEWER, scope: 'public', page: 1 },
        { action: 'list-page', userId: VIEWER, scope: 'public', page: 2 },
      ]);
      expect(buttons.map((button) => button.disabled)).toEqual([false, true]);
    });
  });

  describe('when the list is empty', () => {
    it.each([
      ['mine', 'You have no personalities yet. Create one with /personality create.'],
      ['public', 'There are no public personalities yet.'],
    ] as const)('says so for %s', (scope, text) => {
      const view = buildPersonalityListView({
        scope,
        viewerId: OWNER,
        items: [],
        total: 0,
        window: buildPageWindow(0, 10, 0),
      });
      expect(view.embeds[0]?.description).toBe(text);
    });
  });

  describe('when names carry markdown and many aliases', () => {
    it('escapes the markdown and counts the aliases not named', () => {
      const view = buildPersonalityListView({
        scope: 'mine',
        viewerId: OWNER,
        items: [personality({ name: '*Star*', aliases: ['a', 'b', 'c', 'd', 'e'] })],
        total: 1,
        window: buildPageWindow(1, 10, 0),
      });
      expect(view.embeds[0]?.description).toBe(
        '**\\*Star\\*** · default/stub-small · public · aka a, b, c +2',
      );
    });
  });
});

describe('truncateText', () => {
  it.each([
    ['short', 10, 'short'],
    ['exactly10!', 10, 'exactly10!'],
    ['far too long text', 8, 'far too…'],
  ])('cuts %j to %i characters', (text, max, expected) => {
    expect(truncateText(text, max)).toBe(expected);
  });
});
