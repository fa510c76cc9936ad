/** replaceHashFieldIf on real Redis: a rewrite of a value read earlier loses to any write made since. */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildKey, replaceHashFieldIf } from '../../../src/redis/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const redis = createTestRedis();
let key: string;
let prefix: string;

beforeEach(() => {
  prefix = createTestPrefix();
  key = buildKey(prefix, 'hash');
});

afterEach(async () => {
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

describe('replaceHashFieldIf', () => {
  it('replaces a field that still holds the value read', async () => {
    await redis.hset(key, 'field', 'old');
    expect(await replaceHashFieldIf(redis, key, 'field', 'old', 'new')).toBe(true);
    expect(await redis.hget(key, 'field')).toBe('new');
  });

  it('leaves a field written meanwhile', async () => {
    await redis.hset(key, 'field', 'newer');
    expect(await replaceHashFieldIf(redis, key, 'field', 'old', 'new')).toBe(false);
    expect(await redis.hget(key, 'field')).toBe('newer');
  });

  it('never brings back a deleted field', async () => {
    await redis.hset(key, 'other', 'x');
    expect(await replaceHashFieldIf(redis, key, 'field', 'old', 'new')).toBe(false);
    expect(await redis.hexists(key, 'field')).toBe(0);
  });
});
