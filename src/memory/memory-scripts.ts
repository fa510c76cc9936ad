import { loadScripts, type RedisClient, registerScripts, runScript } from '../redis/index.js';

// Read once per process at import: the scripts are part of the code, like the modules beside them.
const MEMORY_SCRIPTS = loadScripts(new URL('./lua/', import.meta.url));

/** Runs one of this area's scripts, registering them on the client on first use. */
export function runMemoryScript<T>(
  redis: RedisClient,
  name: 'foldSummary' | 'releaseClaim' | 'addNote',
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
): Promise<T> {
  registerScripts(redis, MEMORY_SCRIPTS);
  return runScript<T>(redis, name, keys, args);
}
