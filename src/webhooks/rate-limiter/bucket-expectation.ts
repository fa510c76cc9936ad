import type { RateLimitObservation } from './rate-limit-headers.js';

/**
 * What a reservation left in its webhook bucket's shared state, so the response to its request can be checked
 * against it: a response that only confirms what the reservation already counted need not be recorded.
 */
export interface BucketExpectation {
  /** The limit the bucket was reserved under (learned from Discord's headers, else assumed). */
  readonly limit: number;
  /** The window the bucket was reserved under, ms (likewise). */
  readonly windowMs: number;
  /** The bucket's reserved send times as the reservation stored them, ascending Unix ms, this request's last. */
  readonly slots: readonly number[];
}

/**
 * Whether a 2xx response tells the fleet something its bucket's reservations did not already hold: the tests of
 * `recordWebhookBucketResponse-1.lua`, on the state the reservation saw, true wherever that script would change
 * what a later reservation decides. A limit or window equal to the one reserved under is no news even when the
 * bucket has not stored it: reservations would decide the same with it. Slots reserved after this one are not
 * seen here; they only make Discord's count look higher than ours, so the answer errs towards recording.
 * `marginMs`: how late a send may reach Discord after its slot.
 */
export function bringsNews(
  expectation: BucketExpectation,
  observation: RateLimitObservation,
  now: number,
  marginMs: number,
): boolean {
  const { limit, remaining, resetAfterMs } = observation;
  if (limit !== null && limit >= 1 && limit !== expectation.limit) return true;
  // A window's first request says the whole window.
  const opensWindow = remaining === expectation.limit - 1 && resetAfterMs !== null && resetAfterMs > 0;
  if (opensWindow && resetAfterMs !== expectation.windowMs) return true;
  if (remaining === null || resetAfterMs === null) return false;
  if (remaining === 0 && emptiesLaterThanExpected(expectation, now + resetAfterMs, marginMs)) return true;
  // Discord's open window started `window - reset-after` ago; our sends since then (less the margin) are in it.
  const windowStart = Math.min(now, now + resetAfterMs - expectation.windowMs);
  const counted = expectation.slots.filter((slot) => slot > windowStart - marginMs && slot <= now).length;
  return expectation.limit - remaining > counted;
}

/**
 * Discord said the bucket is empty until `resetAt`: news unless the reservations already hold the bucket's next
 * send until then (the `limit`-th newest slot plus window and margin).
 */
function emptiesLaterThanExpected(
  expectation: BucketExpectation,
  resetAt: number,
  marginMs: number,
): boolean {
  const { limit, windowMs, slots } = expectation;
  const oldestInWindow = slots[slots.length - limit];
  return oldestInWindow === undefined || resetAt > oldestInWindow + windowMs + marginMs;
}
