import { DiscordAPIError, HTTPError } from '@discordjs/rest';
import { describe, expect, it } from 'vitest';
import {
  classifyDiscordFailure,
  type DiscordFailure,
  decideExecuteFailure,
  type ExecuteAttempts,
  findDiscordCode,
  findUnavailableReason,
} from '../../../src/webhooks/failure-policy.js';
import type { RateLimitObservation } from '../../../src/webhooks/rate-limiter/index.js';
import { WebhookUnavailableReason } from '../../../src/webhooks/webhook-unavailable-error.js';

function discordError(status: number, code: number): DiscordAPIError {
  return new DiscordAPIError({ code, message: `code ${code}` }, code, status, 'POST', '/x', {
    body: undefined,
  });
}

const rateLimit: RateLimitObservation = {
  bucket: 'b',
  limit: 5,
  remaining: 0,
  resetAfterMs: 500,
  retryAfterMs: 500,
  global: false,
  scope: 'user',
};

describe('classifyDiscordFailure', () => {
  it.each([
    { name: '10015 as an unknown webhook', error: discordError(404, 10015), kind: 'unknown-webhook' },
    { name: 'a bare 404 as an unknown webhook', error: discordError(404, 0), kind: 'unknown-webhook' },
    { name: '10003 as an unknown channel', error: discordError(404, 10003), kind: 'unknown-channel' },
    { name: '50013 as missing permissions', error: discordError(403, 50013), kind: 'missing-permissions' },
    { name: '50001 as missing access', error: discordError(403, 50001), kind: 'missing-access' },
    { name: '30007 as the webhook cap', error: discordError(400, 30007), kind: 'max-webhooks' },
    { name: '50035 as rejected', error: discordError(400, 50035), kind: 'rejected' },
    { name: 'a 401 as rejected', error: discordError(401, 0), kind: 'rejected' },
    {
      name: 'a 502 as a server error',
      error: new HTTPError(502, 'Bad Gateway', 'POST', '/x', { body: undefined }),
      kind: 'server',
    },
    {
      name: 'a 500 with a Discord body as a server error',
      error: discordError(500, 0),
      kind: 'server',
    },
  ])('sees $name', ({ error, kind }) => {
    expect(classifyDiscordFailure(error)?.kind).toBe(kind);
  });

  it.each([
    { name: 'a timeout', error: Object.assign(new Error('timed out'), { name: 'TimeoutError' }) },
    { name: 'a connection reset', error: Object.assign(new Error('reset'), { code: 'ECONNRESET' }) },
    { name: 'a non-error', error: 'boom' },
    { name: 'null', error: null },
  ])('does not guess about $name', ({ error }) => {
    expect(classifyDiscordFailure(error)).toBeNull();
  });
});

describe('findDiscordCode', () => {
  it.each([
    { error: discordError(403, 50013), expected: 50013 },
    { error: Object.assign(new Error('reset'), { code: 'ECONNRESET' }), expected: undefined },
    { error: undefined, expected: undefined },
  ])('reads $expected', ({ error, expected }) => {
    expect(findDiscordCode(error)).toBe(expected);
  });
});

describe('findUnavailableReason', () => {
  it.each<{ failure: DiscordFailure | null; expected: WebhookUnavailableReason | null }>([
    {
      failure: { kind: 'missing-permissions', discordCode: 50013 },
      expected: WebhookUnavailableReason.MissingPermissions,
    },
    {
      failure: { kind: 'missing-access', discordCode: 50001 },
      expected: WebhookUnavailableReason.MissingAccess,
    },
    { failure: { kind: 'max-webhooks', discordCode: 30007 }, expected: WebhookUnavailableReason.MaxWebhooks },
    {
      failure: { kind: 'unknown-channel', discordCode: 10003 },
      expected: WebhookUnavailableReason.UnknownChannel,
    },
    {
      failure: { kind: 'rejected', status: 400, discordCode: 50035 },
      expected: WebhookUnavailableReason.Rejected,
    },
    { failure: { kind: 'server', status: 503 }, expected: null },
    { failure: { kind: 'unknown-webhook', discordCode: 10015 }, expected: null },
    { failure: { kind: 'rate-limited', rateLimit }, expected: null },
    { failure: null, expected: null },
  ])('maps $failure.kind to $expected', ({ failure, expected }) => {
    expect(findUnavailableReason(failure)).toBe(expected);
  });
});

describe('decideExecuteFailure', () => {
  const policy = {
    maxServerRetries: 2,
    maxRateLimitRetries: 3,
    serverBackoffMs: 250,
    maxServerBackoffMs: 400,
  };
  const fresh: ExecuteAttempts = { recreatedWebhook: false, serverRetries: 0, rateLimitRetries: 0 };

  it.each<{ name: string; failure: DiscordFailure | null; attempts: ExecuteAttempts; expected: object }>([
    {
      name: 'recreates the webhook after the first 10015',
      failure: { kind: 'unknown-webhook', discordCode: 10015 },
      attempts: fresh,
      expected: { action: 'recreate-webhook' },
    },
    {
      name: 'gives up after a second 10015',
      failure: { kind: 'unknown-webhook', discordCode: 10015 },
      attempts: { ...fresh, recreatedWebhook: true },
      expected: { action: 'give-up' },
    },
    {
      name: 'retries a 429 through the limiters',
      failure: { kind: 'rate-limited', rateLimit },
      attempts: { ...fresh, rateLimitRetries: 2 },
      expected: { action: 'retry-rate-limited' },
    },
    {
      name: 'gives up when 429s exhaust their budget',
      failure: { kind: 'rate-limited', rateLimit },
      attempts: { ...fresh, rateLimitRetries: 3 },
      expected: { action: 'give-up' },
    },
    {
      name: 'backs off after a first 5xx',
      failure: { kind: 'server', status: 502 },
      attempts: fresh,
      expected: { action: 'retry-server-error', delayMs: 250 },
    },
    {
      name: 'doubles the backoff up to its cap',
      failure: { kind: 'server', status: 503 },
      attempts: { ...fresh, serverRetries: 1 },
      expected: { action: 'retry-server-error', delayMs: 400 },
    },
    {
      name: 'gives up when 5xx exhaust their budget',
      failure: { kind: 'server', status: 500 },
      attempts: { ...fresh, serverRetries: 2 },
      expected: { action: 'give-up' },
    },
    {
      name: 'fails for good on missing permissions',
      failure: { kind: 'missing-permissions', discordCode: 50013 },
      attempts: fresh,
      expected: { action: 'unavailable', reason: WebhookUnavailableReason.MissingPermissions },
    },
    {
      name: 'fails for good on a rejected payload',
      failure: { kind: 'rejected', status: 400, discordCode: 50035 },
      attempts: fresh,
      expected: { action: 'unavailable', reason: WebhookUnavailableReason.Rejected },
    },
    {
      name: 'does not retry when nobody knows whether Discord posted',
      failure: null,
      attempts: fresh,
      expected: { action: 'give-up' },
    },
  ])('$name', ({ failure, attempts, expected }) => {
    expect(decideExecuteFailure(failure, attempts, policy)).toEqual(expected);
  });
});
