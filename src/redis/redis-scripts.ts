import { loadScripts, type ScriptDefinition } from './script-loader.js';

let scripts: ScriptDefinition[] | undefined;

/**
 * This area's scripts, read on first use and kept for the process: the files sit beside this module (copied
 * next to the JS by the build). Lazy because RedisBatch, which the loader imports, needs them too.
 */
export function fetchRedisScripts(): readonly ScriptDefinition[] {
  scripts ??= loadScripts(new URL('./lua/', import.meta.url));
  return scripts;
}
