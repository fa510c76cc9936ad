/**
 * The test support's key cleanup on a Redis Cluster: SCAN answers for one node only, so every master must be
 * scanned, or the keys of the other slots outlive the test.
 */
import { Cluster } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { connectTestRedis, createTestPrefix, deleteKeysWithPrefix } from '../support/redis.js';

describe('deleteKeysWithPrefix', () => {
  const redis = connectTestRedis();

  afterAll(() => redis.disconnect());

  describe('when the keys of a prefix are spread over every master', () => {
    it('deletes all of them, and no other key', async () => {
      expect(redis).toBeInstanceOf(Cluster);
      const prefix = createTestPrefix();
      const other = createTestPrefix();
      const keys = Array.from({ length: 60 }, (_, index) => `${prefix}:spread:{u:${index}}:k`);
      for (const key of [...keys, `{${prefix}}:replies:1`]) await redis.set(key, '1');
      await redis.set(`${other}:kept`, '1');
      const masters = (redis as Cluster).nodes('master');
      const perMaster = await Promise.all(masters.map((node) => node.dbsize()));
      expect(perMaster.filter((count) => count > 0).length).toBe(masters.length);

      expect(await deleteKeysWithPrefix(redis, prefix)).toBe(keys.length + 1);
      for (const key of keys) expect(await redis.exists(key)).toBe(0);
      expect(await redis.get(`${other}:kept`)).toBe('1');
      await deleteKeysWithPrefix(redis, other);
    });
  });
});
