import {
  loadScripts,
  type RedisBatch,
  type RedisClient,
  registerScripts,
  runScript,
} from '../redis/index.js';

// Read once per process at import: the scripts are part of the code, like the modules beside them.
const CONTEXT_SCRIPTS = loadScripts(new URL('./lua/', import.meta.url));

/** Names of the context area's scripts (`<name>-<keys>.lua` in `./lua/`). */
export const ContextScript = {
  appendLines: 'appendLines',
  cacheFetchedLines: 'cacheFetchedLines',
  fetchRecentLines: 'fetchRecentLines',
  recordLineEdit: 'recordLineEdit',
  removeLines: 'removeLines',
  forgetUserLines: 'forgetUserLines',
  indexUserWindow: 'indexUserWindow',
} as const;
export type ContextScriptName = (typeof ContextScript)[keyof typeof ContextScript];

/** Runs one of this area's scripts (in `batch` when given), registering them on the client on first use. */
export function runContextScript<T>(
  redis: RedisClient,
  name: ContextScriptName,
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
  batch?: RedisBatch,
): Promise<T> {
  registerScripts(redis, CONTEXT_SCRIPTS);
  return runScript<T>(redis, name, keys, args, batch);
}
