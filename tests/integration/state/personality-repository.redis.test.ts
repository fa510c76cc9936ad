/**
 * PersonalityRepository against real Redis: atomic per-owner name uniqueness, name resolution rules (own
 * first, oldest public, private invisible), the public catalog and its self-repair.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChorusErrorCode, UserFacingError } from '../../../src/errors/index.js';
import { RedisBatch } from '../../../src/redis/index.js';
import {
  ActivationRepository,
  DmStickyRepository,
  normalizePersonalityName,
  type PersonalityDraft,
  PersonalityRepository,
  tryParsePersonalityOwner,
} from '../../../src/state/index.js';
import {
  buildCatalogEntriesKey,
  buildPersonalitiesKey,
  buildSharedPersonalitiesKey,
} from '../../../src/state/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { spyOnSocketWrites } from '../../support/socket-writes.js';

const redis = createTestRedis();
const ALICE_OWNER = '100000000000000001';
const BOB_OWNER = '100000000000000002';
const CAROL = '100000000000000003';

let prefix: string;
let now: number;
let repository: PersonalityRepository;

beforeEach(() => {
  prefix = createTestPrefix();
  now = Date.UTC(2025, 0, 1);
  // Each create is one millisecond later than the previous: "oldest" is creation order.
  repository = new PersonalityRepository(redis, { prefix, now: () => (now += 1) });
});

afterEach(async () => {
  vi.restoreAllMocks();
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

function draft(overrides: Partial<PersonalityDraft> = {}): PersonalityDraft {
  return {
    ownerId: ALICE_OWNER,
    name: 'Alice',
    visibility: 'public',
    systemPrompt: 'You are Alice.',
    avatarUrl: null,
    provider: 'default',
    model: 'stub-model',
    temperature: null,
    ...overrides,
  };
}

async function expectUserFacing(promise: Promise<unknown>, code: ChorusErrorCode): Promise<UserFacingError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UserFacingError);
  expect((error as UserFacingError).code).toBe(code);
  return error as UserFacingError;
}

describe('PersonalityRepository', () => {
  describe('create', () => {
    it('stores it under an id that encodes the owner', async () => {
      const alice = await repository.create(draft({ aliases: ['Al'] }));
      expect(alice.id).toMatch(/^[a-z][a-z0-9]{20}$/);
      expect(tryParsePersonalityOwner(alice.id)).toBe(ALICE_OWNER);
      expect(await repository.fetchById(alice.id)).toEqual(alice);
      expect(await repository.countByOwner(ALICE_OWNER)).toBe(1);
    });

    describe('when the name or an alias clashes with the owner’s names', () => {
      it.each([
        ['the same name in another case', { name: 'ALICE' }, 'ALICE'],
        ['a name equal to an alias', { name: 'al' }, 'al'],
        ['an alias equal to a name', { name: 'Other', aliases: ['  alice '] }, 'alice'],
      ])('refuses %s, naming the clash', async (_case, overrides, clash) => {
        await repository.create(draft({ aliases: ['Al'] }));
        const error = await expectUserFacing(repository.create(draft(overrides)), ChorusErrorCode.Conflict);
        expect(error.message).toContain(`"${clash.trim()}"`);
        expect(await repository.countByOwner(ALICE_OWNER)).toBe(1);
      });

      it('lets another owner use the name', async () => {
        await repository.create(draft());
        await expect(repository.create(draft({ ownerId: BOB_OWNER }))).resolves.toMatchObject({
          name: 'Alice',
        });
      });
    });

    describe('when the owner already has the most personalities allowed', () => {
      it('refuses another with an error naming the cap, and lets others and edits through', async () => {
        const capped = new PersonalityRepository(redis, { prefix, maxPerOwner: 3 });
        const owned = [];
        for (const name of ['One', 'Two', 'Three']) owned.push(await capped.create(draft({ name })));
        const error = await expectUserFacing(
          capped.create(draft({ name: 'Four' })),
          ChorusErrorCode.Conflict,
        );
        expect(error.message).toBe(
          'You already own 3 personalities, the most one person can have. Delete one with /personality remove to make room.',
        );
        expect(await capped.countByOwner(ALICE_OWNER)).toBe(3);
        await expect(capped.update(owned[0]!.id, ALICE_OWNER, { name: 'Uno' })).resolves.toMatchObject({
          name: 'Uno',
        });
        await expect(capped.create(draft({ ownerId: BOB_OWNER, name: 'Four' }))).resolves.toMatchObject({
          name: 'Four',
        });
        await capped.remove(owned[1]!.id, ALICE_OWNER);
        await expect(capped.create(draft({ name: 'Four' }))).resolves.toMatchObject({ name: 'Four' });
      });

      it('never lets concurrent creates pass the cap together', async () => {
        const capped = new PersonalityRepository(redis, { prefix, maxPerOwner: 5 });
        await capped.create(draft({ name: 'First' }));
        const results = await Promise.allSettled(
          Array.from({ length: 12 }, (_, index) => capped.create(draft({ name: `Racer ${index}` }))),
        );
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(4);
        expect(await capped.countByOwner(ALICE_OWNER)).toBe(5);
        expect((await capped.listByOwner(ALICE_OWNER)).length).toBe(5);
      });
    });

    it('creates exactly one of many concurrent creates with one name', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, index) =>
          repository.create(draft({ name: index % 2 ? 'alice' : 'Alice' })),
        ),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      expect(await repository.countByOwner(ALICE_OWNER)).toBe(1);
    });

    it.each([
      ['a name repeated as an alias', { aliases: ['ALICE'] }],
      ['a control character', { name: 'Al\u0000ice' }],
      ['a blank name', { name: '   ' }],
      ['too many aliases', { aliases: Array.from({ length: 11 }, (_, index) => `a${index}`) }],
      ['an invalid temperature', { temperature: 3 }],
    ])('rejects %s as invalid input', async (_case, overrides) => {
      await expectUserFacing(repository.create(draft(overrides)), ChorusErrorCode.InvalidInput);
    });
  });

  describe('resolveNames', () => {
    it('prefers the caller’s own, then the oldest public, and hides others’ private ones', async () => {
      const oldestPublic = await repository.create(draft({ ownerId: BOB_OWNER, name: 'Sage' }));
      await repository.create(draft({ ownerId: CAROL, name: 'Sage' }));
      const ownPrivate = await repository.create(draft({ name: 'Sage', visibility: 'private' }));
      const hidden = await repository.create(
        draft({ ownerId: BOB_OWNER, name: 'Secret', visibility: 'private' }),
      );

      const forAlice = await repository.resolveNames(ALICE_OWNER, ['sage', 'secret', 'nobody']);
      expect(forAlice.get('sage')?.id).toBe(ownPrivate.id);
      expect(forAlice.has('secret')).toBe(false);
      expect(forAlice.has('nobody')).toBe(false);

      const forCarol = await repository.resolveNames(CAROL, ['sage']);
      expect(forCarol.get('sage')?.id).not.toBe(oldestPublic.id);
      const forSomeoneElse = await repository.resolveNames('100000000000000009', ['sage', 'secret']);
      expect(forSomeoneElse.get('sage')?.id).toBe(oldestPublic.id);
      expect(forSomeoneElse.has('secret')).toBe(false);
      expect((await repository.resolveNames(BOB_OWNER, ['secret'])).get('secret')?.id).toBe(hidden.id);
    });

    it('resolves aliases of own and public personalities', async () => {
      const bobs = await repository.create(draft({ ownerId: BOB_OWNER, name: 'Robert', aliases: ['Bobby'] }));
      const mine = await repository.create(
        draft({ name: 'Mine', aliases: ['Mi Ne'], visibility: 'private' }),
      );
      const names = ['Bobby', 'mi  ne'].map(normalizePersonalityName);
      const found = await repository.resolveNames(ALICE_OWNER, names);
      expect(found.get('bobby')?.id).toBe(bobs.id);
      expect(found.get('mi ne')?.id).toBe(mine.id);
    });

    it('answers alike in a caller’s batch, both lookups in the batch’s one write', async () => {
      const mine = await repository.create(draft({ name: 'Mine', visibility: 'private' }));
      const bobs = await repository.create(draft({ ownerId: BOB_OWNER, name: 'Robert' }));
      const writes = spyOnSocketWrites(redis);
      const [found, byId] = await RedisBatch.together((batch) =>
        Promise.all([
          repository.resolveNames(ALICE_OWNER, ['mine', 'robert'], batch),
          repository.fetchManyByIds([mine.id, bobs.id], batch),
        ]),
      );
      expect(writes()).toBe(1);
      expect(found.get('mine')).toEqual(mine);
      expect(found.get('robert')).toEqual(bobs);
      expect(byId).toEqual(
        new Map([
          [mine.id, mine],
          [bobs.id, bobs],
        ]),
      );
    });
  });

  describe('update', () => {
    it('renames, keeping names unique per owner', async () => {
      const alice = await repository.create(draft());
      await repository.create(draft({ name: 'Bob' }));
      await expectUserFacing(
        repository.update(alice.id, ALICE_OWNER, { name: 'BOB' }),
        ChorusErrorCode.Conflict,
      );
      const renamed = await repository.update(alice.id, ALICE_OWNER, {
        name: 'Alicia',
        systemPrompt: 'New.',
      });
      expect(renamed).toMatchObject({
        id: alice.id,
        name: 'Alicia',
        systemPrompt: 'New.',
        createdAt: alice.createdAt,
      });
      // The old name is free again and the new one resolves.
      await expect(repository.create(draft())).resolves.toMatchObject({ name: 'Alice' });
      expect((await repository.resolveNames(CAROL, ['alicia'])).get('alicia')?.id).toBe(alice.id);
    });

    it('lets only the owner change it', async () => {
      const alice = await repository.create(draft());
      await expectUserFacing(
        repository.update(alice.id, BOB_OWNER, { name: 'Mine' }),
        ChorusErrorCode.Forbidden,
      );
      await expectUserFacing(
        repository.update('zzzzzzzz0000000000001', ALICE_OWNER, {}),
        ChorusErrorCode.NotFound,
      );
    });

    it('takes a personality out of public resolution when it becomes private, and back', async () => {
      const alice = await repository.create(draft());
      await repository.update(alice.id, ALICE_OWNER, { visibility: 'private' });
      expect((await repository.resolveNames(CAROL, ['alice'])).size).toBe(0);
      expect((await repository.listPublic({ offset: 0, limit: 10 })).total).toBe(0);
      await repository.update(alice.id, ALICE_OWNER, { visibility: 'public' });
      expect((await repository.resolveNames(CAROL, ['alice'])).get('alice')?.visibility).toBe('public');
    });

    it('keeps a public personality public when a rename is refused', async () => {
      const alice = await repository.create(draft());
      await repository.create(draft({ name: 'Taken', visibility: 'private' }));
      await expectUserFacing(
        repository.update(alice.id, ALICE_OWNER, { name: 'taken', visibility: 'private' }),
        ChorusErrorCode.Conflict,
      );
      expect((await repository.resolveNames(CAROL, ['alice'])).get('alice')?.id).toBe(alice.id);
    });
  });

  describe('aliases', () => {
    it('adds and removes them, unique per owner', async () => {
      const alice = await repository.create(draft());
      await repository.create(draft({ name: 'Bob' }));
      await expectUserFacing(repository.addAlias(alice.id, ALICE_OWNER, 'bob'), ChorusErrorCode.Conflict);
      expect((await repository.addAlias(alice.id, ALICE_OWNER, 'Ally')).aliases).toEqual(['Ally']);
      expect((await repository.resolveNames(CAROL, ['ally'])).get('ally')?.id).toBe(alice.id);
      expect((await repository.removeAlias(alice.id, ALICE_OWNER, 'ALLY')).aliases).toEqual([]);
      expect((await repository.resolveNames(CAROL, ['ally'])).size).toBe(0);
      await expectUserFacing(repository.removeAlias(alice.id, ALICE_OWNER, 'Ally'), ChorusErrorCode.NotFound);
    });
  });

  describe('remove', () => {
    it('drops names, catalog entry and activations; DM pointers clear lazily', async () => {
      const activations = new ActivationRepository(redis, { prefix });
      const sticky = new DmStickyRepository(redis, { prefix });
      const alice = await repository.create(draft({ aliases: ['Al'] }));
      await activations.activate({
        guildId: '300000000000000001',
        channelId: '200000000000000001',
        personalityId: alice.id,
        activatedBy: ALICE_OWNER,
      });
      await sticky.set(CAROL, alice.id);

      await expectUserFacing(repository.remove(alice.id, BOB_OWNER), ChorusErrorCode.Forbidden);
      expect(await repository.remove(alice.id, ALICE_OWNER)).toEqual(alice);
      expect(await repository.fetchById(alice.id)).toBeNull();
      expect((await repository.resolveNames(ALICE_OWNER, ['alice', 'al'])).size).toBe(0);
      expect((await repository.resolveNames(CAROL, ['alice'])).size).toBe(0);
      expect(await activations.fetchForChannel('200000000000000001')).toBeNull();
      expect(await sticky.fetch(CAROL)).toBeNull();
      // The name is free again.
      await expect(repository.create(draft({ name: 'Al' }))).resolves.toBeDefined();
    });
  });

  describe('fetchManyByIds', () => {
    it('returns the personalities of several owners, skipping unknown ids', async () => {
      const alice = await repository.create(draft());
      const bob = await repository.create(draft({ ownerId: BOB_OWNER, name: 'Bob', visibility: 'private' }));
      const found = await repository.fetchManyByIds([alice.id, bob.id, 'zzzzzzzz0000000000001', 'not-an-id']);
      expect([...found.keys()].sort()).toEqual([alice.id, bob.id].sort());
      expect(found.get(bob.id)).toEqual(bob);
    });
  });

  describe('listPublic', () => {
    it('pages public personalities oldest first with the total', async () => {
      const created = [];
      for (const name of ['One', 'Two', 'Three']) created.push(await repository.create(draft({ name })));
      await repository.create(draft({ name: 'Hidden', visibility: 'private' }));
      const page = await repository.listPublic({ offset: 1, limit: 5 });
      expect(page.total).toBe(3);
      expect(page.items.map((item) => item.name)).toEqual(['Two', 'Three']);
    });
  });

  describe('searchForAutocomplete', () => {
    it('lists own matches first, prefix before substring, then public ones', async () => {
      const mineSubstring = await repository.create(draft({ name: 'Big Alpha', visibility: 'private' }));
      const minePrefix = await repository.create(draft({ name: 'Alpha Mine', visibility: 'private' }));
      const publicPrefix = await repository.create(draft({ ownerId: BOB_OWNER, name: 'Alphabet' }));
      const publicSubstring = await repository.create(draft({ ownerId: BOB_OWNER, name: 'The Alpha' }));
      await repository.create(draft({ ownerId: BOB_OWNER, name: 'Alpha Private', visibility: 'private' }));
      await repository.create(draft({ ownerId: BOB_OWNER, name: 'Omega' }));

      const found = await repository.searchForAutocomplete(ALICE_OWNER, 'ALPHA', 25);
      expect(found.map((item) => item.id)).toEqual([
        minePrefix.id,
        mineSubstring.id,
        publicPrefix.id,
        publicSubstring.id,
      ]);
      expect(await repository.searchForAutocomplete(ALICE_OWNER, 'alpha', 2)).toHaveLength(2);
    });

    it('matches aliases and lists each personality once', async () => {
      const alice = await repository.create(draft({ aliases: ['Alicia', 'Ali'] }));
      const found = await repository.searchForAutocomplete(CAROL, 'ali', 25);
      expect(found.map((item) => item.id)).toEqual([alice.id]);
    });
  });

  describe('listByOwner', () => {
    it('lists oldest first and repairs a catalog entry a crash left missing', async () => {
      const first = await repository.create(draft({ name: 'First' }));
      const second = await repository.create(draft({ name: 'Second', visibility: 'private' }));
      await redis.hdel(buildCatalogEntriesKey(prefix), first.id);
      expect((await repository.resolveNames(CAROL, ['first'])).size).toBe(0);

      expect((await repository.listByOwner(ALICE_OWNER)).map((item) => item.id)).toEqual([
        first.id,
        second.id,
      ]);
      expect((await repository.resolveNames(CAROL, ['first'])).get('first')?.id).toBe(first.id);
    });
  });

  describe('nsfw', () => {
    it('defaults to false, reads false from records stored without it, and is editable', async () => {
      const alice = await repository.create(draft());
      expect(alice).toMatchObject({ nsfw: false, editorIds: [], version: 1 });
      // A record from before the fields existed.
      const { nsfw: _nsfw, editorIds: _editors, version: _version, ...legacy } = alice;
      await redis.hset(buildPersonalitiesKey(prefix, ALICE_OWNER), alice.id, JSON.stringify(legacy));
      expect(await repository.fetchById(alice.id)).toMatchObject({ nsfw: false, editorIds: [], version: 0 });
      const marked = await repository.update(alice.id, ALICE_OWNER, { nsfw: true });
      expect(marked).toMatchObject({ nsfw: true, version: 1 });
      // The public projection carries it too.
      expect((await repository.resolveNames(CAROL, ['alice'])).get('alice')?.nsfw).toBe(true);
    });
  });

  describe('context mode', () => {
    it('defaults to room, reads room from records stored without it, and a co-editor may change it', async () => {
      const alice = await repository.create(draft());
      expect(alice.contextMode).toBe('room');
      const { contextMode: _contextMode, ...legacy } = alice;
      await redis.hset(buildPersonalitiesKey(prefix, ALICE_OWNER), alice.id, JSON.stringify(legacy));
      expect((await repository.fetchById(alice.id))?.contextMode).toBe('room');
      await repository.share(alice.id, ALICE_OWNER, BOB_OWNER);
      const personal = await repository.update(alice.id, BOB_OWNER, { contextMode: 'personal' });
      expect(personal.contextMode).toBe('personal');
      expect((await repository.fetchById(alice.id))?.contextMode).toBe('personal');
    });
  });

  describe('fallback models', () => {
    it('default to none, read none from records stored without them, and a co-editor may set them', async () => {
      const alice = await repository.create(draft());
      expect(alice.fallbackModels).toEqual([]);
      const { fallbackModels: _fallbackModels, ...legacy } = alice;
      await redis.hset(buildPersonalitiesKey(prefix, ALICE_OWNER), alice.id, JSON.stringify(legacy));
      expect((await repository.fetchById(alice.id))?.fallbackModels).toEqual([]);
      await repository.share(alice.id, ALICE_OWNER, BOB_OWNER);
      const models = [
        { provider: 'backup', model: 'small' },
        { provider: 'default', model: 'large' },
      ];
      const edited = await repository.update(alice.id, BOB_OWNER, { fallbackModels: models });
      expect(edited.fallbackModels).toEqual(models);
      expect((await repository.fetchById(alice.id))?.fallbackModels).toEqual(models);
      // The public projection carries them too.
      expect((await repository.resolveNames(CAROL, ['alice'])).get('alice')?.fallbackModels).toEqual(models);
    });

    it('refuses more than three, or one listed twice, naming the rule', async () => {
      const alice = await repository.create(draft());
      const model = { provider: 'backup', model: 'small' };
      const other = (name: string) => ({ provider: 'backup', model: name });
      await expect(
        repository.update(alice.id, ALICE_OWNER, {
          fallbackModels: [other('a'), other('b'), other('c'), other('d')],
        }),
      ).rejects.toMatchObject({
        code: ChorusErrorCode.InvalidInput,
        message: 'A personality can have at most 3 fallback models.',
      });
      await expect(
        repository.update(alice.id, ALICE_OWNER, { fallbackModels: [model, model] }),
      ).rejects.toMatchObject({
        code: ChorusErrorCode.InvalidInput,
        message: 'Fallback model backup/small is listed more than once.',
      });
    });
  });
  describe('streamed replies', () => {
    it('defaults to null (the operator decides), reads null from records stored without it, and may be set', async () => {
      const alice = await repository.create(draft());
      expect(alice.streamReplies).toBeNull();
      const { streamReplies: _streamReplies, ...legacy } = alice;
      await redis.hset(buildPersonalitiesKey(prefix, ALICE_OWNER), alice.id, JSON.stringify(legacy));
      expect((await repository.fetchById(alice.id))?.streamReplies).toBeNull();
      const off = await repository.update(alice.id, ALICE_OWNER, { streamReplies: false });
      expect(off.streamReplies).toBe(false);
      const back = await repository.update(alice.id, ALICE_OWNER, { streamReplies: null });
      expect(back.streamReplies).toBeNull();
      expect((await repository.fetchById(alice.id))?.streamReplies).toBeNull();
    });
  });

  describe('sharing', () => {
    it('lets a co-editor edit, but not remove, share, unshare, alias or change visibility', async () => {
      const alice = await repository.create(draft());
      await repository.share(alice.id, ALICE_OWNER, BOB_OWNER);
      const edited = await repository.update(alice.id, BOB_OWNER, { systemPrompt: 'By Bob.', nsfw: true });
      expect(edited).toMatchObject({ ownerId: ALICE_OWNER, systemPrompt: 'By Bob.', nsfw: true });
      expect(await repository.fetchById(alice.id)).toEqual(edited);
      await expectUserFacing(repository.remove(alice.id, BOB_OWNER), ChorusErrorCode.Forbidden);
      await expectUserFacing(repository.share(alice.id, BOB_OWNER, CAROL), ChorusErrorCode.Forbidden);
      await expectUserFacing(repository.unshare(alice.id, BOB_OWNER, BOB_OWNER), ChorusErrorCode.Forbidden);
      await expectUserFacing(repository.addAlias(alice.id, BOB_OWNER, 'Al'), ChorusErrorCode.Forbidden);
      await expectUserFacing(
        repository.update(alice.id, BOB_OWNER, { visibility: 'private' }),
        ChorusErrorCode.Forbidden,
      );
      await expectUserFacing(repository.update(alice.id, CAROL, { name: 'X' }), ChorusErrorCode.Forbidden);
    });

    it('lists shared personalities for the co-editor and forgets them on unshare', async () => {
      const alice = await repository.create(draft({ visibility: 'private' }));
      await repository.share(alice.id, ALICE_OWNER, BOB_OWNER);
      expect((await repository.listSharedWith(BOB_OWNER)).map(({ id }) => id)).toEqual([alice.id]);
      const found = await repository.searchForAutocomplete(BOB_OWNER, 'ali', 25, { shared: true });
      expect(found.map(({ id }) => id)).toEqual([alice.id]);
      // Not offered where using it is meant: it is private.
      expect(await repository.searchForAutocomplete(BOB_OWNER, 'ali', 25)).toEqual([]);
      await repository.unshare(alice.id, ALICE_OWNER, BOB_OWNER);
      expect(await repository.listSharedWith(BOB_OWNER)).toEqual([]);
      expect(await redis.exists(buildSharedPersonalitiesKey(prefix, BOB_OWNER))).toBe(0);
      await expectUserFacing(
        repository.update(alice.id, BOB_OWNER, { name: 'X' }),
        ChorusErrorCode.Forbidden,
      );
      await expectUserFacing(repository.unshare(alice.id, ALICE_OWNER, BOB_OWNER), ChorusErrorCode.NotFound);
    });

    it('caps co-editors and refuses sharing with the owner', async () => {
      const alice = await repository.create(draft());
      await expectUserFacing(
        repository.share(alice.id, ALICE_OWNER, ALICE_OWNER),
        ChorusErrorCode.InvalidInput,
      );
      for (let index = 0; index < 10; index += 1) {
        await repository.share(alice.id, ALICE_OWNER, `2000000000000000${String(index).padStart(2, '0')}`);
      }
      await expectUserFacing(repository.share(alice.id, ALICE_OWNER, CAROL), ChorusErrorCode.Conflict);
    });

    it('takes a forgotten co-editor off every personality shared with them', async () => {
      const alice = await repository.create(draft());
      const bob = await repository.create(draft({ ownerId: BOB_OWNER, name: 'Bobby' }));
      await repository.share(alice.id, ALICE_OWNER, CAROL);
      await repository.share(bob.id, BOB_OWNER, CAROL);
      expect(await repository.forgetEditor(CAROL)).toBe(2);
      const after = await repository.fetchManyByIds([alice.id, bob.id]);
      expect([...after.values()].map(({ editorIds }) => editorIds)).toEqual([[], []]);
      expect(await redis.exists(buildSharedPersonalitiesKey(prefix, CAROL))).toBe(0);
    });
  });

  describe('versioned edits', () => {
    it('refuses an edit of a stale version, naming what changed, and lets the current one win', async () => {
      const alice = await repository.create(draft());
      await repository.share(alice.id, ALICE_OWNER, BOB_OWNER);
      const base = await repository.fetchById(alice.id);
      if (base === null) throw new Error('created personality missing');
      const won = await repository.update(alice.id, ALICE_OWNER, { model: 'other-model' }, { basedOn: base });
      expect(won.version).toBe(base.version + 1);
      const refused = await expectUserFacing(
        repository.update(alice.id, BOB_OWNER, { systemPrompt: 'Stale.' }, { basedOn: base }),
        ChorusErrorCode.Conflict,
      );
      expect(refused.message).toContain('model: "stub-model" → "other-model"');
      expect(await repository.fetchById(alice.id)).toEqual(won);
      // Based on the current version, it goes through.
      await expect(
        repository.update(alice.id, BOB_OWNER, { systemPrompt: 'Fresh.' }, { basedOn: won }),
      ).resolves.toMatchObject({ systemPrompt: 'Fresh.', model: 'other-model', version: won.version + 1 });
    });

    it('lets exactly one of two concurrent edits of one version through', async () => {
      const alice = await repository.create(draft());
      await repository.share(alice.id, ALICE_OWNER, BOB_OWNER);
      const base = await repository.fetchById(alice.id);
      if (base === null) throw new Error('created personality missing');
      const results = await Promise.allSettled([
        repository.update(alice.id, ALICE_OWNER, { systemPrompt: 'From Alice.' }, { basedOn: base }),
        repository.update(alice.id, BOB_OWNER, { systemPrompt: 'From Bob.' }, { basedOn: base }),
      ]);
      const fulfilled = results.filter((result) => result.status === 'fulfilled');
      const rejected = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
      expect(fulfilled).toHaveLength(1);
      expect(rejected).toHaveLength(1);
      expect((rejected[0] as UserFacingError).code).toBe(ChorusErrorCode.Conflict);
      expect((rejected[0] as UserFacingError).message).toContain('prompt: "You are Alice." → "From');
    });
  });
});
