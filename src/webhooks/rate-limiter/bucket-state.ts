/**
 * The shape of a webhook's rate-limit bucket until Discord's headers tell it. The state itself (learned limit and
 * window, block, reserved slots) lives in a Redis hash that only the scripts in `lua/` read and write: choosing a
 * webhook and reserving its slot must be one atomic step, shared by every worker.
 */

/** What a bucket looks like before Discord has told us anything (Discord's webhook limit: 5 per 2 s). */
export interface BucketDefaults {
  /** @defaultValue 5 */
  readonly limit: number;
  /** @defaultValue 2000 */
  readonly windowMs: number;
}

/** Discord's documented webhook-execute limit, used until headers say otherwise. */
export const DefaultBucketDefaults = { limit: 5, windowMs: 2000 } as const satisfies BucketDefaults;
