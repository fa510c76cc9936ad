/**
 * ChainLinkRepository against real Redis: a personality chain's link is decided once per reply and named
 * personality, and a channel starts at most its budget of links per window, atomically.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChainLinkRepository } from '../../../src/queue/index.js';
import { buildChainBudgetKey, buildChainLinkKey } from '../../../src/queue/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const redis = createTestRedis();
const CHANNEL = '200000000000000001';
const OTHER_CHANNEL = '200000000000000002';
const ALICE = 'alice0000001';
const BOB = 'bob000000001';
let prefix: string;
let nextSource = 0;

beforeEach(() => {
  prefix = createTestPrefix();
});

afterEach(async () => {
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

/** A link from a fresh reply of Alice's naming Bob. */
function buildLink(channelId = CHANNEL) {
  nextSource += 1;
  return {
    channelId,
    sourceMessageId: String(400_000_000_000_000_000n + BigInt(nextSource)),
    speakerId: ALICE,
    targetId: BOB,
  };
}

/** The part of a key Redis Cluster hashes: the first `{…}`. */
function hashTag(key: string): string | undefined {
  return /\{([^}]*)\}/.exec(key)?.[1];
}

describe('ChainLinkRepository', () => {
  describe('when a reply names a personality in several of its messages', () => {
    it('starts one link', async () => {
      const links = new ChainLinkRepository(redis, { prefix, perWindow: 10 });
      const link = buildLink();
      expect(await links.claim(link)).toBe('claimed');
      expect(await links.claim(link)).toBe('decided');
      // The same reply naming another personality is another link.
      expect(await links.claim({ ...link, targetId: 'carol0000001' })).toBe('claimed');
    });

    it('starts one link when two gateway replicas claim it at once', async () => {
      const links = new ChainLinkRepository(redis, { prefix, perWindow: 10 });
      const link = buildLink();
      const results = await Promise.all(Array.from({ length: 8 }, () => links.claim(link)));
      expect(results.filter((result) => result === 'claimed')).toHaveLength(1);
      expect(await redis.get(buildChainBudgetKey(prefix, CHANNEL))).toBe('1');
    });
  });

  describe('when the channel’s budget is spent', () => {
    it('refuses further links until the window ends, in that channel only', async () => {
      const links = new ChainLinkRepository(redis, { prefix, perWindow: 3, windowMs: 400 });
      const results = [];
      for (let index = 0; index < 5; index += 1) results.push(await links.claim(buildLink()));
      expect(results).toEqual(['claimed', 'claimed', 'claimed', 'budget-spent', 'budget-spent']);
      expect(await links.claim(buildLink(OTHER_CHANNEL))).toBe('claimed');
      await new Promise((resolve) => setTimeout(resolve, 450));
      expect(await links.claim(buildLink())).toBe('claimed');
    });

    it('keeps a refused link decided (a later message of the reply does not retry it)', async () => {
      const links = new ChainLinkRepository(redis, { prefix, perWindow: 1 });
      await links.claim(buildLink());
      const refused = buildLink();
      expect(await links.claim(refused)).toBe('budget-spent');
      expect(await links.claim(refused)).toBe('decided');
    });

    it('counts concurrent claims exactly', async () => {
      const links = new ChainLinkRepository(redis, { prefix, perWindow: 5 });
      const results = await Promise.all(Array.from({ length: 20 }, () => links.claim(buildLink())));
      expect(results.filter((result) => result === 'claimed')).toHaveLength(5);
    });

    it('starts none with a budget of 0', async () => {
      const links = new ChainLinkRepository(redis, { prefix, perWindow: 0 });
      expect(await links.claim(buildLink())).toBe('budget-spent');
    });
  });

  describe('its keys', () => {
    it('expire: the claim after claimTtlMs, the budget after its window', async () => {
      const links = new ChainLinkRepository(redis, {
        prefix,
        perWindow: 5,
        windowMs: 60_000,
        claimTtlMs: 90_000,
      });
      const link = buildLink();
      await links.claim(link);
      const claimTtl = await redis.pttl(buildChainLinkKey(prefix, CHANNEL, link.sourceMessageId, ALICE, BOB));
      const budgetTtl = await redis.pttl(buildChainBudgetKey(prefix, CHANNEL));
      expect(claimTtl).toBeGreaterThan(80_000);
      expect(claimTtl).toBeLessThanOrEqual(90_000);
      expect(budgetTtl).toBeGreaterThan(50_000);
      expect(budgetTtl).toBeLessThanOrEqual(60_000);
    });

    it('share the channel’s slot', () => {
      const keys = [
        buildChainLinkKey(prefix, CHANNEL, '400000000000000001', ALICE, BOB),
        buildChainBudgetKey(prefix, CHANNEL),
      ];
      expect(keys.map(hashTag)).toEqual([`c:${CHANNEL}`, `c:${CHANNEL}`]);
    });
  });
});
