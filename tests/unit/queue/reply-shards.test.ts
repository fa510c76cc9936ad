import { describe, expect, it } from 'vitest';
import {
  buildReplyShardPrefixes,
  DEFAULT_MASTER_SLOT_RANGES,
  findMasterRange,
  findReplyShard,
  splitConcurrency,
} from '../../../src/queue/reply-shards.js';
import { computeKeySlot } from '../../../src/redis/key-slot.js';

describe('buildReplyShardPrefixes', () => {
  describe('when there is one shard', () => {
    it("is today's queue prefix, so nothing moves", () => {
      expect(buildReplyShardPrefixes('chorus', 1)).toEqual(['{chorus}']);
    });
  });

  describe('when the prefix is the default', () => {
    // The documented tags (docs/fair-queue.md, Shards).
    it('puts the three shards in the three masters’ slot ranges', () => {
      const prefixes = buildReplyShardPrefixes('chorus', 3);
      expect(prefixes).toEqual(['{chorus}', '{chorus:replies-3}', '{chorus:replies-1}']);
      expect(prefixes.map((prefix) => computeKeySlot(prefix))).toEqual([2053, 7960, 16218]);
      const [[, last0], [first1, last1], [first2]] = DEFAULT_MASTER_SLOT_RANGES as [
        readonly [number, number],
        readonly [number, number],
        readonly [number, number],
      ];
      expect(computeKeySlot(prefixes[0]!)).toBeLessThanOrEqual(last0);
      expect(computeKeySlot(prefixes[1]!)).toBeGreaterThanOrEqual(first1);
      expect(computeKeySlot(prefixes[1]!)).toBeLessThanOrEqual(last1);
      expect(computeKeySlot(prefixes[2]!)).toBeGreaterThanOrEqual(first2);
    });
  });

  describe.each(['chorus', 'test-6f1c', 'bench', 'a'])('when the prefix is %s', (prefix) => {
    it('keeps shard 0 on {<prefix>} and gives each of 3 shards its own master range', () => {
      const prefixes = buildReplyShardPrefixes(prefix, 3);
      expect(prefixes[0]).toBe(`{${prefix}}`);
      const ranges = prefixes.map((shard) => findMasterRange(computeKeySlot(shard)));
      expect(new Set(ranges).size).toBe(3);
    });

    it('gives more shards distinct tags that cycle over the ranges', () => {
      const prefixes = buildReplyShardPrefixes(prefix, 7);
      expect(new Set(prefixes).size).toBe(7);
      const ranges = prefixes.map((shard) => findMasterRange(computeKeySlot(shard)));
      for (let shard = 3; shard < 7; shard += 1) expect(ranges[shard]).toBe(ranges[shard - 3]);
    });

    it('keeps the first shards when more are added', () => {
      expect(buildReplyShardPrefixes(prefix, 5).slice(0, 3)).toEqual(buildReplyShardPrefixes(prefix, 3));
    });
  });
});

describe('findReplyShard', () => {
  it('sends every job of one user to one shard', () => {
    expect(findReplyShard('123456789012345678', 3)).toBe(findReplyShard('123456789012345678', 3));
  });

  it('sends everyone to shard 0 when there is one shard', () => {
    for (let user = 0; user < 50; user += 1) expect(findReplyShard(`${user}`, 1)).toBe(0);
  });

  it('spreads many users about evenly over the shards', () => {
    const perShard = [0, 0, 0];
    for (let user = 0; user < 3000; user += 1) {
      const shard = findReplyShard(String(100_000_000_000_000_000n + BigInt(user) * 4_194_304n), 3);
      perShard[shard] = (perShard[shard] ?? 0) + 1;
    }
    for (const count of perShard) expect(count).toBeGreaterThan(850);
  });
});

describe('splitConcurrency', () => {
  it.each([
    [50, 1, [50]],
    [50, 3, [17, 17, 16]],
    [3, 3, [1, 1, 1]],
    [1, 3, [1, 1, 1]],
  ])('shares %i over %i shards as %j', (total, count, expected) => {
    expect(splitConcurrency(total, count)).toEqual(expected);
  });
});
