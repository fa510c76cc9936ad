/**
 * ActivationRepository against real Redis: one activation per channel, thread/parent lookup, bulk removal,
 * and forgetting who activated (the per-user index and the compare-and-set rewrite).
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisBatch } from '../../../src/redis/index.js';
import { ActivationRepository } from '../../../src/state/index.js';
import { buildGuildActivationsKey, buildUserActivationsKey } from '../../../src/state/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const redis = createTestRedis();
const GUILD = '300000000000000001';
const OTHER_GUILD = '300000000000000002';
const USER = '100000000000000001';
const OTHER_USER = '100000000000000002';

let prefix: string;
let repository: ActivationRepository;

beforeEach(() => {
  prefix = createTestPrefix();
  repository = new ActivationRepository(redis, { prefix, now: () => 1_700_000_000_000 });
});

afterEach(async () => {
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

function activate(channelId: string, personalityId: string, guildId = GUILD, activatedBy = USER) {
  return repository.activate({ guildId, channelId, personalityId, activatedBy });
}

/** The channels in `userId`'s index of the activations they made, sorted. */
async function indexedFor(userId: string): Promise<string[]> {
  return (await redis.smembers(buildUserActivationsKey(prefix, userId))).sort();
}

describe('ActivationRepository', () => {
  describe('activate', () => {
    it('replaces the channel’s previous activation', async () => {
      await activate('200000000000000001', 'alicepersona');
      await activate('200000000000000001', 'bobpersona1');
      expect(await repository.fetchForChannel('200000000000000001')).toBe('bobpersona1');
      expect(await repository.listForGuild(GUILD)).toEqual([
        {
          guildId: GUILD,
          channelId: '200000000000000001',
          personalityId: 'bobpersona1',
          activatedBy: USER,
          activatedAt: 1_700_000_000_000,
        },
      ]);
      // The replaced personality no longer counts this channel.
      expect(await repository.removePersonality('alicepersona')).toBe(0);
      expect(await repository.fetchForChannel('200000000000000001')).toBe('bobpersona1');
    });
  });

  describe('fetchForChannels', () => {
    it('answers a thread and its parent at once', async () => {
      await activate('200000000000000001', 'parentpersona');
      const found = await repository.fetchForChannels(['200000000000000009', '200000000000000001']);
      expect(found).toEqual(new Map([['200000000000000001', 'parentpersona']]));
      await activate('200000000000000009', 'threadpersona');
      const both = await repository.fetchForChannels(['200000000000000009', '200000000000000001']);
      expect(both.get('200000000000000009')).toBe('threadpersona');
      expect(both.get('200000000000000001')).toBe('parentpersona');
    });

    it('answers alike in a caller’s batch', async () => {
      await activate('200000000000000001', 'parentpersona');
      const [thread, channel] = await RedisBatch.together((batch) =>
        Promise.all([
          repository.fetchForChannels(['200000000000000009', '200000000000000001'], batch),
          repository.fetchForChannel('200000000000000001', batch),
        ]),
      );
      expect(thread).toEqual(new Map([['200000000000000001', 'parentpersona']]));
      expect(channel).toBe('parentpersona');
    });
  });

  describe('deactivate', () => {
    it('removes it once', async () => {
      await activate('200000000000000001', 'alicepersona');
      expect(await repository.deactivate('200000000000000001')).toBe(true);
      expect(await repository.deactivate('200000000000000001')).toBe(false);
      expect(await repository.fetchForChannel('200000000000000001')).toBeNull();
      expect(await repository.listForGuild(GUILD)).toEqual([]);
    });
  });

  describe('removeGuild', () => {
    it('removes every activation of that guild only', async () => {
      await activate('200000000000000001', 'alicepersona');
      await activate('200000000000000002', 'bobpersona1');
      await activate('200000000000000003', 'alicepersona', OTHER_GUILD);
      expect(await repository.removeGuild(GUILD)).toBe(2);
      expect(await repository.fetchForChannels(['200000000000000001', '200000000000000002'])).toEqual(
        new Map(),
      );
      expect(await repository.fetchForChannel('200000000000000003')).toBe('alicepersona');
    });
  });

  describe('deactivateChannels', () => {
    it('removes the activations of those channels, with their index entries, and counts them', async () => {
      await activate('200000000000000001', 'alicepersona');
      await activate('200000000000000002', 'bobpersona1');
      await activate('200000000000000003', 'alicepersona');
      expect(
        await repository.deactivateChannels([
          '200000000000000001',
          '200000000000000002',
          '200000000000000009',
        ]),
      ).toBe(2);
      expect((await repository.listForGuild(GUILD)).map((activation) => activation.channelId)).toEqual([
        '200000000000000003',
      ]);
      expect(await redis.smembers(buildGuildActivationsKey(prefix, GUILD))).toEqual(['200000000000000003']);
    });
  });

  describe('removePersonality', () => {
    it('removes its activations everywhere', async () => {
      await activate('200000000000000001', 'alicepersona');
      await activate('200000000000000003', 'alicepersona', OTHER_GUILD);
      await activate('200000000000000002', 'bobpersona1');
      expect(await repository.removePersonality('alicepersona')).toBe(2);
      expect((await repository.listForGuild(GUILD)).map((activation) => activation.personalityId)).toEqual([
        'bobpersona1',
      ]);
      expect(await repository.listForGuild(OTHER_GUILD)).toEqual([]);
    });
  });

  describe('the index of who activated', () => {
    it('holds only the channels where the user’s activation still stands', async () => {
      await activate('200000000000000001', 'alicepersona');
      await activate('200000000000000002', 'alicepersona');
      await activate('200000000000000003', 'bobpersona1');
      await activate('200000000000000004', 'bobpersona1', OTHER_GUILD);
      await activate('200000000000000005', 'carolpersona');
      expect(await indexedFor(USER)).toEqual([
        '200000000000000001',
        '200000000000000002',
        '200000000000000003',
        '200000000000000004',
        '200000000000000005',
      ]);
      // Replaced by someone else, deactivated, removed with its personality, removed with its guild.
      await activate('200000000000000001', 'alicepersona', GUILD, OTHER_USER);
      await repository.deactivate('200000000000000002');
      await repository.removePersonality('bobpersona1');
      expect(await indexedFor(USER)).toEqual(['200000000000000005']);
      expect(await indexedFor(OTHER_USER)).toEqual(['200000000000000001']);
      await repository.removeGuild(GUILD);
      expect(await redis.exists(buildUserActivationsKey(prefix, USER))).toBe(0);
      expect(await redis.exists(buildUserActivationsKey(prefix, OTHER_USER))).toBe(0);
    });
  });

  describe('forgetActivator', () => {
    it('takes the user’s id off the activations they made, keeps the activations, and drops the index', async () => {
      await activate('200000000000000001', 'alicepersona');
      await activate('200000000000000002', 'bobpersona1', OTHER_GUILD);
      await activate('200000000000000003', 'bobpersona1', GUILD, OTHER_USER);

      expect(await repository.forgetActivator(USER)).toBe(2);

      expect(await repository.listForGuild(GUILD)).toEqual([
        {
          guildId: GUILD,
          channelId: '200000000000000001',
          personalityId: 'alicepersona',
          activatedBy: null,
          activatedAt: 1_700_000_000_000,
        },
        {
          guildId: GUILD,
          channelId: '200000000000000003',
          personalityId: 'bobpersona1',
          activatedBy: OTHER_USER,
          activatedAt: 1_700_000_000_000,
        },
      ]);
      expect((await repository.listForGuild(OTHER_GUILD))[0]?.activatedBy).toBeNull();
      expect(await repository.fetchForChannel('200000000000000002')).toBe('bobpersona1');
      expect(await redis.exists(buildUserActivationsKey(prefix, USER))).toBe(0);
      expect(await repository.forgetActivator(USER)).toBe(0);
    });

    it('leaves alone an activation another user made since, even through a stale index entry', async () => {
      await activate('200000000000000001', 'alicepersona');
      await activate('200000000000000001', 'bobpersona1', GUILD, OTHER_USER);
      // A crash or a race can leave the entry behind: the rewrite checks the record itself.
      await redis.sadd(buildUserActivationsKey(prefix, USER), '200000000000000001', '200000000000000042');

      expect(await repository.forgetActivator(USER)).toBe(0);

      expect(await repository.listForGuild(GUILD)).toEqual([
        expect.objectContaining({ personalityId: 'bobpersona1', activatedBy: OTHER_USER }),
      ]);
      expect(await redis.exists(buildUserActivationsKey(prefix, USER))).toBe(0);
      expect(await indexedFor(OTHER_USER)).toEqual(['200000000000000001']);
    });

    it('leaves a forgotten activation replaceable and removable like any other', async () => {
      await activate('200000000000000001', 'alicepersona');
      await repository.forgetActivator(USER);
      await activate('200000000000000001', 'bobpersona1', GUILD, OTHER_USER);
      expect(await indexedFor(OTHER_USER)).toEqual(['200000000000000001']);
      expect(await repository.deactivate('200000000000000001')).toBe(true);
      expect(await redis.exists(buildUserActivationsKey(prefix, OTHER_USER))).toBe(0);
    });
  });

  describe('when an index entry points at nothing (a crash between writes)', () => {
    it('ignores it and removes it lazily', async () => {
      await redis.sadd(buildGuildActivationsKey(prefix, GUILD), '200000000000000042');
      expect(await repository.listForGuild(GUILD)).toEqual([]);
      expect(await redis.exists(buildGuildActivationsKey(prefix, GUILD))).toBe(0);
    });
  });
});
