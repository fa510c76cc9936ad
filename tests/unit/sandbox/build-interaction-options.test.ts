import { describe, expect, it } from 'vitest';
import { buildInteractionOptions } from '../../../sandbox/build-interaction-options.js';

const persona = [
  {
    type: 1,
    name: 'show',
    description: 'Show',
    options: [
      { type: 3, name: 'name', description: 'Name', required: true, autocomplete: true },
      { type: 4, name: 'count', description: 'Count' },
      { type: 6, name: 'who', description: 'Who' },
      { type: 11, name: 'file', description: 'File' },
    ],
  },
  {
    type: 2,
    name: 'admin',
    description: 'Admin',
    options: [
      {
        type: 1,
        name: 'purge',
        description: 'Purge',
        options: [{ type: 5, name: 'all', description: 'All' }],
      },
    ],
  },
];

describe('buildInteractionOptions', () => {
  describe('when a subcommand is used', () => {
    it('nests the typed options under it and lists ids to resolve', () => {
      const built = buildInteractionOptions(
        persona,
        { name: 'Alice', count: '3', who: '42' },
        { subcommand: 'show' },
      );
      expect(built.options).toEqual([
        {
          type: 1,
          name: 'show',
          options: [
            { type: 3, name: 'name', value: 'Alice' },
            { type: 4, name: 'count', value: 3 },
            { type: 6, name: 'who', value: '42' },
          ],
        },
      ]);
      expect(built.resolve.users).toEqual(['42']);
    });

    it('lists an attachment option’s id to resolve', () => {
      const built = buildInteractionOptions(persona, { name: 'Alice', file: '77' }, { subcommand: 'show' });
      expect(built.options[0]?.['options']).toContainEqual({ type: 11, name: 'file', value: '77' });
      expect(built.resolve.attachments).toEqual(['77']);
    });

    it('nests a group, then its subcommand', () => {
      const built = buildInteractionOptions(
        persona,
        { all: true },
        { subcommandGroup: 'admin', subcommand: 'purge' },
      );
      expect(built.options).toEqual([
        {
          type: 2,
          name: 'admin',
          options: [{ type: 1, name: 'purge', options: [{ type: 5, name: 'all', value: true }] }],
        },
      ]);
    });
  });

  describe('when an option is focused for autocomplete', () => {
    it('sends the typed text as a string, marked focused', () => {
      const built = buildInteractionOptions(persona, { name: 'Al' }, { subcommand: 'show' }, 'name');
      expect(built.options[0]?.['options']).toEqual([{ type: 3, name: 'name', value: 'Al', focused: true }]);
    });
  });

  describe('when the user could not have sent it', () => {
    it.each([
      ['an unknown option', { nope: 1 }, { subcommand: 'show' }, null, /no option "nope"/],
      ['a missing required option', {}, { subcommand: 'show' }, null, /required option "name"/],
      ['no subcommand', { name: 'x' }, {}, null, /needs a subcommand/],
      ['an unknown subcommand', {}, { subcommand: 'nope' }, null, /no subcommand "nope"/],
      ['a non-integer integer', { name: 'x', count: 1.5 }, { subcommand: 'show' }, null, /integer/],
      [
        'autocomplete on a plain option',
        { name: 'x', count: 1 },
        { subcommand: 'show' },
        'count',
        /autocomplete/,
      ],
    ])('throws for %s', (_name, values, path, focused, message) => {
      expect(() => buildInteractionOptions(persona, values, path, focused)).toThrow(message);
    });
  });
});
