/**
 * Same-slot bundles against real Redis: a batch's script calls and reads of one client and slot go out as one
 * EVALSHA, each call settling with its own reply or error; a lone call goes as it would alone.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type MonitoredCommand, RedisMonitor } from '../../../bench/redis-monitor.js';
import { hashScript, loadChorusScripts } from '../../../bench/script-names.js';
import {
  composeBundleLua,
  RedisBatch,
  registerScripts,
  runScript,
  type ScriptDefinition,
} from '../../../src/redis/index.js';
import {
  createTestPrefix,
  createTestRedis,
  deleteKeysWithPrefix,
  TEST_REDIS_URL,
} from '../../support/redis.js';

/** Test scripts: names of their own, so they never meet the areas' scripts. */
const scripts: ScriptDefinition[] = [
  { name: 'bundleTestIncrement', numberOfKeys: 1, lua: 'return redis.call("INCRBY", KEYS[1], ARGV[1])' },
  {
    name: 'bundleTestAppendAll',
    numberOfKeys: null,
    lua: 'for index = 1, #KEYS do redis.call("RPUSH", KEYS[index], ARGV[1]) end\nreturn #KEYS',
  },
  { name: 'bundleTestRaise', numberOfKeys: 1, lua: 'redis.call("SET", KEYS[1], "before")\nerror("broken")' },
  { name: 'bundleTestRefuse', numberOfKeys: 1, lua: 'return redis.error_reply("refused")' },
  { name: 'bundleTestNothing', numberOfKeys: 1, lua: 'redis.call("DEL", KEYS[1])' },
];

const redis = createTestRedis();
let monitor: RedisMonitor;
let seen: MonitoredCommand[] = [];
let prefix: string;
const key = (name: string) => `${prefix}:{u:7}:${name}`;

/**
 * The commands the test sent (not run by Lua) since the last call, once MONITOR has seen a marker sent after
 * them: MONITOR reports asynchronously.
 */
async function takeSent(): Promise<MonitoredCommand[]> {
  const marker = `${prefix}:marker:${Math.random()}`;
  await redis.get(marker);
  while (!seen.some((command) => command.line.includes(marker))) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const sent = seen.filter((command) => !command.fromScript && !command.line.includes(':marker:'));
  seen = [];
  return sent;
}

beforeAll(async () => {
  registerScripts(redis, scripts);
  monitor = await RedisMonitor.start(TEST_REDIS_URL, (command) => {
    if (command.line.includes(prefix)) seen.push(command);
  });
});

beforeEach(() => {
  prefix = createTestPrefix();
  seen = [];
});

afterEach(async () => {
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  monitor.close();
  await redis.quit();
});

describe('a batch with several calls of one slot', () => {
  it('sends two scripts and two reads as one EVALSHA, each call answered as alone', async () => {
    await redis.hset(key('hash'), 'a', '1');
    await takeSent();
    const replies = await RedisBatch.together((batch) =>
      Promise.all([
        runScript(redis, 'bundleTestIncrement', [key('count')], [5], batch),
        RedisBatch.read(redis, batch, key('hash'), 'hgetall'),
        runScript(redis, 'bundleTestAppendAll', [key('list'), key('other')], ['x'], batch),
        RedisBatch.read(redis, batch, key('list'), 'lrange', 0, -1),
      ]),
    );
    // The scripts run in the order added, then the reads: the list read sees the append.
    expect(replies).toEqual([5, { a: '1' }, 2, ['x']]);
    const sent = await takeSent();
    // EVAL the first time a Redis meets this bundle (NOSCRIPT answers the EVALSHA), EVALSHA after.
    expect(sent.map((command) => command.name)).toEqual([expect.stringMatching(/^eval(sha)?$/)]);
    expect(sent[0]?.script).toBe('chorus:bundle(bundleTestIncrement+bundleTestAppendAll+readSlot)');
  });

  it('fails only the call that failed, whether it raised or answered an error', async () => {
    await redis.set(key('string'), 'not a list');
    await takeSent();
    const settled = await RedisBatch.together((batch) =>
      Promise.allSettled([
        runScript(redis, 'bundleTestRaise', [key('raised')], [], batch),
        runScript(redis, 'bundleTestIncrement', [key('count')], [1], batch),
        runScript(redis, 'bundleTestRefuse', [key('refused')], [], batch),
        runScript(redis, 'bundleTestAppendAll', [key('string')], ['x'], batch),
        runScript(redis, 'bundleTestNothing', [key('count')], [], batch),
        RedisBatch.read(redis, batch, key('string'), 'lrange', 0, -1),
        RedisBatch.read(redis, batch, key('string'), 'get'),
      ]),
    );
    expect(settled).toEqual([
      { status: 'rejected', reason: expect.objectContaining({ message: expect.stringMatching(/broken/) }) },
      { status: 'fulfilled', value: 1 },
      { status: 'rejected', reason: expect.objectContaining({ message: 'ERR refused' }) },
      {
        status: 'rejected',
        reason: expect.objectContaining({ message: expect.stringMatching(/WRONGTYPE/) }),
      },
      { status: 'fulfilled', value: null },
      {
        status: 'rejected',
        reason: expect.objectContaining({ message: expect.stringMatching(/WRONGTYPE/) }),
      },
      { status: 'fulfilled', value: 'not a list' },
    ]);
    expect((await takeSent()).map((command) => command.name)).toEqual([
      expect.stringMatching(/^eval(sha)?$/),
    ]);
    // What a failing script wrote before failing stays, as it would alone.
    expect(await redis.get(key('raised'))).toBe('before');
  });

  it('keeps a plain command of the slot between the scripts added before and after it', async () => {
    const replies = await RedisBatch.together((batch) =>
      Promise.all([
        runScript(redis, 'bundleTestIncrement', [key('count')], [1], batch),
        RedisBatch.send(redis, batch, key('count'), (commands) => commands.get(key('count'))),
        runScript(redis, 'bundleTestIncrement', [key('count')], [1], batch),
      ]),
    );
    expect(replies).toEqual([1, '1', 2]);
  });

  it('loads its script by itself when Redis has not cached it', async () => {
    // Lua no earlier run has sent, so the bundle's EVALSHA meets NOSCRIPT first.
    const uncached: ScriptDefinition = {
      name: 'bundleTestUncached',
      numberOfKeys: 1,
      lua: `-- ${prefix}\nreturn redis.call("INCRBY", KEYS[1], ARGV[1])`,
    };
    registerScripts(redis, [uncached]);
    const replies = await RedisBatch.together((batch) =>
      Promise.all([
        runScript(redis, 'bundleTestUncached', [key('count')], [2], batch),
        runScript(redis, 'bundleTestIncrement', [key('count')], [3], batch),
      ]),
    );
    expect(replies).toEqual([2, 5]);
  });
});

describe('a lone call of its slot', () => {
  it("goes as the script's own EVALSHA, and a lone read as its own command", async () => {
    const replies = await RedisBatch.together((batch) =>
      Promise.all([
        runScript(redis, 'bundleTestIncrement', [key('count')], [4], batch),
        RedisBatch.read(redis, batch, `${prefix}:{u:8}:missing`, 'get'),
      ]),
    );
    expect(replies).toEqual([4, null]);
    const sent = await takeSent();
    expect(sent.map((command) => command.name)).toEqual(['evalsha', 'get']);
    expect(sent[0]?.script).toBe(hashScript(scripts[0]!.lua));
  });
});

describe('composing', () => {
  it("makes one loadable script of every Chorus script's Lua", async () => {
    const lua = composeBundleLua(loadChorusScripts());
    expect(await redis.script('LOAD', lua)).toBe(hashScript(lua));
  });
});
