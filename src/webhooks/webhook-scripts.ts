import { loadScripts, type RedisClient, registerScripts, runScript } from '../redis/index.js';

// Read once per process: the files sit beside this module (copied next to the JS by the build).
const scripts = loadScripts(new URL('./lua/', import.meta.url));

/** Names of the webhook manager's Lua scripts (`lua/<name>-<numKeys>.lua`). */
export type WebhookScriptName = 'releaseWebhookLock';

/** Registers the webhook scripts on `redis` (idempotent per client). */
export function registerWebhookScripts(redis: RedisClient): void {
  registerScripts(redis, scripts);
}

/** Runs one of the webhook scripts; its wrapper builds KEYS/ARGV and reads the reply. */
export function runWebhookScript<T>(
  redis: RedisClient,
  name: WebhookScriptName,
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
): Promise<T> {
  return runScript<T>(redis, name, keys, args);
}
