import { describe, expect, it } from 'vitest';
import { buildUserLimitState } from '../../../src/commands/user-limit-state.js';

const limits = { userMaxPending: 5, userRatePerMinute: 6, userBurst: 3 };

describe('buildUserLimitState', () => {
  describe('when the user has no bucket yet', () => {
    it('shows a full burst', () => {
      expect(
        buildUserLimitState({ pendingCount: 0, bucketTokens: null, bucketAt: null }, limits, 1000),
      ).toEqual({
        pending: 0,
        maxPending: 5,
        available: 3,
        burst: 3,
        ratePerMinute: 6,
        retryAfterMs: 0,
      });
    });
  });

  describe('when the bucket is refilling', () => {
    it('adds the tokens refilled since it was written', () => {
      // 6 per minute = one token per 10 s; 0.5 tokens 5 s ago → 1 token now.
      const state = buildUserLimitState(
        { pendingCount: 1, bucketTokens: '0.5', bucketAt: '10000' },
        limits,
        15_000,
      );
      expect(state).toMatchObject({ pending: 1, available: 1, retryAfterMs: 0 });
    });

    it('says when the next message is allowed while empty', () => {
      const state = buildUserLimitState(
        { pendingCount: 0, bucketTokens: '0', bucketAt: '10000' },
        limits,
        12_000,
      );
      expect(state).toMatchObject({ available: 0, retryAfterMs: 8000 });
    });

    it('never exceeds the burst', () => {
      const state = buildUserLimitState(
        { pendingCount: 0, bucketTokens: '2', bucketAt: '0' },
        limits,
        10_000_000,
      );
      expect(state.available).toBe(3);
    });
  });

  describe('when the user has as many pending replies as allowed', () => {
    it('shows nothing available', () => {
      const state = buildUserLimitState({ pendingCount: 5, bucketTokens: null, bucketAt: null }, limits, 0);
      expect(state).toMatchObject({ pending: 5, available: 0 });
    });
  });
});
