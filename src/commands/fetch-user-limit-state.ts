import type { AdmissionLimits } from '../queue/index.js';
import { buildPendingKey, buildPrioritiesKey } from '../queue/keys.js';
import type { RedisClient } from '../redis/index.js';
import { buildUserLimitState, type UserLimitState } from './user-limit-state.js';

/**
 * Reads a user's pending replies and token bucket (fields of the priorities hash) without changing them (the
 * queue area's admission script owns both; this only looks). Both keys share the user's slot: one transaction.
 */
export async function fetchUserLimitState(
  redis: RedisClient,
  prefix: string,
  userId: string,
  limits: Pick<AdmissionLimits, 'userMaxPending' | 'userRatePerMinute' | 'userBurst'>,
  now: number,
): Promise<UserLimitState> {
  const replies =
    (await redis
      .multi()
      // Leases that expired are not pending any more (admission prunes them lazily).
      .zcount(buildPendingKey(prefix, userId), `(${now}`, '+inf')
      .hmget(buildPrioritiesKey(prefix, userId), 'tokens', 'at')
      .exec()) ?? [];
  const pendingCount = Number(replies[0]?.[1] ?? 0);
  const [bucketTokens, bucketAt] = (replies[1]?.[1] as Array<string | null> | undefined) ?? [null, null];
  return buildUserLimitState(
    { pendingCount, bucketTokens: bucketTokens ?? null, bucketAt: bucketAt ?? null },
    limits,
    now,
  );
}
