import { describe, expect, it } from 'vitest';
import {
  type AddressingInput,
  applyAliases,
  decideAddressees,
  findAliasedNames,
} from '../../../src/gateway/addressing.js';

const base: AddressingInput = {
  replyToPersonalityId: null,
  mentioned: [],
  activatedPersonalityId: null,
  isDm: false,
  dmStickyPersonalityId: null,
  maxPersonalities: 3,
};

function ids(...values: string[]): Array<{ id: string }> {
  return values.map((id) => ({ id }));
}

describe('decideAddressees', () => {
  describe('in a guild channel', () => {
    it.each<[string, Partial<AddressingInput>, string[], Record<string, string>]>([
      ['nothing addresses anyone', {}, [], {}],
      ['a reply targets a personality', { replyToPersonalityId: 'alice' }, ['alice'], { alice: 'reply' }],
      [
        'personalities are mentioned',
        { mentioned: ids('alice', 'bob') },
        ['alice', 'bob'],
        { alice: 'mention', bob: 'mention' },
      ],
      [
        'a reply and mentions combine, reply first',
        { replyToPersonalityId: 'carol', mentioned: ids('alice', 'bob') },
        ['carol', 'alice', 'bob'],
        { carol: 'reply', alice: 'mention', bob: 'mention' },
      ],
      [
        'the replied-to personality is also mentioned',
        { replyToPersonalityId: 'alice', mentioned: ids('bob', 'alice') },
        ['alice', 'bob'],
        { alice: 'reply', bob: 'mention' },
      ],
      ['a mention repeats', { mentioned: ids('alice', 'alice') }, ['alice'], { alice: 'mention' }],
      ['only the channel is activated', { activatedPersonalityId: 'dana' }, ['dana'], { dana: 'activation' }],
      [
        'a mention beats the activation',
        { activatedPersonalityId: 'dana', mentioned: ids('alice') },
        ['alice'],
        { alice: 'mention' },
      ],
      [
        'a reply beats the activation',
        { activatedPersonalityId: 'dana', replyToPersonalityId: 'bob' },
        ['bob'],
        { bob: 'reply' },
      ],
      ['a DM sticky is set outside DMs', { dmStickyPersonalityId: 'erin' }, [], {}],
    ])('when %s', (_case, overrides, personalityIds, triggers) => {
      const decision = decideAddressees({ ...base, ...overrides });
      expect(decision.personalityIds).toEqual(personalityIds);
      expect(decision.triggers).toEqual(triggers);
      expect(decision.newDmSticky).toBeNull();
      expect(decision.truncated).toBe(0);
    });
  });

  describe('when more personalities are addressed than allowed', () => {
    it('keeps the first maxPersonalities and counts the rest', () => {
      const decision = decideAddressees({
        ...base,
        replyToPersonalityId: 'carol',
        mentioned: ids('alice', 'bob', 'dana', 'erin'),
        maxPersonalities: 3,
      });
      expect(decision.personalityIds).toEqual(['carol', 'alice', 'bob']);
      expect(decision.truncated).toBe(2);
    });

    it('counts duplicates once', () => {
      const decision = decideAddressees({ ...base, mentioned: ids('a', 'a', 'b'), maxPersonalities: 1 });
      expect(decision).toMatchObject({ personalityIds: ['a'], truncated: 1 });
    });
  });

  describe('in a DM', () => {
    const dm: AddressingInput = { ...base, isDm: true };

    it.each<[string, Partial<AddressingInput>, string[], Record<string, string>, string | null]>([
      ['nothing is sticky and nothing is addressed', {}, [], {}, null],
      ['a personality is sticky', { dmStickyPersonalityId: 'erin' }, ['erin'], { erin: 'dm' }, null],
      [
        'a mention switches the sticky personality',
        { dmStickyPersonalityId: 'erin', mentioned: ids('alice', 'bob') },
        ['alice', 'bob'],
        { alice: 'mention', bob: 'mention' },
        'alice',
      ],
      [
        'the sticky personality is mentioned',
        { dmStickyPersonalityId: 'erin', mentioned: ids('erin') },
        ['erin'],
        { erin: 'mention' },
        null,
      ],
      ['a mention with nothing sticky yet', { mentioned: ids('bob') }, ['bob'], { bob: 'mention' }, 'bob'],
      [
        'a reply without a mention keeps the sticky personality',
        { dmStickyPersonalityId: 'erin', replyToPersonalityId: 'bob' },
        ['bob'],
        { bob: 'reply' },
        null,
      ],
      ['an activation is passed anyway', { activatedPersonalityId: 'dana' }, [], {}, null],
    ])('when %s', (_case, overrides, personalityIds, triggers, newDmSticky) => {
      const decision = decideAddressees({ ...dm, ...overrides });
      expect(decision.personalityIds).toEqual(personalityIds);
      expect(decision.triggers).toEqual(triggers);
      expect(decision.newDmSticky).toBe(newDmSticky);
    });

    it('makes sticky the first mentioned personality that answers', () => {
      const decision = decideAddressees({
        ...dm,
        replyToPersonalityId: 'carol',
        mentioned: ids('alice', 'bob'),
        maxPersonalities: 1,
      });
      expect(decision.personalityIds).toEqual(['carol']);
      expect(decision.newDmSticky).toBeNull();
    });
  });

  describe('when canUse refuses a personality', () => {
    const canUse = (id: string) => !id.startsWith('private');

    it.each<[string, Partial<AddressingInput>, string[]]>([
      ['the reply target', { replyToPersonalityId: 'private-a', mentioned: ids('bob') }, ['bob']],
      ['the activated personality', { activatedPersonalityId: 'private-a' }, []],
      ['the DM sticky personality', { isDm: true, dmStickyPersonalityId: 'private-a' }, []],
      ['a mentioned personality', { mentioned: ids('private-a', 'bob') }, ['bob']],
    ])('skips %s', (_case, overrides, personalityIds) => {
      expect(decideAddressees({ ...base, ...overrides, canUse }).personalityIds).toEqual(personalityIds);
    });

    it('falls back to the activation when the reply target is refused', () => {
      const decision = decideAddressees({
        ...base,
        replyToPersonalityId: 'private-a',
        activatedPersonalityId: 'dana',
        canUse,
      });
      expect(decision.triggers).toEqual({ dana: 'activation' });
    });
  });

  describe('when maxPersonalities is not a positive integer', () => {
    it.each([0, -1, 1.5, Number.NaN])('throws for %d', (maxPersonalities) => {
      expect(() => decideAddressees({ ...base, maxPersonalities })).toThrow(RangeError);
    });
  });
});

describe('server aliases', () => {
  const SPEAKER = '1';
  const mine = { id: 'mine', ownerId: SPEAKER, visibility: 'private' as const };
  const publicGuide = { id: 'public', ownerId: '2', visibility: 'public' as const };
  const alice = { id: 'alice', ownerId: '3', visibility: 'public' as const };
  const secret = { id: 'secret', ownerId: '3', visibility: 'private' as const };
  const byId = new Map([alice, secret].map((personality) => [personality.id, personality]));

  describe('findAliasedNames', () => {
    it.each<[string, Map<string, { ownerId: string }>, Array<[string, string]>]>([
      ['an alias no global name shares', new Map(), [['guide', 'alice']]],
      [
        'an alias over a public personality of that name',
        new Map([['guide', publicGuide]]),
        [['guide', 'alice']],
      ],
      ['not an alias the speaker’s own personality is named', new Map([['guide', mine]]), []],
    ])('takes %s', (_, resolved, expected) => {
      expect([...findAliasedNames(['guide', 'bob'], resolved, { guide: 'alice' }, SPEAKER)]).toEqual(
        expected,
      );
    });

    it('ignores names that are no alias, inherited object keys included', () => {
      expect(findAliasedNames(['constructor', 'bob'], new Map(), { guide: 'alice' }, SPEAKER).size).toBe(0);
    });
  });

  describe('applyAliases', () => {
    it('replaces the public meaning of an aliased name', () => {
      const lookup = applyAliases(
        new Map([['guide', publicGuide]]),
        new Map([['guide', 'alice']]),
        byId,
        SPEAKER,
      );
      expect(lookup.get('guide')).toBe(alice);
    });

    it.each([
      ['a deleted personality', 'gone'],
      ['a private personality of someone else', 'secret'],
    ])('keeps the global meaning when the alias names %s', (_, target) => {
      const lookup = applyAliases(
        new Map([['guide', publicGuide]]),
        new Map([['guide', target]]),
        byId,
        SPEAKER,
      );
      expect(lookup.get('guide')).toBe(publicGuide);
    });
  });
});
