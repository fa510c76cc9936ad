/**
 * Same-slot bundles: the Lua composed from the scripts' own sources, and the parameters a bundle call sends.
 */
import { describe, expect, it } from 'vitest';
import type { ScriptDefinition } from '../../../src/redis/index.js';
import { buildBundleParams, composeBundleLua } from '../../../src/redis/slot-bundle.js';

const incrementBy: ScriptDefinition = {
  name: 'incrementBy',
  numberOfKeys: 1,
  lua: 'local amount = tonumber(ARGV[1])\nreturn redis.call("INCRBY", KEYS[1], amount)',
};
const readAll: ScriptDefinition = {
  name: 'readAll',
  numberOfKeys: null,
  lua: 'local replies = {}\nfor index = 1, #KEYS do replies[index] = redis.call("GET", KEYS[index]) end\nreturn replies',
};

describe('composeBundleLua', () => {
  const lua = composeBundleLua([incrementBy, readAll]);

  it('wraps each script, unchanged, as a function of its own KEYS and ARGV', () => {
    expect(lua).toContain(`OPERATIONS['incrementBy'] = function(KEYS, ARGV)\n${incrementBy.lua}\nend\n`);
    expect(lua).toContain(`OPERATIONS['readAll'] = function(KEYS, ARGV)\n${readAll.lua}\nend\n`);
  });

  it('keeps the scripts in a table, so none of their names is a local of the bundle', () => {
    expect(lua).toContain('local OPERATIONS = {}');
    expect(lua).not.toMatch(/local function (incrementBy|readAll)/);
  });

  it('opens with a header naming the scripts and the layout, and ends by answering every reply', () => {
    expect(lua.startsWith('--[[\n  A bundle of incrementBy, readAll')).toBe(true);
    expect(lua).toContain('pcall(OPERATIONS[name], keys, args)');
    expect(lua.trimEnd().endsWith('return replies')).toBe(true);
  });
});

describe('buildBundleParams', () => {
  it('concatenates the keys and labels the call, then gives each operation its key count, argument count and arguments', () => {
    const params = buildBundleParams([
      { script: incrementBy, keys: ['{u:1}:a'], args: [5] },
      { script: readAll, keys: ['{u:1}:b', '{u:1}:c'], args: [] },
      { script: incrementBy, keys: ['{u:1}:a'], args: ['-2'] },
    ]);
    expect(params).toEqual({
      keys: ['{u:1}:a', '{u:1}:b', '{u:1}:c', '{u:1}:a'],
      args: ['chorus:bundle(incrementBy+readAll+incrementBy)', 1, 1, 5, 2, 0, 1, 1, '-2'],
    });
  });
});
