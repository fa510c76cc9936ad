/** The regeneration → message pointers against real Redis. */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildRegenerationKey } from '../../../src/commands/keys.js';
import { RegenerationRepository } from '../../../src/commands/regeneration-repository.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

describe('RegenerationRepository', () => {
  const prefix = createTestPrefix();
  let redis: Redis;

  beforeAll(() => {
    redis = createTestRedis();
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });

  describe('when a regeneration was recorded', () => {
    it('maps it to the message it re-answers, expiring with the message index', async () => {
      const repository = new RegenerationRepository(redis, { prefix });
      await repository.record('1600000000000000002', '1600000000000000001');
      expect(await repository.fetchSource('1600000000000000002')).toBe('1600000000000000001');
      const ttl = await redis.pttl(buildRegenerationKey(prefix, '1600000000000000002'));
      expect(ttl).toBeGreaterThan(6 * 24 * 3600 * 1000);
    });
  });

  describe('when the id is a plain message', () => {
    it('returns null', async () => {
      expect(
        await new RegenerationRepository(redis, { prefix }).fetchSource('1600000000000000009'),
      ).toBeNull();
    });
  });
});
