/**
 * shared/boundIndex against real Redis, through a script that only runs it: the member recorded at `now`,
 * the count bound on every new member and the age bound once the index is full (never dropping the member, even
 * when it ties with the oldest), the dropped members returned, the key's TTL, the commands each case runs, and
 * the migration of an index still in the older SET shape.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadScripts, registerScripts, runScript } from '../../../src/redis/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';
import { scriptCommandsRunBy } from '../../support/script-commands.js';

const redis = createTestRedis();
const NOW = 1_000_000;
const MAX_AGE_MS = 60_000;
let directory: string;
let prefix: string;
let key: string;

function record(member: string, maxCount: number, now = NOW): Promise<string[]> {
  return runScript<string[]>(redis, 'recordInBoundIndex', [key], [member, now, MAX_AGE_MS, maxCount]);
}

async function entries(): Promise<Array<[string, number]>> {
  const flat = await redis.zrange(key, '0', '-1', 'WITHSCORES');
  const pairs: Array<[string, number]> = [];
  for (let index = 0; index < flat.length; index += 2) pairs.push([flat[index]!, Number(flat[index + 1])]);
  return pairs;
}

/** The commands Lua ran on the index while `action` ran, by name, as MONITOR reports them. */
function commandsRunBy(action: () => Promise<unknown>): Promise<string[]> {
  return scriptCommandsRunBy(redis, key, action);
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'chorus-bound-index-'));
  writeFileSync(
    join(directory, 'recordInBoundIndex-1.lua'),
    '--- @include "shared/boundIndex"\n' +
      'return boundIndex(KEYS[1], ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]))',
  );
  registerScripts(redis, loadScripts(directory));
  await redis.ping();
});

beforeEach(() => {
  prefix = createTestPrefix();
  key = `${prefix}:{u:1}:index`;
});

afterEach(async () => {
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  rmSync(directory, { recursive: true, force: true });
  await redis.quit();
});

describe('boundIndex', () => {
  it('records the member at now and makes the key expire the max age after the write', async () => {
    expect(await record('a', 10)).toEqual([]);
    expect(await entries()).toEqual([['a', NOW]]);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(MAX_AGE_MS - 5_000);
    expect(ttl).toBeLessThanOrEqual(MAX_AGE_MS);
  });

  it('moves a member already there to now, dropping nothing', async () => {
    await record('a', 2, NOW - 10);
    await record('b', 2, NOW - 5);
    expect(await record('a', 2)).toEqual([]);
    expect(await entries()).toEqual([
      ['b', NOW - 5],
      ['a', NOW],
    ]);
  });

  it('keeps aged entries while the index is below its cap, dropping nothing', async () => {
    await redis.zadd(key, NOW - MAX_AGE_MS - 1, 'aged', NOW - 10, 'a');
    expect(await record('new', 10)).toEqual([]);
    expect(await entries()).toEqual([
      ['aged', NOW - MAX_AGE_MS - 1],
      ['a', NOW - 10],
      ['new', NOW],
    ]);
  });

  it('drops every aged entry once the index is full, keeping one exactly at the cutoff', async () => {
    await redis.zadd(
      key,
      NOW - MAX_AGE_MS - 2,
      'old',
      NOW - MAX_AGE_MS - 1,
      'older-by-one',
      NOW - MAX_AGE_MS,
      'edge',
    );
    expect(await record('new', 4)).toEqual(['old', 'older-by-one']);
    expect(await entries()).toEqual([
      ['edge', NOW - MAX_AGE_MS],
      ['new', NOW],
    ]);
  });

  it('drops the aged entries beyond those over the cap when even the newest of those is aged', async () => {
    await redis.zadd(key, NOW - MAX_AGE_MS - 3, 'x', NOW - MAX_AGE_MS - 2, 'y', NOW - MAX_AGE_MS - 1, 'z');
    expect(await record('new', 3)).toEqual(['x', 'y', 'z']);
    expect(await entries()).toEqual([['new', NOW]]);
  });

  it('drops the oldest beyond the cap, after the aged ones, and returns both in that order', async () => {
    await redis.zadd(key, NOW - MAX_AGE_MS - 1, 'aged', NOW - 30, 'c', NOW - 20, 'b', NOW - 10, 'a');
    expect(await record('new', 2)).toEqual(['aged', 'c', 'b']);
    expect(await entries()).toEqual([
      ['a', NOW - 10],
      ['new', NOW],
    ]);
  });

  it('drops the aged entries among those over the cap, even past the count', async () => {
    await redis.zadd(key, NOW - MAX_AGE_MS - 2, 'x', NOW - MAX_AGE_MS - 1, 'y', NOW - 20, 'b', NOW - 10, 'a');
    expect(await record('new', 4)).toEqual(['x', 'y']);
    expect(await entries()).toEqual([
      ['b', NOW - 20],
      ['a', NOW - 10],
      ['new', NOW],
    ]);
  });

  it('moves a member to now without dropping aged entries', async () => {
    await redis.zadd(key, NOW - MAX_AGE_MS - 1, 'aged', NOW - 10, 'a');
    expect(await record('a', 2)).toEqual([]);
    expect(await entries()).toEqual([
      ['aged', NOW - MAX_AGE_MS - 1],
      ['a', NOW],
    ]);
  });

  it('never drops the member, even when it ties with the oldest at now and sorts first', async () => {
    await redis.zadd(key, NOW, 'm', NOW, 'n', NOW, 'o');
    expect(await record('a', 2)).toEqual(['m', 'n']);
    expect(await entries()).toEqual([
      ['a', NOW],
      ['o', NOW],
    ]);
  });

  it('keeps only the member under a cap below one', async () => {
    await redis.zadd(key, NOW - 1, 'b');
    expect(await record('a', 0)).toEqual(['b']);
    expect(await entries()).toEqual([['a', NOW]]);
  });

  it('migrates an index still in the SET shape, its members dated now, then bounds it', async () => {
    await redis.sadd(key, 'x', 'y', 'z');
    const dropped = await record('a', 3);
    expect(dropped).toEqual(['x']);
    expect(await redis.type(key)).toBe('zset');
    expect(await entries()).toEqual([
      ['a', NOW],
      ['y', NOW],
      ['z', NOW],
    ]);
    expect(await redis.pttl(key)).toBeGreaterThan(0);
  });

  it('bounds a migrated SET that already held the member', async () => {
    await redis.sadd(key, 'a', 'b', 'c');
    expect(await record('a', 2)).toEqual(['b']);
    expect(await entries()).toEqual([
      ['a', NOW],
      ['c', NOW],
    ]);
  });

  it('raises the error of a key of any other type, leaving it alone', async () => {
    await redis.set(key, 'text');
    await expect(record('a', 2)).rejects.toThrow(/WRONGTYPE/);
    expect(await redis.get(key)).toBe('text');
  });

  it('runs three commands to add a member and two to move one, when nothing is to drop', async () => {
    await record('a', 10, NOW - 10);
    expect(await commandsRunBy(() => record('b', 10))).toEqual(['zadd', 'zrange', 'pexpire']);
    expect(await commandsRunBy(() => record('a', 10))).toEqual(['zadd', 'pexpire']);
  });

  it('runs four to add a member to a full index, dropping the oldest', async () => {
    await record('a', 2, NOW - 10);
    await record('b', 2, NOW - 5);
    expect(await commandsRunBy(() => record('c', 2))).toEqual(['zadd', 'zrange', 'zrem', 'pexpire']);
    expect(await entries()).toEqual([
      ['b', NOW - 5],
      ['c', NOW],
    ]);
  });
});
