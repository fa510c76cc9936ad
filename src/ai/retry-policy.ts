import type { ProviderFault } from './provider-failure.js';

/** The numbers that bound retries of one completion. */
export interface RetryPolicy {
  /** Retries after the first attempt (0 = try once). */
  readonly maxRetries: number;
  /** Backoff ceiling of the first retry, in ms; doubles per retry. */
  readonly backoffBaseMs: number;
  /** Largest backoff ceiling, in ms. */
  readonly backoffMaxMs: number;
  /** Longest `retry-after` we wait out; a longer one gives up at once (the user is told when to retry). */
  readonly maxRetryAfterMs: number;
}

/** What to do after a provider fault. */
export type RetryDecision =
  | { readonly action: 'retry'; readonly delayMs: number }
  /** `retryAfterMs`: when the provider said it would be back, if it did. */
  | { readonly action: 'give-up'; readonly retryAfterMs: number | null };

/**
 * Exponential backoff with full jitter: a uniform draw in [0, min(max, base·2^retry)). Full jitter spreads
 * the retries of many workers hit by the same outage (AWS Architecture Blog, "Exponential Backoff And Jitter").
 * `retryIndex` is 0 for the first retry; `random` returns [0, 1).
 */
export function computeBackoffMs(
  retryIndex: number,
  baseMs: number,
  maxMs: number,
  random: () => number,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** retryIndex);
  return Math.floor(random() * ceiling);
}

/**
 * Decides whether to retry a provider fault after `retriesSoFar` retries. A provider-given wait
 * (`retry-after`) replaces the backoff; past `maxRetryAfterMs` it is not worth holding the job for.
 */
export function planRetry(
  fault: ProviderFault,
  retriesSoFar: number,
  policy: RetryPolicy,
  random: () => number,
): RetryDecision {
  const retryAfterMs = 'retryAfterMs' in fault ? fault.retryAfterMs : null;
  if (retryAfterMs !== null && retryAfterMs > policy.maxRetryAfterMs)
    return { action: 'give-up', retryAfterMs };
  if (retriesSoFar >= policy.maxRetries) return { action: 'give-up', retryAfterMs };
  if (retryAfterMs !== null) return { action: 'retry', delayMs: retryAfterMs };
  return {
    action: 'retry',
    delayMs: computeBackoffMs(retriesSoFar, policy.backoffBaseMs, policy.backoffMaxMs, random),
  };
}
