import { buildKey, buildUserTag } from '../redis/index.js';

/** Progress record of one reply job, in its user's slot (see DeliveryLedger). */
export function buildDeliveryKey(prefix: string, userId: string, jobId: string): string {
  return buildKey(prefix, 'replies', buildUserTag(userId), 'delivery', jobId);
}

/** SET of the job ids with a delivery record for a user, so /forget-me can erase them without SCAN. */
export function buildDeliveryIndexKey(prefix: string, userId: string): string {
  return buildKey(prefix, 'replies', buildUserTag(userId), 'deliveries');
}
