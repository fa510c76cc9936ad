/**
 * Every key a Lua script touches is declared in KEYS (Redis Cluster routes a script by its declared keys and
 * refuses undeclared ones). A script may name a key by `KEYS[…]`, by a local set from `KEYS[…]`, by a
 * function parameter, or by `keys[…]` in an include's function given its script's KEYS as `keys`; a key built inside the script (`ARGV[1] .. id`) or taken from ARGV fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

/** Every `.lua` file under src/ (includes too), relative to src/. */
function listLuaFiles(): string[] {
  return readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.lua'))
    .sort();
}

/** The first argument of each `redis.call('<CMD>', <key>` (or `redis.pcall`) in `lua`. */
function readKeyArguments(lua: string): string[] {
  return [...lua.matchAll(/redis\.p?call\(\s*'[A-Za-z]+'\s*,\s*([^,)]+)/g)].map((match) => match[1]!.trim());
}

/** Names a key may go by: locals set from KEYS, parameters of the script's functions, `<table>.key`. */
function readKeyNames(lua: string): Set<string> {
  const names = new Set<string>();
  // `local a = KEYS[1]`, or several at once: `local a, b = KEYS[1], KEYS[2]` (`keys[…]` in an include's function).
  for (const match of lua.matchAll(/local\s+(\w+(?:\s*,\s*\w+)*)\s*=\s*(?:KEYS|keys)\[/g))
    for (const name of match[1]!.split(',')) names.add(name.trim());
  for (const match of lua.matchAll(/function\s*\w*\s*\(([^)]*)\)/g))
    for (const parameter of match[1]!.split(',')) if (parameter.trim() !== '') names.add(parameter.trim());
  if (/\bkey\s*=\s*KEYS\[/.test(lua)) for (const match of lua.matchAll(/(\w+\.key)\b/g)) names.add(match[1]!);
  // A loop over a table of declared keys: `for _, key in ipairs({ a, b })`.
  for (const match of lua.matchAll(/for\s+\w+\s*,\s*(\w+)\s+in\s+ipairs\(\{([^}]*)\}\)/g))
    if (match[2]!.split(',').every((name) => names.has(name.trim()))) names.add(match[1]!);
  return names;
}

/** The key arguments of `lua` that are not declared keys (comments ignored). */
function findUndeclaredKeys(lua: string): string[] {
  const code = lua.replace(/--\[\[[\s\S]*?\]\]|--[^\n]*/g, '');
  const names = readKeyNames(code);
  // `keys[…]`: an include's function given its script's KEYS (or a slice of them) as `keys`.
  return readKeyArguments(code).filter(
    (argument) => !/^(?:KEYS|keys)\[[^\]]+\]$/.test(argument) && !names.has(argument),
  );
}

describe('Lua scripts', () => {
  const files = listLuaFiles();

  it('are all found', () => {
    expect(files.length).toBeGreaterThan(20);
  });

  describe.each(files)('%s', (file) => {
    it('touches only keys declared in KEYS', () => {
      expect(findUndeclaredKeys(readFileSync(join(SRC, file), 'utf8'))).toEqual([]);
    });
  });

  describe('the check itself', () => {
    it.each([
      ["redis.call('DEL', ARGV[1] .. suffix)", ['ARGV[1] .. suffix']],
      ["redis.call('HGET', ARGV[3] .. first[1], 'timestamp')", ['ARGV[3] .. first[1]']],
      ["local key = ARGV[1]\nredis.call('GET', key)", ['key']],
      ["local key = KEYS[2]\nredis.call('GET', key)", []],
      ["local function f(k)\n  return redis.call('GET', k)\nend", []],
      ["local function f(keys)\n  return redis.call('GET', keys[2])\nend", []],
    ])('%s → %j', (lua, expected) => {
      expect(findUndeclaredKeys(lua)).toEqual(expected);
    });
  });
});
