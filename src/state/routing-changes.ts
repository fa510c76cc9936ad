import type { RedisClient } from '../redis/index.js';
import { buildRoutingChangesChannel } from './keys.js';

/** What changed, for logs: a gateway's routing cache forgets everything on any change (they are rare). */
export type RoutingChange = 'activation' | 'guild-settings' | 'personality';

/**
 * Tells every gateway that something its routing cache may hold changed (`RoutingCache` in the gateway
 * subscribes). Published after the write landed, so a gateway reading again on the notice reads the change.
 */
export async function publishRoutingChange(
  redis: RedisClient,
  prefix: string,
  change: RoutingChange,
): Promise<void> {
  await redis.publish(buildRoutingChangesChannel(prefix), change);
}
