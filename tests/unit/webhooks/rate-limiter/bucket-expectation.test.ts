import { describe, expect, it } from 'vitest';
import {
  type BucketExpectation,
  bringsNews,
} from '../../../../src/webhooks/rate-limiter/bucket-expectation.js';
import type { RateLimitObservation } from '../../../../src/webhooks/rate-limiter/rate-limit-headers.js';

const T = 1_000_000;
const MARGIN = 30;

/** A 5-per-2 s bucket whose window opened at T with our first send; this one is our third, at T + 100. */
const learned: BucketExpectation = { limit: 5, windowMs: 2000, slots: [T, T + 50, T + 100] };

function response(fields: Partial<RateLimitObservation>): RateLimitObservation {
  return {
    bucket: 'abc',
    limit: 5,
    remaining: 2,
    resetAfterMs: 1900,
    retryAfterMs: null,
    global: false,
    scope: null,
    ...fields,
  };
}

describe('bringsNews', () => {
  it('is false for a response that says what the reservations counted', () => {
    expect(bringsNews(learned, response({}), T + 100, MARGIN)).toBe(false);
  });

  it('is false for a window the bucket knows opening again', () => {
    const opening = { ...learned, slots: [T + 5000] };
    expect(bringsNews(opening, response({ remaining: 4, resetAfterMs: 2000 }), T + 5001, MARGIN)).toBe(false);
  });

  it('is false when Discord empties the bucket no later than our next send could go', () => {
    const full = { ...learned, slots: [T, T + 50, T + 100, T + 150, T + 200] };
    expect(bringsNews(full, response({ remaining: 0, resetAfterMs: 1800 }), T + 200, MARGIN)).toBe(false);
  });

  it.each<{ name: string; expectation: BucketExpectation; fields: Partial<RateLimitObservation> }>([
    {
      name: 'a limit other than the one reserved under',
      expectation: learned,
      fields: { limit: 10, remaining: 7 },
    },
    {
      name: 'a window of another length',
      expectation: { ...learned, slots: [T + 100] },
      fields: { remaining: 4, resetAfterMs: 3000 },
    },
    { name: 'fewer remaining than we counted', expectation: learned, fields: { remaining: 1 } },
    {
      name: 'a window that opened later than our first send',
      expectation: learned,
      fields: { resetAfterMs: 1990 },
    },
  ])('is true for $name', ({ expectation, fields }) => {
    expect(bringsNews(expectation, response(fields), T + 100, MARGIN)).toBe(true);
  });

  it('is true when Discord empties the bucket later than our next send could go', () => {
    const full = { ...learned, slots: [T, T + 50, T + 100, T + 150, T + 200] };
    expect(bringsNews(full, response({ remaining: 0, resetAfterMs: 1900 }), T + 200, MARGIN)).toBe(true);
  });

  it('is true for an empty bucket holding fewer of our sends than its limit', () => {
    expect(bringsNews(learned, response({ remaining: 0, resetAfterMs: 1900 }), T + 100, MARGIN)).toBe(true);
  });

  it('is false for a response without rate-limit headers', () => {
    const bare = response({ bucket: null, limit: null, remaining: null, resetAfterMs: null });
    expect(bringsNews(learned, bare, T + 100, MARGIN)).toBe(false);
  });
});
