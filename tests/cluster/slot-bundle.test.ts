/**
 * Same-slot bundles on a real Redis Cluster: a batch's script call and reads of one `{u:<id>}` slot go as one
 * bundle call to the node owning the slot, each answered as alone, beside another slot's calls.
 */
import { Cluster } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisBatch, registerScripts, runScript, type ScriptDefinition } from '../../src/redis/index.js';
import { connectTestRedis, createTestPrefix, deleteKeysWithPrefix } from '../support/redis.js';

const increment: ScriptDefinition = {
  name: 'bundleClusterIncrement',
  numberOfKeys: 1,
  lua: 'return redis.call("INCRBY", KEYS[1], ARGV[1])',
};

describe('a batch of one slot’s script call and reads on a Redis Cluster', () => {
  const redis = connectTestRedis();
  const prefix = createTestPrefix();

  afterAll(async () => {
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  });

  it('runs them as one bundle call on the slot’s node, each answered as alone', async () => {
    expect(redis).toBeInstanceOf(Cluster);
    registerScripts(redis, [increment]);
    const key = (user: string, name: string) => `${prefix}:{u:${user}}:${name}`;
    await redis.hset(key('1', 'hash'), 'a', '1');
    await redis.rpush(key('2', 'list'), 'x');
    const replies = await RedisBatch.together((batch) =>
      Promise.all([
        runScript(redis, 'bundleClusterIncrement', [key('1', 'count')], [3], batch),
        RedisBatch.read(redis, batch, key('1', 'hash'), 'hgetall'),
        RedisBatch.read(redis, batch, key('1', 'count'), 'get'),
        runScript(redis, 'bundleClusterIncrement', [key('2', 'count')], [4], batch),
        RedisBatch.read(redis, batch, key('2', 'list'), 'lrange', 0, -1),
      ]),
    );
    expect(replies).toEqual([3, { a: '1' }, '3', 4, ['x']]);
    // Both slots folded: the bundle of the script and readSlot was defined on the client for them.
    expect('chorus:bundle:bundleClusterIncrement+readSlot' in redis).toBe(true);
  });
});
