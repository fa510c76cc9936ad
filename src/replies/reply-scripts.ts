import {
  loadScripts,
  type RedisBatch,
  type RedisClient,
  registerScripts,
  runScript,
} from '../redis/index.js';

/** The replies area's scripts, read once per process at import: they are part of the code, like the modules beside them. */
export const REPLY_SCRIPTS = loadScripts(new URL('./lua/', import.meta.url));

/** Runs one of this area's scripts (in `batch` when given), registering them on the client on first use. */
export function runReplyScript<T>(
  redis: RedisClient,
  name: string,
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
  batch?: RedisBatch,
): Promise<T> {
  registerScripts(redis, REPLY_SCRIPTS);
  return runScript<T>(redis, name, keys, args, batch);
}
