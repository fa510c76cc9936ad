/** Interaction claims against real Redis: the first replica wins, the claim expires. */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InteractionClaims } from '../../../src/commands/interaction-claims.js';
import { buildInteractionClaimKey } from '../../../src/commands/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

describe('InteractionClaims', () => {
  const prefix = createTestPrefix();
  let redis: Redis;

  beforeAll(() => {
    redis = createTestRedis();
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });

  describe('when several replicas claim one interaction at once', () => {
    it('lets exactly one through', async () => {
      const claims = new InteractionClaims(redis, { prefix });
      const results = await Promise.all(
        ['a', 'b', 'c', 'd'].map((replica) => claims.claim('1500000000000000001', replica)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = ['a', 'b', 'c', 'd'][results.indexOf(true)];
      expect(await redis.get(buildInteractionClaimKey(prefix, '1500000000000000001'))).toBe(winner);
    });
  });

  describe('when claims are for different interactions', () => {
    it('grants each', async () => {
      const claims = new InteractionClaims(redis, { prefix });
      expect(await claims.claim('1500000000000000002', 'a')).toBe(true);
      expect(await claims.claim('1500000000000000003', 'a')).toBe(true);
    });
  });

  describe('when the claim has expired', () => {
    it('can be claimed again', async () => {
      const claims = new InteractionClaims(redis, { prefix, ttlMs: 30 });
      expect(await claims.claim('1500000000000000004', 'a')).toBe(true);
      expect(await redis.pttl(buildInteractionClaimKey(prefix, '1500000000000000004'))).toBeLessThanOrEqual(
        30,
      );
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(await claims.claim('1500000000000000004', 'b')).toBe(true);
    });
  });
});
