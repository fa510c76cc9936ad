import { describe, expect, it } from 'vitest';
import { buildProviderNotice, describeKeyTestFailure, formatRetryAfter } from '../../../src/ai/messages.js';
import { ProviderRejectedError, ProviderUnavailableError } from '../../../src/ai/provider-errors.js';
import { ChorusError, ChorusErrorCode } from '../../../src/errors/index.js';

describe('formatRetryAfter', () => {
  it.each([
    [null, 'in a moment'],
    [0, 'in about 1 s'],
    [400, 'in about 1 s'],
    [29_100, 'in about 30 s'],
    [89_000, 'in about 89 s'],
    [120_000, 'in about 2 min'],
  ])('%s ms → %s', (ms, expected) => {
    expect(formatRetryAfter(ms)).toBe(expected);
  });
});

describe('buildProviderNotice', () => {
  const where = { provider: 'openai', model: 'gpt-4o-mini' };

  it.each([
    [
      'an open breaker',
      new ProviderUnavailableError({ ...where, reason: 'circuit-open', retryAfterMs: 30_000 }),
      "Alice can't answer right now: the AI service is failing. Try again in about 30 s.",
    ],
    [
      'a timeout',
      new ProviderUnavailableError({ ...where, reason: 'timeout', retryAfterMs: null }),
      "Alice can't answer right now: the AI service is not answering in time. Try again in a moment.",
    ],
    [
      'rate limiting',
      new ProviderUnavailableError({ ...where, reason: 'rate-limited', retryAfterMs: 25_000 }),
      "Alice can't answer right now: the AI service is too busy (rate limited). Try again in about 25 s.",
    ],
    [
      "the user's rejected key",
      new ProviderRejectedError({ ...where, reason: 'invalid-key', keyOwner: 'user', status: 401 }),
      "Alice can't answer: your API key for openai was rejected. Check it with /apikey test.",
    ],
    [
      "the operator's rejected key",
      new ProviderRejectedError({ ...where, reason: 'invalid-key', keyOwner: 'operator', status: 401 }),
      "Alice can't answer: the bot's API key for openai was rejected. Please tell the bot's operator.",
    ],
    [
      'a missing key',
      new ProviderRejectedError({ ...where, reason: 'missing-key', keyOwner: 'operator', status: null }),
      "Alice can't answer: there is no API key for openai. Add yours with /apikey set.",
    ],
    [
      'a conversation too long',
      new ProviderRejectedError({ ...where, reason: 'context-length', keyOwner: 'user', status: null }),
      "Alice can't answer: the conversation is too long for gpt-4o-mini, even after leaving out older messages. Try a shorter message.",
    ],
    [
      'a refused request',
      new ProviderRejectedError({ ...where, reason: 'rejected', keyOwner: 'user', status: 404 }),
      "Alice can't answer: openai refused the request for gpt-4o-mini (HTTP 404). The personality's model or settings may need changing.",
    ],
    [
      'an internal error',
      new ChorusError(ChorusErrorCode.Internal, 'stack overflow in the frobnicator'),
      "Alice can't answer right now: something went wrong on our side. Try again in a moment.",
    ],
  ])('words %s', (_name, error, expected) => {
    expect(buildProviderNotice('Alice', error)).toBe(expected);
  });

  it('renders the error code in the name', () => {
    const error = new ProviderUnavailableError({ ...where, reason: 'circuit-open', retryAfterMs: 1_000 });
    expect(error.name).toBe('UserFacingError[ProviderUnavailable]');
  });
});

describe('describeKeyTestFailure', () => {
  it.each([
    [{ kind: 'invalid-key', status: 401 } as const, 'the provider refused this key (HTTP 401).'],
    [{ kind: 'timeout' } as const, 'the provider did not answer within 60 s.'],
    [
      { kind: 'server-error', status: 503, retryAfterMs: null } as const,
      'the provider is failing (HTTP 503).',
    ],
    [
      { kind: 'rejected', status: 404, detail: `model ${'x'.repeat(300)}` } as const,
      `the provider refused the test request (HTTP 404): model ${'x'.repeat(194)}…`,
    ],
  ])('%o', (failure, expected) => {
    expect(describeKeyTestFailure(failure, 60_000)).toBe(expected);
  });
});
