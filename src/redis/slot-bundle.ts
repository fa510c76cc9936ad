import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from './connection.js';
import type { QueueCommand } from './redis-batch.js';
import type { ScriptDefinition } from './script-loader.js';

/**
 * The first ARGV of every bundle call: `chorus:bundle(<name>+<name>…)`, its operations' scripts in the order
 * they run. The bundle's Lua reads the order from it, and a MONITOR line names the call by it (a bundle's SHA1
 * is only known at run time).
 */
export const BUNDLE_LABEL_PREFIX = 'chorus:bundle(';

/** One script call of a bundle: which script, with its own KEYS and ARGV. */
export interface BundledOperation {
  readonly script: ScriptDefinition;
  readonly keys: readonly string[];
  readonly args: ReadonlyArray<string | number>;
}

/** Runs each operation under pcall, in the label's order, and answers one reply (or error) per operation. */
const DISPATCHER = `
local replies = {}
local keyAt, argAt = 1, 2
local index = 0
for name in string.gmatch(string.sub(ARGV[1], ${BUNDLE_LABEL_PREFIX.length + 1}, -2), '[^+]+') do
  local keyCount, argCount = tonumber(ARGV[argAt]), tonumber(ARGV[argAt + 1])
  local keys, args = {}, {}
  for offset = 1, keyCount do keys[offset] = KEYS[keyAt + offset - 1] end
  for offset = 1, argCount do args[offset] = ARGV[argAt + 1 + offset] end
  keyAt, argAt = keyAt + keyCount, argAt + 2 + argCount
  index = index + 1
  local ok, reply = pcall(OPERATIONS[name], keys, args)
  if not ok then
    -- redis.call raises { err = … }; error() raises a string: either way an error reply in this place.
    reply = type(reply) == 'table' and reply.err ~= nil and reply or { err = tostring(reply) }
  elseif reply == nil then
    -- A nil would end the reply array early: false is what Redis answers as a nil reply.
    reply = false
  end
  replies[index] = reply
end
return replies
`;

/**
 * The bundle's Lua for a set of scripts: each script's source (includes already inlined) as a function of its
 * own KEYS and ARGV, kept in a table so no script's locals or name can clash with another's or the
 * dispatcher's, then the dispatcher. Exported for its tests.
 */
export function composeBundleLua(scripts: ReadonlyArray<Pick<ScriptDefinition, 'name' | 'lua'>>): string {
  const names = scripts.map((script) => script.name).join(', ');
  const functions = scripts.map(
    (script) => `OPERATIONS['${script.name}'] = function(KEYS, ARGV)\n${script.lua}\nend\n`,
  );
  return (
    [
      `--[[\n  A bundle of ${names}: several calls of one slot as one.`,
      '  KEYS     every operation’s keys, one after another',
      '  ARGV[1]  chorus:bundle(<script>+<script>…), the scripts in the order they run',
      '  ARGV     then per operation: its key count, its argument count, its arguments',
      '  Returns  each operation’s reply in its place (an error reply where it failed, false for nil)\n]]',
      'local OPERATIONS = {}',
      ...functions,
    ].join('\n') + DISPATCHER
  );
}

/** The parameters of a bundle call of `operations`, in the order given: its label, then each one's share. */
export function buildBundleParams(operations: readonly BundledOperation[]): {
  keys: string[];
  args: Array<string | number>;
} {
  const label = `${BUNDLE_LABEL_PREFIX}${operations.map((operation) => operation.script.name).join('+')})`;
  return {
    keys: operations.flatMap((operation) => operation.keys),
    args: [
      label,
      ...operations.flatMap((operation) => [operation.keys.length, operation.args.length, ...operation.args]),
    ],
  };
}

/** Composed Lua per set of script names (sorted, `+`-joined): one bundle serves every order of its scripts. */
const composedBundles = new Map<string, string>();

/**
 * Defines (once per client) the bundle command running `operations`' scripts and returns its call, in the
 * order given. Defined like the areas' scripts, so it goes out as EVALSHA with ioredis's NOSCRIPT fallback.
 */
export function queueBundle(redis: RedisClient, operations: readonly BundledOperation[]): QueueCommand {
  const scripts = [
    ...new Map(operations.map((operation) => [operation.script.name, operation.script])).values(),
  ].sort((a, b) => (a.name < b.name ? -1 : 1));
  const setName = scripts.map((script) => script.name).join('+');
  const command = `chorus:bundle:${setName}`;
  if (!(command in redis)) {
    let lua = composedBundles.get(setName);
    if (lua === undefined) {
      lua = composeBundleLua(scripts);
      composedBundles.set(setName, lua);
    }
    redis.defineCommand(command, { lua });
  }
  const { keys, args } = buildBundleParams(operations);
  return (commands: ChainableCommander) =>
    (commands as unknown as Record<string, (...params: Array<string | number>) => unknown>)[command]!(
      keys.length,
      ...keys,
      ...args,
    );
}
