import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RedisClient } from './connection.js';
import { type QueueCommand, RedisBatch } from './redis-batch.js';

/** A Lua script ready for `defineCommand`. */
export interface ScriptDefinition {
  /** camelCase name, from the file name `<name>-<numberOfKeys>.lua` (`<name>-n.lua`: the caller's key count). */
  readonly name: string;
  /** null for a script taking any number of keys (every key still declared, for Redis Cluster). */
  readonly numberOfKeys: number | null;
  readonly lua: string;
}

const SCRIPT_FILE = /^([a-z][A-Za-z0-9]*)-(\d+|n)\.lua$/;
const INCLUDE_LINE = /^--- @include "([\w/:-]+)"\s*$/gm;
/** Commands are registered under this prefix so they never clash with BullMQ's on a shared client. */
const COMMAND_PREFIX = 'chorus:';
/** Where `--- @include "shared/<file>"` is read from: functions more than one area's scripts use. */
const SHARED_INCLUDES = fileURLToPath(new URL('./lua/', import.meta.url));

/**
 * Reads every `<name>-<keys>.lua` in `directory` (a `lua/` folder beside the module that owns the keys),
 * inlining `--- @include "includes/<file>"` lines from `directory/includes/<file>.lua`,
 * `--- @include "shared/<file>"` lines from this area's `lua/shared/<file>.lua`, and
 * `--- @include "<area>:includes/<file>"` lines from a lower area's `lua/includes/<file>.lua` (a script that does
 * several areas' steps of one slot in one call: the area owning each step keeps its Lua).
 */
export function loadScripts(directory: URL | string): ScriptDefinition[] {
  const root = typeof directory === 'string' ? directory : fileURLToPath(directory);
  const scripts: ScriptDefinition[] = [];
  for (const file of readdirSync(root).sort()) {
    const match = SCRIPT_FILE.exec(file);
    if (!match) continue;
    scripts.push({
      name: match[1]!,
      numberOfKeys: match[2] === 'n' ? null : Number(match[2]),
      lua: inlineIncludes(readFileSync(join(root, file), 'utf8'), root, new Set()),
    });
  }
  return scripts;
}

function inlineIncludes(lua: string, root: string, seen: Set<string>): string {
  return lua.replace(INCLUDE_LINE, (_line, include: string) => {
    const areaEnd = include.indexOf(':');
    // `<area>:<path>`: the area's lua/ folder sits beside this one's (src/<area>/lua, or dist/<area>/lua).
    const base = areaEnd < 0 ? root : join(root, '..', '..', include.slice(0, areaEnd), 'lua');
    const path = include.slice(areaEnd + 1);
    const name = path.startsWith('shared/') ? path : join(base, path);
    if (seen.has(name)) return '';
    seen.add(name);
    const file = path.startsWith('shared/')
      ? join(SHARED_INCLUDES, `${path}.lua`)
      : join(base, `${path}.lua`);
    return inlineIncludes(readFileSync(file, 'utf8'), base, seen);
  });
}

/** Commands whose key count the caller passes first (scripts named `<name>-n.lua`). */
const variadicCommands = new Set<string>();

/** Every registered script by name, for composing same-slot bundles from their sources. */
const definitions = new Map<string, ScriptDefinition>();

/**
 * Script lists already registered, per client. Areas register lazily before every script call (the hot path of
 * every reply): one WeakSet lookup then replaces a property probe per script. Process-wide because clients are;
 * weak so a closed client and its entry go together.
 */
const registeredLists = new WeakMap<RedisClient, WeakSet<readonly ScriptDefinition[]>>();

/** Registers scripts on a client once; later calls for the same client and name are no-ops. */
export function registerScripts(redis: RedisClient, scripts: readonly ScriptDefinition[]): void {
  let lists = registeredLists.get(redis);
  if (lists?.has(scripts)) return;
  for (const script of scripts) {
    definitions.set(script.name, script);
    const command = COMMAND_PREFIX + script.name;
    if (command in redis) continue;
    redis.defineCommand(
      command,
      script.numberOfKeys === null
        ? { lua: script.lua }
        : { numberOfKeys: script.numberOfKeys, lua: script.lua },
    );
    if (script.numberOfKeys === null) variadicCommands.add(command);
  }
  if (lists === undefined) {
    lists = new WeakSet();
    registeredLists.set(redis, lists);
  }
  lists.add(scripts);
}

/** A registered script's definition (its Lua with includes inlined), if one of that name was registered. */
export function findScript(name: string): ScriptDefinition | undefined {
  return definitions.get(name);
}

/**
 * Runs a registered script. The only way Chorus code runs Lua (no raw EVAL elsewhere); typed wrappers in
 * each area build KEYS/ARGV and interpret the reply. With a batch the script joins it, which may fold it with
 * other calls of its slot into one (see {@link RedisBatch.runScript}).
 */
export function runScript<T>(
  redis: RedisClient,
  name: string,
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
  batch?: RedisBatch,
): Promise<T> {
  if (typeof (redis as unknown as Record<string, unknown>)[COMMAND_PREFIX + name] !== 'function') {
    return Promise.reject(new Error(`Lua script "${name}" is not registered on this Redis client`));
  }
  const script = definitions.get(name);
  if (batch !== undefined && script !== undefined)
    return RedisBatch.runScript<T>(redis, batch, { script, keys, args });
  return RedisBatch.send<T>(redis, batch, keys[0] ?? '', queueScript(name, keys, args));
}

/**
 * The call of one registered script on a client or pipeline. A Cluster batch makes its pipelines when sent,
 * after the registration: ioredis gives each the scripts of its client, under the same names.
 */
export function queueScript(
  name: string,
  keys: readonly string[],
  args: ReadonlyArray<string | number>,
): QueueCommand {
  const command = COMMAND_PREFIX + name;
  const params = variadicCommands.has(command) ? [keys.length, ...keys, ...args] : [...keys, ...args];
  return (commands) => (commands as unknown as Record<string, ScriptCommand>)[command]!(...params);
}

type ScriptCommand = (...params: Array<string | number>) => unknown;
