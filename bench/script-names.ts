import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadScripts } from '../src/redis/index.js';

/** A Lua script as `defineCommand` loads it, for naming its EVALSHA. */
export interface LoadedScript {
  readonly name: string;
  readonly lua: string;
}

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** The SHA1 Redis knows a script by (what ioredis's `defineCommand` sends with EVALSHA). */
export function hashScript(lua: string): string {
  return createHash('sha1').update(lua).digest('hex');
}

/** Our scripts, each folder `src/**\/lua/` read as the areas load it (includes inlined), named `chorus:<name>`. */
export function loadChorusScripts(): LoadedScript[] {
  const folders = readdirSync(SRC, { recursive: true, withFileTypes: true }).filter(
    (entry) => entry.isDirectory() && entry.name === 'lua',
  );
  return folders.flatMap((folder) =>
    loadScripts(join(folder.parentPath, folder.name)).map((script) => ({
      name: `chorus:${script.name}`,
      lua: script.lua,
    })),
  );
}

/** BullMQ's scripts as its connection defines them (the package's own list), named `bullmq:<name>`. */
function loadBullmqScripts(): LoadedScript[] {
  // The CommonJS build: the ESM one re-exports without file extensions, which Node's resolver refuses.
  const scripts = createRequire(import.meta.url)('bullmq/dist/cjs/scripts/index.js') as Record<
    string,
    { name: string; content: string }
  >;
  return Object.values(scripts).map((script) => ({ name: `bullmq:${script.name}`, lua: script.content }));
}

/**
 * SHA1 → script name for every script Chorus and BullMQ load, so MONITOR's EVALSHA lines can be named. A
 * same-slot bundle needs no entry: the monitor names its call by the label it carries.
 */
export function buildScriptNames(): Map<string, string> {
  return new Map(
    [...loadChorusScripts(), ...loadBullmqScripts()].map((script) => [hashScript(script.lua), script.name]),
  );
}
