import { DiscordErrorCode } from '../discord/index.js';
import type { RateLimitObservation } from './rate-limiter/index.js';
import { WebhookUnavailableReason } from './webhook-unavailable-error.js';

/**
 * Discord's answers, sorted by what we do about them, and the retry decisions: pure, so the whole policy is a
 * table in the tests. Every retry is bounded by a counter or a flag the caller keeps.
 */

/** A failed request, by what it means for us. */
export type DiscordFailure =
  | { readonly kind: 'rate-limited'; readonly rateLimit: RateLimitObservation }
  /** 404 / 10015: the webhook was deleted behind our back. */
  | { readonly kind: 'unknown-webhook'; readonly discordCode: number | null }
  | { readonly kind: 'missing-permissions'; readonly discordCode: number }
  | { readonly kind: 'missing-access'; readonly discordCode: number }
  | { readonly kind: 'max-webhooks'; readonly discordCode: number }
  | { readonly kind: 'unknown-channel'; readonly discordCode: number }
  | { readonly kind: 'server'; readonly status: number }
  /** Any other 4xx: this request is wrong and stays wrong. */
  | { readonly kind: 'rejected'; readonly status: number; readonly discordCode: number | null };

/**
 * Classifies an error thrown by a Discord request (`DiscordAPIError` carries `status` and a numeric `code`,
 * `HTTPError` only `status`). Returns `null` for anything that is not an HTTP answer (timeouts, resets, bugs):
 * then nobody knows whether Discord acted, and the caller must not guess.
 */
export function classifyDiscordFailure(error: unknown): DiscordFailure | null {
  if (typeof error !== 'object' || error === null) return null;
  const { status, code } = error as { status?: unknown; code?: unknown };
  if (typeof status !== 'number') return null;
  const discordCode = typeof code === 'number' ? code : null;
  switch (discordCode) {
    case DiscordErrorCode.UnknownWebhook:
      return { kind: 'unknown-webhook', discordCode };
    case DiscordErrorCode.MissingPermissions:
      return { kind: 'missing-permissions', discordCode };
    case DiscordErrorCode.MissingAccess:
      return { kind: 'missing-access', discordCode };
    case DiscordErrorCode.MaxWebhooksReached:
      return { kind: 'max-webhooks', discordCode };
    case DiscordErrorCode.UnknownChannel:
      return { kind: 'unknown-channel', discordCode };
  }
  if (status >= 500) return { kind: 'server', status };
  if (status === 404) return { kind: 'unknown-webhook', discordCode };
  return { kind: 'rejected', status, discordCode };
}

/** Discord's numeric JSON error code carried by `error`, for logs and error context. */
export function findDiscordCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** The permanent reason behind a failure, or `null` when trying again later may work. */
export function findUnavailableReason(failure: DiscordFailure | null): WebhookUnavailableReason | null {
  switch (failure?.kind) {
    case 'missing-permissions':
      return WebhookUnavailableReason.MissingPermissions;
    case 'missing-access':
      return WebhookUnavailableReason.MissingAccess;
    case 'max-webhooks':
      return WebhookUnavailableReason.MaxWebhooks;
    case 'unknown-channel':
      return WebhookUnavailableReason.UnknownChannel;
    case 'rejected':
      return WebhookUnavailableReason.Rejected;
    default:
      return null;
  }
}

/** What one webhook execute has already been through. */
export interface ExecuteAttempts {
  /** The webhook was replaced once after 10015; a second 10015 is not chased. */
  readonly recreatedWebhook: boolean;
  readonly serverRetries: number;
  readonly rateLimitRetries: number;
}

/** Bounds of {@link decideExecuteFailure}. */
export interface ExecuteRetryPolicy {
  /** Retries after a 5xx. */
  readonly maxServerRetries: number;
  /** Retries after a 429 (each waits out the shared bucket state first). */
  readonly maxRateLimitRetries: number;
  /** First 5xx backoff, ms; doubles per retry. */
  readonly serverBackoffMs: number;
  /** Cap of the 5xx backoff, ms. */
  readonly maxServerBackoffMs: number;
}

/** What to do after a failed webhook execute. */
export type ExecuteDecision =
  /** Forget the webhook everywhere, get another, send again (once). */
  | { readonly action: 'recreate-webhook' }
  /** Send again through the limiters, which now hold the 429's wait. */
  | { readonly action: 'retry-rate-limited' }
  | { readonly action: 'retry-server-error'; readonly delayMs: number }
  /** Permanent: throw `WebhookUnavailableError`. */
  | { readonly action: 'unavailable'; readonly reason: WebhookUnavailableReason }
  /** Transient, but this attempt's budget is spent (or the outcome is unknown): rethrow for the job's retry. */
  | { readonly action: 'give-up' };

/** Decides the next step after a webhook execute failed with `failure` (`null`: no HTTP answer). */
export function decideExecuteFailure(
  failure: DiscordFailure | null,
  attempts: ExecuteAttempts,
  policy: ExecuteRetryPolicy,
): ExecuteDecision {
  if (failure === null) return { action: 'give-up' };
  switch (failure.kind) {
    case 'rate-limited':
      return attempts.rateLimitRetries < policy.maxRateLimitRetries
        ? { action: 'retry-rate-limited' }
        : { action: 'give-up' };
    case 'unknown-webhook':
      return attempts.recreatedWebhook ? { action: 'give-up' } : { action: 'recreate-webhook' };
    case 'server':
      return attempts.serverRetries < policy.maxServerRetries
        ? {
            action: 'retry-server-error',
            delayMs: Math.min(
              policy.serverBackoffMs * 2 ** attempts.serverRetries,
              policy.maxServerBackoffMs,
            ),
          }
        : { action: 'give-up' };
    default: {
      const reason = findUnavailableReason(failure);
      return reason === null ? { action: 'give-up' } : { action: 'unavailable', reason };
    }
  }
}
