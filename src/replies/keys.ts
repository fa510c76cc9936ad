import { buildKey, buildUserTag } from '../redis/index.js';

/** Progress record of one reply job, in its user's slot (see DeliveryLedger). */
export function buildDeliveryKey(prefix: string, userId: string, jobId: string): string {
  return buildKey(prefix, 'replies', buildUserTag(userId), 'delivery', jobId);
}

/**
 * ZSET job id → decision time (Unix ms): the user's jobs with a delivery record, so /forget-me can erase them
 * without SCAN. Bounded by count, and by age once full (see shared/boundIndex; a SET in older versions, migrated on
 * write).
 */
export function buildDeliveryIndexKey(prefix: string, userId: string): string {
  return buildKey(prefix, 'replies', buildUserTag(userId), 'deliveries');
}
