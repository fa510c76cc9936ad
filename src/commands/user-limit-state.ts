import type { AdmissionLimits } from '../queue/index.js';

/** A user's standing against the admission limits, as /status shows it. */
export interface UserLimitState {
  /** Replies admitted and not yet finished. */
  readonly pending: number;
  readonly maxPending: number;
  /** Whole messages the user may send right now before the rate limit refuses one. */
  readonly available: number;
  readonly burst: number;
  readonly ratePerMinute: number;
  /** ms until the next message is allowed again; 0 when one is allowed now. */
  readonly retryAfterMs: number;
}

/** The raw Redis fields the state is computed from (the queue area's pending set and token bucket). */
export interface RawUserLimitFields {
  /** Pending jobs whose lease has not expired. */
  readonly pendingCount: number;
  /** The bucket's `tokens` and `at` fields; null when the bucket does not exist (full). */
  readonly bucketTokens: string | null;
  readonly bucketAt: string | null;
}

/**
 * Computes the user's token bucket as the admission script does (`burst` tokens, refilled continuously at
 * `userRatePerMinute` per minute), at time `now`, without changing it.
 */
export function buildUserLimitState(
  fields: RawUserLimitFields,
  limits: Pick<AdmissionLimits, 'userMaxPending' | 'userRatePerMinute' | 'userBurst'>,
  now: number,
): UserLimitState {
  const ratePerMs = limits.userRatePerMinute / 60_000;
  const storedTokens = fields.bucketTokens === null ? Number.NaN : Number(fields.bucketTokens);
  const storedAt = fields.bucketAt === null ? Number.NaN : Number(fields.bucketAt);
  const tokens = Number.isFinite(storedTokens)
    ? Math.min(
        limits.userBurst,
        storedTokens + Math.max(0, now - (Number.isFinite(storedAt) ? storedAt : now)) * ratePerMs,
      )
    : limits.userBurst;
  const pendingFull = fields.pendingCount >= limits.userMaxPending;
  return {
    pending: fields.pendingCount,
    maxPending: limits.userMaxPending,
    available: pendingFull ? 0 : Math.floor(tokens),
    burst: limits.userBurst,
    ratePerMinute: limits.userRatePerMinute,
    retryAfterMs: tokens >= 1 ? 0 : Math.ceil((1 - tokens) / ratePerMs),
  };
}
