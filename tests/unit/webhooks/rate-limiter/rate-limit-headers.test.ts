import { describe, expect, it } from 'vitest';
import { parseRateLimitHeaders } from '../../../../src/webhooks/rate-limiter/rate-limit-headers.js';

function headersOf(entries: Record<string, string>): Headers {
  return new Headers(entries);
}

describe('parseRateLimitHeaders', () => {
  describe('when a response carries bucket headers', () => {
    it.each<{ name: string; headers: Record<string, string>; expected: object }>([
      {
        name: 'a fresh window',
        headers: {
          'X-RateLimit-Limit': '5',
          'X-RateLimit-Remaining': '4',
          'X-RateLimit-Reset-After': '2.000',
          'X-RateLimit-Bucket': 'abc123',
        },
        expected: { bucket: 'abc123', limit: 5, remaining: 4, resetAfterMs: 2000 },
      },
      {
        name: 'an empty bucket with a fractional reset',
        headers: {
          'X-RateLimit-Limit': '5',
          'X-RateLimit-Remaining': '0',
          'X-RateLimit-Reset-After': '0.07',
        },
        expected: { bucket: null, limit: 5, remaining: 0, resetAfterMs: 70 },
      },
      {
        name: 'a reset after that rounds up to the next ms',
        headers: { 'X-RateLimit-Reset-After': '1.2345' },
        expected: { limit: null, remaining: null, resetAfterMs: 1235 },
      },
      {
        name: 'garbled numbers',
        headers: {
          'X-RateLimit-Limit': 'five',
          'X-RateLimit-Remaining': '-1',
          'X-RateLimit-Reset-After': 'soon',
        },
        expected: { limit: null, remaining: null, resetAfterMs: null },
      },
      {
        name: 'no rate-limit headers at all',
        headers: {},
        expected: {
          bucket: null,
          limit: null,
          remaining: null,
          resetAfterMs: null,
          retryAfterMs: null,
          global: false,
          scope: null,
        },
      },
    ])('reads $name', ({ headers, expected }) => {
      expect(parseRateLimitHeaders(headersOf(headers))).toMatchObject(expected);
    });
  });

  describe('when the response is a 429', () => {
    it.each<{ name: string; headers: Record<string, string>; body: unknown; expected: object }>([
      {
        name: "the body's exact retry_after over the rounded header",
        headers: { 'Retry-After': '1', 'X-RateLimit-Scope': 'user' },
        body: { message: 'You are being rate limited.', retry_after: 0.353, global: false },
        expected: { retryAfterMs: 353, global: false, scope: 'user' },
      },
      {
        name: 'the header when the body has no retry_after',
        headers: { 'Retry-After': '2' },
        body: 'not json',
        expected: { retryAfterMs: 2000, global: false, scope: null },
      },
      {
        name: 'a global limit from the X-RateLimit-Global header',
        headers: { 'Retry-After': '1', 'X-RateLimit-Global': 'true', 'X-RateLimit-Scope': 'global' },
        body: null,
        expected: { retryAfterMs: 1000, global: true, scope: 'global' },
      },
      {
        name: "a global limit from the body's flag",
        headers: {},
        body: { retry_after: 0.5, global: true },
        expected: { retryAfterMs: 500, global: true },
      },
      {
        name: 'a shared limit',
        headers: { 'X-RateLimit-Scope': 'shared', 'Retry-After': '60' },
        body: { retry_after: 59.5, global: false, code: 20028 },
        expected: { retryAfterMs: 59_500, scope: 'shared' },
      },
      {
        name: 'an unknown scope as none',
        headers: { 'X-RateLimit-Scope': 'galactic' },
        body: {},
        expected: { scope: null, retryAfterMs: null },
      },
    ])('takes $name', ({ headers, body, expected }) => {
      expect(parseRateLimitHeaders(headersOf(headers), body)).toMatchObject(expected);
    });
  });
});
