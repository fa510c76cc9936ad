import { describe, expect, it } from 'vitest';
import {
  classifyHttpError,
  classifyStreamError,
  type HttpErrorAnswer,
  isContextLengthError,
  isProviderFault,
  parseRetryAfterMs,
} from '../../../src/ai/provider-failure.js';

const NOW = Date.parse('2025-01-01T00:00:00Z');

function answer(status: number, overrides: Partial<HttpErrorAnswer> = {}): HttpErrorAnswer {
  return {
    status,
    code: null,
    message: 'error',
    retryAfterMsHeader: null,
    retryAfterHeader: null,
    ...overrides,
  };
}

describe('classifyHttpError', () => {
  it.each([
    ['401', answer(401, { code: 'invalid_api_key' }), { kind: 'invalid-key', status: 401 }],
    ['403', answer(403), { kind: 'invalid-key', status: 403 }],
    [
      '429 with retry-after',
      answer(429, { retryAfterHeader: '7' }),
      { kind: 'rate-limited', retryAfterMs: 7_000 },
    ],
    ['429 without retry-after', answer(429), { kind: 'rate-limited', retryAfterMs: null }],
    ['429 insufficient_quota', answer(429, { code: 'insufficient_quota' }), { kind: 'quota-exceeded' }],
    ['500', answer(500), { kind: 'server-error', status: 500, retryAfterMs: null }],
    [
      '503 with retry-after',
      answer(503, { retryAfterHeader: '2' }),
      { kind: 'server-error', status: 503, retryAfterMs: 2_000 },
    ],
    ['408', answer(408), { kind: 'server-error', status: 408, retryAfterMs: null }],
    [
      '400 context_length_exceeded',
      answer(400, { code: 'context_length_exceeded', message: 'too long' }),
      { kind: 'context-length', detail: 'too long' },
    ],
    [
      '404 unknown model',
      answer(404, { message: 'no such model' }),
      { kind: 'rejected', status: 404, detail: 'no such model' },
    ],
    [
      '400 bad parameter',
      answer(400, { message: 'temperature too high' }),
      { kind: 'rejected', status: 400, detail: 'temperature too high' },
    ],
  ])('classifies %s', (_name, input, expected) => {
    expect(classifyHttpError(input, NOW)).toEqual(expected);
  });
});

describe('isContextLengthError', () => {
  it.each([
    ['OpenAI code', 'context_length_exceeded', 'whatever'],
    ['llama.cpp code', 'exceed_context_size_error', 'whatever'],
    [
      'OpenAI message',
      null,
      "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens. Please reduce the length of the messages.",
    ],
    [
      'OpenRouter',
      null,
      "This endpoint's maximum context length is 8192 tokens. However, you requested about 9100 tokens (9000 of text input, 100 in the output). Please reduce the length of either one.",
    ],
    [
      'vLLM',
      null,
      "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens (4900 in the messages, 100 in the completion). Please reduce the length of the messages or completion.",
    ],
    ['newer vLLM', null, 'The decoder prompt (length 5000) is longer than the maximum model length of 4096.'],
    ['Anthropic-compatible', null, 'prompt is too long: 210000 tokens > 200000 maximum'],
    [
      'Gemini',
      null,
      'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).',
    ],
    ['Mistral', null, 'Prompt contains 40000 tokens, too large for model with 32768 maximum context length'],
    ['llama.cpp', null, 'the request exceeds the available context size, try increasing it'],
  ])('recognises %s', (_name, code, message) => {
    expect(isContextLengthError(code, message)).toBe(true);
  });

  it.each([
    ['a bad temperature', null, 'temperature must be at most 2'],
    ['an unknown model', 'model_not_found', 'The model `gpt-9` does not exist'],
  ])('does not mistake %s for it', (_name, code, message) => {
    expect(isContextLengthError(code, message)).toBe(false);
  });
});

describe('parseRetryAfterMs', () => {
  it.each([
    ['nothing', null, null, null],
    ['seconds', null, '5', 5_000],
    ['fractional seconds', null, '1.5', 1_500],
    ['zero', null, '0', 0],
    ['retry-after-ms first', '250', '5', 250],
    ['fractional retry-after-ms', '12.3', null, 13],
    ['an HTTP date', null, 'Wed, 01 Jan 2025 00:00:30 GMT', 30_000],
    ['an HTTP date in the past', null, 'Tue, 31 Dec 2024 23:59:00 GMT', 0],
    ['garbage', null, 'soon', null],
    ['garbage ms, valid seconds', 'x', '2', 2_000],
    ['a negative number', null, '-3', null],
  ])('reads %s', (_name, msHeader, header, expected) => {
    expect(parseRetryAfterMs(msHeader, header, NOW)).toBe(expected);
  });
});

describe('isProviderFault', () => {
  it.each([
    [{ kind: 'timeout' } as const, true],
    [{ kind: 'network', detail: 'ECONNREFUSED' } as const, true],
    [{ kind: 'server-error', status: 502, retryAfterMs: null } as const, true],
    [{ kind: 'rate-limited', retryAfterMs: null } as const, true],
    [{ kind: 'bad-response', detail: 'x' } as const, true],
    [{ kind: 'invalid-key', status: 401 } as const, false],
    [{ kind: 'quota-exceeded' } as const, false],
    [{ kind: 'context-length', detail: 'x' } as const, false],
    [{ kind: 'rejected', status: 404, detail: 'x' } as const, false],
    [{ kind: 'cancelled' } as const, false],
  ])('%o → %s', (failure, expected) => {
    expect(isProviderFault(failure)).toBe(expected);
  });
});

describe('classifyStreamError', () => {
  it.each([
    [
      'a 502 code',
      { status: 502, code: null, message: 'gone' },
      { kind: 'server-error', status: 502, retryAfterMs: null },
    ],
    [
      'a 429 code',
      { status: 429, code: null, message: 'slow' },
      { kind: 'rate-limited', retryAfterMs: null },
    ],
    ['a 401 code', { status: 401, code: null, message: 'no' }, { kind: 'invalid-key', status: 401 }],
    [
      'a context-length code',
      { status: null, code: 'context_length_exceeded', message: 'too long' },
      { kind: 'context-length', detail: 'too long' },
    ],
    [
      'a rate-limit code',
      { status: null, code: 'rate_limit_exceeded', message: 'slow' },
      { kind: 'rate-limited', retryAfterMs: null },
    ],
    [
      'anything else',
      { status: null, code: 'server_error', message: 'Overloaded' },
      { kind: 'bad-response', detail: 'the stream carried an error: Overloaded' },
    ],
  ])('classifies %s', (_name, error, failure) => {
    expect(classifyStreamError(error, NOW)).toEqual(failure);
  });
});
