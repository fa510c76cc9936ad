/**
 * Lua scripts through runScript against real Redis: alone, and inside a RedisBatch with other commands (one
 * write), for scripts with a fixed key count and for those taking any number of keys.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadScripts, RedisBatch, registerScripts, runScript } from '../../../src/redis/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { spyOnSocketWrites } from '../../support/socket-writes.js';

const redis = createTestRedis();
let directory: string;
let prefix: string;

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'chorus-scripts-'));
  // Sets KEYS[1] to ARGV[1] and answers the value it replaced.
  writeFileSync(join(directory, 'swapValue-1.lua'), "return redis.call('SET', KEYS[1], ARGV[1], 'GET')");
  // Answers how many keys and arguments it was given.
  writeFileSync(join(directory, 'countParams-n.lua'), 'return { #KEYS, #ARGV }');
  registerScripts(redis, loadScripts(directory));
  await redis.ping();
});

beforeEach(() => {
  prefix = createTestPrefix();
});

afterEach(async () => {
  vi.restoreAllMocks();
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  rmSync(directory, { recursive: true, force: true });
  await redis.quit();
});

describe('loadScripts', () => {
  it('inlines a shared include from the redis area, once', () => {
    const own = mkdtempSync(join(tmpdir(), 'chorus-scripts-'));
    try {
      writeFileSync(
        join(own, 'useShared-1.lua'),
        '--- @include "shared/boundIndex"\n--- @include "shared/boundIndex"\nreturn 1',
      );
      const [script] = loadScripts(own);
      expect(script?.lua.match(/local function boundIndex/g)).toHaveLength(1);
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});

describe('loadScripts with another area’s include', () => {
  it("inlines it from that area's lua/ folder, its own includes from there too, once", () => {
    const src = mkdtempSync(join(tmpdir(), 'chorus-areas-'));
    try {
      mkdirSync(join(src, 'upper', 'lua'), { recursive: true });
      mkdirSync(join(src, 'lower', 'lua', 'includes'), { recursive: true });
      writeFileSync(
        join(src, 'upper', 'lua', 'useLower-1.lua'),
        '--- @include "lower:includes/step"\n--- @include "lower:includes/step"\nreturn step()',
      );
      writeFileSync(
        join(src, 'lower', 'lua', 'includes', 'step.lua'),
        '--- @include "includes/inner"\nlocal function step() return inner() end',
      );
      writeFileSync(
        join(src, 'lower', 'lua', 'includes', 'inner.lua'),
        'local function inner() return 1 end',
      );
      const [script] = loadScripts(join(src, 'upper', 'lua'));
      expect(script?.lua.match(/local function step/g)).toHaveLength(1);
      expect(script?.lua).toContain('local function inner');
    } finally {
      rmSync(src, { recursive: true, force: true });
    }
  });
});

describe('runScript', () => {
  describe('without a batch', () => {
    it('runs the script on its own', async () => {
      const key = `${prefix}:value`;
      await redis.set(key, 'before');
      expect(await runScript(redis, 'swapValue', [key], ['after'])).toBe('before');
      expect(await redis.get(key)).toBe('after');
    });

    it('passes the key count of a script that takes any number of keys', async () => {
      expect(await runScript(redis, 'countParams', [`${prefix}:a`, `${prefix}:b`], ['x'])).toEqual([2, 1]);
    });
  });

  describe('in a batch', () => {
    it('sends the scripts and the plain commands in one write, in the order added', async () => {
      const key = `${prefix}:value`;
      const writes = spyOnSocketWrites(redis);
      const replies = await RedisBatch.together((batch) =>
        Promise.all([
          runScript(redis, 'swapValue', [key], ['first'], batch),
          RedisBatch.send(redis, batch, key, (commands) => commands.get(key)),
          runScript(redis, 'countParams', [key, `${prefix}:other`, `${prefix}:third`], [], batch),
          runScript(redis, 'swapValue', [key], ['second'], batch),
        ]),
      );
      expect(replies).toEqual([null, 'first', [3, 0], 'first']);
      expect(writes()).toBe(1);
    });
  });

  describe('when the script was never registered on the client', () => {
    it('rejects without sending anything', async () => {
      await expect(runScript(redis, 'neverDefined', [`${prefix}:x`], [])).rejects.toThrow(
        /"neverDefined" is not registered/,
      );
    });
  });
});
