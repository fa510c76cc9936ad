import { loadScripts, type RedisClient, registerScripts, runScript } from '../redis/index.js';

// Read once per process at import: the scripts are part of the code, like the modules beside them.
const GUILD_SCRIPTS = loadScripts(new URL('./lua/', import.meta.url));

/** Runs one of this area's scripts, registering them on the client on first use. */
export function runGuildScript<T>(
  redis: RedisClient,
  name: 'writeGuildSettings',
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
): Promise<T> {
  registerScripts(redis, GUILD_SCRIPTS);
  return runScript<T>(redis, name, keys, args);
}
