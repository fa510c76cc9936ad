import { describe, expect, it } from 'vitest';
import {
  type BucketState,
  computeBucketFreeAt,
  computeBucketRoom,
  DefaultBucketDefaults,
  parseBucketState,
} from '../../../src/webhooks/bucket-state.js';

const NOW = 1_000_000;
const MARGIN = 50;

function bucket(overrides: Partial<BucketState> = {}): BucketState {
  return { limit: 5, windowMs: 2000, blockedUntil: 0, slots: [], ...overrides };
}

describe('parseBucketState', () => {
  it.each<{ name: string; hash: Record<string, string>; expected: BucketState }>([
    { name: 'an empty hash as the defaults', hash: {}, expected: bucket() },
    {
      name: 'learned fields and slots',
      hash: { limit: '3', windowMs: '200', blockedUntil: '1000500', slots: '999900,1000000' },
      expected: bucket({ limit: 3, windowMs: 200, blockedUntil: 1_000_500, slots: [999_900, 1_000_000] }),
    },
    {
      name: 'garbled fields as the defaults',
      hash: { limit: 'x', windowMs: '-5', blockedUntil: 'soon', slots: 'a,,12' },
      expected: bucket({ slots: [12] }),
    },
    {
      name: 'slots out of order, sorted',
      hash: { slots: '30,10,20' },
      expected: bucket({ slots: [10, 20, 30] }),
    },
  ])('reads $name', ({ hash, expected }) => {
    expect(parseBucketState(hash, DefaultBucketDefaults)).toEqual(expected);
  });
});

describe('computeBucketFreeAt', () => {
  it.each([
    { name: 'an untouched bucket frees now', state: bucket(), expected: NOW },
    {
      name: 'a bucket with room frees now',
      state: bucket({ slots: [NOW - 100, NOW - 50] }),
      expected: NOW,
    },
    {
      name: 'a full window frees when its oldest slot leaves window + margin',
      state: bucket({ slots: [NOW - 1000, NOW - 900, NOW - 800, NOW - 700, NOW - 600] }),
      expected: NOW - 1000 + 2000 + MARGIN,
    },
    {
      name: 'slots older than window + margin no longer count',
      state: bucket({ slots: [NOW - 3000, NOW - 2600, NOW - 2100, NOW - 2051, NOW - 10] }),
      expected: NOW,
    },
    {
      name: 'a block from Discord wins over room',
      state: bucket({ blockedUntil: NOW + 700 }),
      expected: NOW + 700,
    },
    {
      name: 'a slot reserved in the future keeps order',
      state: bucket({ slots: [NOW + 300] }),
      expected: NOW + 300,
    },
    {
      name: 'a learned small window',
      state: bucket({ limit: 2, windowMs: 200, slots: [NOW - 100, NOW - 20] }),
      expected: NOW - 100 + 200 + MARGIN,
    },
  ])('$name', ({ state, expected }) => {
    expect(computeBucketFreeAt(state, NOW, MARGIN)).toBe(expected);
  });
});

describe('computeBucketRoom', () => {
  it.each([
    { name: 'all of it when untouched', state: bucket(), expected: 5 },
    { name: 'what the live slots leave', state: bucket({ slots: [NOW - 10, NOW + 20] }), expected: 3 },
    { name: 'none while blocked', state: bucket({ blockedUntil: NOW + 1 }), expected: 0 },
    { name: 'none when over-full', state: bucket({ limit: 1, slots: [NOW - 5, NOW] }), expected: 0 },
  ])('is $name', ({ state, expected }) => {
    expect(computeBucketRoom(state, NOW, MARGIN)).toBe(expected);
  });
});
