import { buildKey, buildUserTag } from '../redis/index.js';

/** Progress record of one reply job, in its user's slot (see DeliveryLedger). */
export function buildDeliveryKey(prefix: string, userId: string, jobId: string): string {
  return buildKey(prefix, 'replies', buildUserTag(userId), 'delivery', jobId);
}
