/**
 * Every sentence the AI area says to Discord users. Errors carry the sentence without the personality's
 * name; {@link buildProviderNotice} puts the name in front when the worker posts it.
 */
import { ChorusErrorCode, UserFacingError } from '../errors/index.js';
import type { KeyOwner, ProviderRejectedReason, ProviderUnavailableReason } from './provider-errors.js';
import type { ProviderFailure } from './provider-failure.js';

/** "in about 30 s", "in about 2 min", or "in a moment" when the wait is unknown. */
export function formatRetryAfter(retryAfterMs: number | null): string {
  if (retryAfterMs === null) return 'in a moment';
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  if (seconds < 90) return `in about ${seconds} s`;
  return `in about ${Math.round(seconds / 60)} min`;
}

/** The user-facing text of a `ProviderUnavailableError` (without the personality's name). */
export function buildProviderUnavailableText(
  reason: ProviderUnavailableReason,
  retryAfterMs: number | null,
): string {
  const when = `Try again ${formatRetryAfter(retryAfterMs)}.`;
  switch (reason) {
    case 'timeout':
      return `the AI service is not answering in time. ${when}`;
    case 'rate-limited':
      return `the AI service is too busy (rate limited). ${when}`;
    case 'circuit-open':
    case 'network':
    case 'server-error':
    case 'bad-response':
      return `the AI service is failing. ${when}`;
  }
}

/** What a `ProviderRejectedError`'s text is built from. */
export interface ProviderRejectedTextInput {
  readonly reason: ProviderRejectedReason;
  readonly provider: string;
  readonly model: string;
  readonly keyOwner: KeyOwner;
  readonly status: number | null;
}

/** The user-facing text of a `ProviderRejectedError` (without the personality's name). */
export function buildProviderRejectedText(input: ProviderRejectedTextInput): string {
  const { provider, model } = input;
  switch (input.reason) {
    case 'invalid-key':
      return input.keyOwner === 'user'
        ? `your API key for ${provider} was rejected. Check it with /apikey test.`
        : `the bot's API key for ${provider} was rejected. Please tell the bot's operator.`;
    case 'quota-exceeded':
      return input.keyOwner === 'user'
        ? `your API key for ${provider} has run out of credit or quota. Check your ${provider} account.`
        : `the bot's API key for ${provider} has run out of credit. Please tell the bot's operator.`;
    case 'context-length':
      return `the conversation is too long for ${model}, even after leaving out older messages. Try a shorter message.`;
    case 'rejected':
      return `${provider} refused the request for ${model}${input.status === null ? '' : ` (HTTP ${input.status})`}. The personality's model or settings may need changing.`;
    case 'unknown-provider':
      return `it uses the AI provider "${provider}", which this bot does not offer. Its owner can pick another one.`;
    case 'missing-key':
      return `there is no API key for ${provider}. Add yours with /apikey set.`;
  }
}

/**
 * The notice posted when a personality cannot answer, e.g. `Alice can't answer right now: the AI service is
 * failing. Try again in about 30 s.` Provider errors keep their own text; anything else gets a generic line
 * (its message was not written for users).
 */
export function buildProviderNotice(personalityName: string, error: unknown): string {
  if (error instanceof UserFacingError && error.code === ChorusErrorCode.ProviderUnavailable) {
    return `${personalityName} can't answer right now: ${error.message}`;
  }
  if (error instanceof UserFacingError && error.code === ChorusErrorCode.ProviderRejected) {
    return `${personalityName} can't answer: ${error.message}`;
  }
  return `${personalityName} can't answer right now: something went wrong on our side. Try again in a moment.`;
}

/** Longest part of a provider's own error message quoted back to the user. */
const QUOTED_DETAIL_CHARS = 200;

/** The `detail` of a failed `/apikey test`: what went wrong, in a few words the user can act on. */
export function describeKeyTestFailure(failure: ProviderFailure, timeoutMs: number): string {
  switch (failure.kind) {
    case 'invalid-key':
      return `the provider refused this key (HTTP ${failure.status}).`;
    case 'quota-exceeded':
      return 'the key works but its account has run out of credit or quota.';
    case 'rejected':
      return `the provider refused the test request (HTTP ${failure.status}): ${quote(failure.detail)}`;
    case 'context-length':
      return `the provider refused the test request: ${quote(failure.detail)}`;
    case 'timeout':
      return `the provider did not answer within ${Math.round(timeoutMs / 1000)} s.`;
    case 'network':
      return 'could not connect to the provider.';
    case 'server-error':
      return `the provider is failing (HTTP ${failure.status}).`;
    case 'rate-limited':
      return 'the provider is rate limiting this key (HTTP 429); try again shortly.';
    case 'bad-response':
      return 'the provider answered with something that is not a chat completion.';
    case 'cancelled':
      return 'the test was cancelled.';
  }
}

function quote(detail: string): string {
  const characters = Array.from(detail.trim());
  return characters.length > QUOTED_DETAIL_CHARS
    ? `${characters.slice(0, QUOTED_DETAIL_CHARS).join('')}…`
    : characters.join('');
}
