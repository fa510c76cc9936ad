import { ChorusError, ChorusErrorCode, UserFacingError } from '../errors/index.js';
import { buildProviderRejectedText, buildProviderUnavailableText } from './messages.js';
import type { ProviderFailure } from './provider-failure.js';

/** Why a provider could not be used right now (its fault; trying later may work). */
export type ProviderUnavailableReason =
  /** Its breaker is open: recent calls failed, so we are not calling it until the half-open probe. */
  'circuit-open' | 'timeout' | 'network' | 'server-error' | 'rate-limited' | 'bad-response';

/** Why a provider refused the call (trying again unchanged will not help). */
export type ProviderRejectedReason =
  /** 401/403: the key is wrong, revoked or lacks access. */
  | 'invalid-key'
  /** 429 `insufficient_quota`: the key's account is out of credit. */
  | 'quota-exceeded'
  /** The prompt is too long for the model (the caller may assemble a shorter one and call again). */
  | 'context-length'
  /** Any other 4xx (unknown model, bad parameter…). */
  | 'rejected'
  /** The personality names a provider this deployment does not configure. */
  | 'unknown-provider'
  /** Neither the user nor the operator has a key for this provider. */
  | 'missing-key';

/** Whose API key a call used. */
export type KeyOwner = 'user' | 'operator';

/** Fields of {@link ProviderUnavailableError}. */
export interface ProviderUnavailableDetails {
  readonly provider: string;
  readonly model: string;
  readonly reason: ProviderUnavailableReason;
  /** About when trying again may work (until the breaker's probe, or the provider's `retry-after`); null = unknown. */
  readonly retryAfterMs: number | null;
  readonly cause?: unknown;
}

/** The AI provider is failing, overloaded or not answering; the message says when to try again. */
export class ProviderUnavailableError extends UserFacingError {
  readonly provider: string;
  readonly model: string;
  readonly reason: ProviderUnavailableReason;
  readonly retryAfterMs: number | null;

  constructor(details: ProviderUnavailableDetails) {
    super(
      ChorusErrorCode.ProviderUnavailable,
      buildProviderUnavailableText(details.reason, details.retryAfterMs),
      details.cause === undefined ? {} : { cause: details.cause },
    );
    this.provider = details.provider;
    this.model = details.model;
    this.reason = details.reason;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** Fields of {@link ProviderRejectedError}. */
export interface ProviderRejectedDetails {
  readonly provider: string;
  readonly model: string;
  readonly reason: ProviderRejectedReason;
  readonly keyOwner: KeyOwner;
  /** The provider's HTTP status, when it answered. */
  readonly status: number | null;
  readonly cause?: unknown;
}

/** The provider refused the call because of the key or the request; never counts against its breaker. */
export class ProviderRejectedError extends UserFacingError {
  readonly provider: string;
  readonly model: string;
  readonly reason: ProviderRejectedReason;
  readonly keyOwner: KeyOwner;
  readonly status: number | null;

  constructor(details: ProviderRejectedDetails) {
    super(
      ChorusErrorCode.ProviderRejected,
      buildProviderRejectedText(details),
      details.cause === undefined ? {} : { cause: details.cause },
    );
    this.provider = details.provider;
    this.model = details.model;
    this.reason = details.reason;
    this.keyOwner = details.keyOwner;
    this.status = details.status;
  }
}

/** Fields of {@link ProviderStreamBrokenError}. */
export interface ProviderStreamBrokenDetails {
  readonly provider: string;
  readonly model: string;
  /** What broke it: the connection (`network`), a silence (`timeout`), an error the provider streamed… */
  readonly failure: ProviderFailure;
  readonly cause?: unknown;
}

/**
 * A streamed reply broke after some of its text was yielded: the connection ended or failed before `[DONE]`
 * and without a `finish_reason`, the stream went silent, or the provider sent an error inside it. Not retried
 * (the caller has shown the text); it counted against the provider's breaker. Not user-facing: the caller
 * decides how to mark the text it showed.
 */
export class ProviderStreamBrokenError extends ChorusError {
  readonly provider: string;
  readonly model: string;
  readonly failure: ProviderFailure;

  constructor(details: ProviderStreamBrokenDetails) {
    super(
      ChorusErrorCode.ProviderStreamBroken,
      `the reply stream of ${details.provider}/${details.model} broke after its first text (${details.failure.kind})`,
      details.cause === undefined ? {} : { cause: details.cause },
    );
    this.provider = details.provider;
    this.model = details.model;
    this.failure = details.failure;
  }
}
