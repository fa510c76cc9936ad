import type { RedisClient } from './connection.js';
import { fetchRedisScripts } from './redis-scripts.js';
import { registerScripts, runScript } from './script-loader.js';

/**
 * Sets `field` of the hash `key` to `value` only if it still holds `expected`; resolves to whether it did.
 * For rewrites of a value read earlier (re-sealing a credential), which must lose to any write made meanwhile.
 */
export async function replaceHashFieldIf(
  redis: RedisClient,
  key: string,
  field: string,
  expected: string,
  value: string,
): Promise<boolean> {
  registerScripts(redis, fetchRedisScripts());
  return (await runScript<number>(redis, 'replaceHashFieldIf', [key], [field, expected, value])) === 1;
}
