import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ButtonTarget, buildCustomId, parseCustomId } from '../../../src/commands/custom-id.js';

const USER = '123456789012345678';
const PERSONALITY = 'abc123def456';

describe('buildCustomId / parseCustomId', () => {
  describe('when a target is encoded', () => {
    it.each<[string, ButtonTarget, string]>([
      [
        'a list page',
        { action: 'list-page', userId: USER, scope: 'public', page: 3 },
        `chorus:lp:${USER}:public:3`,
      ],
      [
        'a remove confirmation',
        { action: 'remove-confirm', userId: USER, personalityId: PERSONALITY },
        `chorus:rm:${USER}:${PERSONALITY}`,
      ],
      [
        'a remove cancel',
        { action: 'remove-cancel', userId: USER, personalityId: PERSONALITY },
        `chorus:rmx:${USER}:${PERSONALITY}`,
      ],
      ['a forget confirmation', { action: 'forget-confirm', userId: USER }, `chorus:fm:${USER}`],
      ['a forget cancel', { action: 'forget-cancel', userId: USER }, `chorus:fmx:${USER}`],
    ])('round-trips %s', (_label, target, encoded) => {
      expect(buildCustomId(target)).toBe(encoded);
      expect(parseCustomId(encoded)).toEqual(target);
    });

    it('keeps every id within Discord’s 100 characters', () => {
      fc.assert(
        fc.property(
          fc.stringMatching(/^\d{1,20}$/),
          fc.stringMatching(/^[a-z0-9]{8,32}$/),
          fc.integer({ min: 0, max: 999_999 }),
          (userId, personalityId, page) => {
            for (const target of [
              { action: 'list-page', userId, scope: 'mine', page },
              { action: 'remove-confirm', userId, personalityId },
            ] as const) {
              const id = buildCustomId(target);
              expect(id.length).toBeLessThanOrEqual(100);
              expect(parseCustomId(id)).toEqual(target);
            }
          },
        ),
      );
    });
  });

  describe('when the target cannot round-trip', () => {
    it('refuses to build it', () => {
      expect(() =>
        buildCustomId({ action: 'remove-confirm', userId: USER, personalityId: 'has:colon' }),
      ).toThrow(RangeError);
      expect(() =>
        buildCustomId({ action: 'list-page', userId: 'not-a-user', scope: 'mine', page: 0 }),
      ).toThrow(RangeError);
    });
  });

  describe('when a custom id is not ours or is malformed', () => {
    it.each([
      ['another namespace', `other:lp:${USER}:mine:0`],
      ['an unknown action', `chorus:zz:${USER}`],
      ['a bad user id', 'chorus:fm:abc'],
      ['a bad scope', `chorus:lp:${USER}:everyone:0`],
      ['a negative page', `chorus:lp:${USER}:mine:-1`],
      ['a missing page', `chorus:lp:${USER}:mine`],
      ['a bad personality id', `chorus:rm:${USER}:UPPER`],
      ['extra parts', `chorus:fm:${USER}:extra`],
      ['an empty string', ''],
    ])('returns null for %s', (_label, customId) => {
      expect(parseCustomId(customId)).toBeNull();
    });
  });
});
