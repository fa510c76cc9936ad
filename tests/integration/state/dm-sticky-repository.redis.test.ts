/** DmStickyRepository against real Redis: set, fetch, clear, and the lazy drop of a deleted personality. */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisBatch } from '../../../src/redis/index.js';
import { DmStickyRepository, PersonalityRepository } from '../../../src/state/index.js';
import { buildDmStickyKey } from '../../../src/state/keys.js';
import { buildTestDraft } from '../../support/personality.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const redis = createTestRedis();
const OWNER = '100000000000000001';
const USER = '100000000000000002';
let prefix: string;

beforeEach(() => {
  prefix = createTestPrefix();
});

afterEach(async () => {
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

describe('DmStickyRepository', () => {
  it('remembers the user’s DM personality until cleared', async () => {
    const personalities = new PersonalityRepository(redis, { prefix });
    const alice = await personalities.create(buildTestDraft(OWNER, 'Alice'));
    const sticky = new DmStickyRepository(redis, { prefix });
    await sticky.set(USER, alice.id);
    expect(await sticky.fetch(USER)).toBe(alice.id);
    expect(await redis.exists(buildDmStickyKey(prefix, USER))).toBe(1);
    expect(await sticky.clear(USER)).toBe(true);
    expect(await sticky.fetch(USER)).toBeNull();
  });

  describe('when the personality no longer exists', () => {
    it('answers null and drops the pointer', async () => {
      const sticky = new DmStickyRepository(redis, { prefix });
      await sticky.set(USER, 'zzzzzzzz0000000000001');
      expect(await sticky.fetch(USER)).toBeNull();
      expect(await redis.exists(buildDmStickyKey(prefix, USER))).toBe(0);
    });

    it('does the same when the pointer was read in a batch', async () => {
      const sticky = new DmStickyRepository(redis, { prefix });
      await sticky.set(USER, 'zzzzzzzz0000000000001');
      expect(await RedisBatch.together((batch) => sticky.fetch(USER, batch))).toBeNull();
      expect(await redis.exists(buildDmStickyKey(prefix, USER))).toBe(0);
    });
  });
});
