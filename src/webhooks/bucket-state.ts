/**
 * The shared state of one webhook's execute bucket, as `lua/reserveWebhookBucketSlot-1.lua` keeps it in a Redis
 * hash, and the pure maths to read it. Times are Unix ms on the callers' clocks; the safety margin absorbs the
 * difference between when a slot was reserved and when the request reached Discord.
 */

/** One webhook's bucket. */
export interface BucketState {
  /** Requests per window, learned from `X-RateLimit-Limit`. */
  readonly limit: number;
  /** Window length in ms, learned from the `X-RateLimit-Reset-After` of a window's first request. */
  readonly windowMs: number;
  /** No request before this time (Unix ms): Discord said the bucket is empty, or answered 429. */
  readonly blockedUntil: number;
  /** Reserved send times (Unix ms), ascending; only the newest `limit` are kept. */
  readonly slots: readonly number[];
}

/** What a bucket looks like before Discord has told us anything (Discord's webhook limit: 5 per 2 s). */
export interface BucketDefaults {
  /** @defaultValue 5 */
  readonly limit: number;
  /** @defaultValue 2000 */
  readonly windowMs: number;
}

/** Discord's documented webhook-execute limit, used until headers say otherwise. */
export const DefaultBucketDefaults = { limit: 5, windowMs: 2000 } as const satisfies BucketDefaults;

/** Reads the Redis hash of a bucket (`HGETALL`; empty when none); missing or garbled fields fall back to defaults. */
export function parseBucketState(
  hash: Readonly<Record<string, string>>,
  defaults: BucketDefaults,
): BucketState {
  const limit = parsePositive(hash['limit']) ?? defaults.limit;
  const windowMs = parsePositive(hash['windowMs']) ?? defaults.windowMs;
  const blockedUntil = parsePositive(hash['blockedUntil']) ?? 0;
  const slots = (hash['slots'] ?? '')
    .split(',')
    .filter((part) => part !== '')
    .map(Number)
    .filter((slot) => Number.isFinite(slot))
    .sort((a, b) => a - b);
  return { limit, windowMs, blockedUntil, slots };
}

/**
 * The earliest time (Unix ms, never before `now`) a new request may be sent on this bucket: the same rule the
 * reserve script applies. A slot may follow the `limit`-th newest reservation only one window plus `marginMs`
 * later, so no window of Discord's, wherever it opens, holds more than `limit` of them.
 */
export function computeBucketFreeAt(state: BucketState, now: number, marginMs: number): number {
  const span = state.windowMs + marginMs;
  const live = state.slots.filter((slot) => slot > now - span);
  let freeAt = Math.max(now, state.blockedUntil, live.at(-1) ?? now);
  if (live.length >= state.limit) freeAt = Math.max(freeAt, live[live.length - state.limit]! + span);
  return freeAt;
}

/** How many more requests the bucket takes right now without waiting. */
export function computeBucketRoom(state: BucketState, now: number, marginMs: number): number {
  if (state.blockedUntil > now) return 0;
  const span = state.windowMs + marginMs;
  return Math.max(0, state.limit - state.slots.filter((slot) => slot > now - span).length);
}

function parsePositive(value: string | undefined): number | null {
  if (value === undefined) return null;
  const number = Number(value);
  return Number.isFinite(number) && number > 0 ? number : null;
}
