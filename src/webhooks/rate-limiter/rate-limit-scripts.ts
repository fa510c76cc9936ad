import { loadScripts, type RedisClient, registerScripts, runScript } from '../../redis/index.js';

// Read once per process: the files sit beside this module (copied next to the JS by the build).
const scripts = loadScripts(new URL('./lua/', import.meta.url));

/** Names of the rate limiter's Lua scripts (`lua/<name>-<numKeys>.lua`). */
export type RateLimitScriptName =
  | 'reserveWebhookSendSlot'
  | 'releaseWebhookSendSlot'
  | 'deferGlobalWebhookSlots'
  | 'blockWebhookChannel'
  | 'recordWebhookBucketResponse';

/** Registers the rate limiter's scripts on `redis` (idempotent per client). */
export function registerRateLimitScripts(redis: RedisClient): void {
  registerScripts(redis, scripts);
}

/** Runs one of the rate limiter's scripts; its wrapper builds KEYS/ARGV and reads the reply. */
export function runRateLimitScript<T>(
  redis: RedisClient,
  name: RateLimitScriptName,
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
): Promise<T> {
  return runScript<T>(redis, name, keys, args);
}
