import { describe, expect, it } from 'vitest';
import type { ProviderFault } from '../../../src/ai/provider-failure.js';
import { computeBackoffMs, planRetry, type RetryPolicy } from '../../../src/ai/retry-policy.js';

const POLICY: RetryPolicy = {
  maxRetries: 2,
  backoffBaseMs: 500,
  backoffMaxMs: 5_000,
  maxRetryAfterMs: 20_000,
};
const constant = (value: number) => () => value;

describe('computeBackoffMs', () => {
  it.each([
    // retryIndex, random, expected: floor(random * min(max, base * 2^retryIndex))
    [0, 0, 0],
    [0, 0.5, 250],
    [0, 0.999, 499],
    [1, 0.5, 500],
    [2, 0.5, 1_000],
    [3, 0.5, 2_000],
    [4, 0.5, 2_500],
    [10, 0.5, 2_500],
    [10, 0.999, 4_995],
  ])('retry %i with random %f waits %i ms', (retryIndex, random, expected) => {
    expect(computeBackoffMs(retryIndex, 500, 5_000, constant(random))).toBe(expected);
  });

  it('never reaches the ceiling (full jitter draws in [0, ceiling))', () => {
    for (let retry = 0; retry < 20; retry += 1) {
      expect(computeBackoffMs(retry, 500, 5_000, constant(0.999_999))).toBeLessThan(5_000);
    }
  });
});

describe('planRetry', () => {
  const serverError: ProviderFault = { kind: 'server-error', status: 503, retryAfterMs: null };
  const timeout: ProviderFault = { kind: 'timeout' };
  const rateLimited = (retryAfterMs: number | null): ProviderFault => ({
    kind: 'rate-limited',
    retryAfterMs,
  });

  it.each([
    ['a 503, first retry', serverError, 0, { action: 'retry', delayMs: 250 }],
    ['a 503, second retry', serverError, 1, { action: 'retry', delayMs: 500 }],
    ['a 503, retries used up', serverError, 2, { action: 'give-up', retryAfterMs: null }],
    ['a timeout, first retry', timeout, 0, { action: 'retry', delayMs: 250 }],
    ['a 429 with retry-after 3 s', rateLimited(3_000), 0, { action: 'retry', delayMs: 3_000 }],
    ['a 429 without retry-after', rateLimited(null), 0, { action: 'retry', delayMs: 250 }],
    ['a 429 at the cap', rateLimited(20_000), 0, { action: 'retry', delayMs: 20_000 }],
    ['a 429 past the cap', rateLimited(20_001), 0, { action: 'give-up', retryAfterMs: 20_001 }],
    ['a 429 with retries used up', rateLimited(2_000), 2, { action: 'give-up', retryAfterMs: 2_000 }],
    [
      'a 503 with retry-after',
      { kind: 'server-error', status: 503, retryAfterMs: 1_500 } as ProviderFault,
      0,
      { action: 'retry', delayMs: 1_500 },
    ],
  ])('when %s: %o', (_name, fault, retriesSoFar, expected) => {
    expect(planRetry(fault, retriesSoFar, POLICY, constant(0.5))).toEqual(expected);
  });

  describe('when maxRetries is 0', () => {
    it('gives up on the first fault', () => {
      expect(planRetry(serverError, 0, { ...POLICY, maxRetries: 0 }, constant(0.5))).toEqual({
        action: 'give-up',
        retryAfterMs: null,
      });
    });
  });
});
