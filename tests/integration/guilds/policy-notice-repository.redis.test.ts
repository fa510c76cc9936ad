import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { PolicyNoticeRepository } from '../../../src/guilds/index.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const USER = '100000000000000001';
const redis = createTestRedis();
const prefix = createTestPrefix();

afterEach(async () => {
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

describe('PolicyNoticeRepository', () => {
  it('lets one claim per user through in a window, whichever instance claims', async () => {
    const first = new PolicyNoticeRepository(redis, { prefix, windowMs: 200 });
    const second = new PolicyNoticeRepository(redis, { prefix, windowMs: 200 });
    expect(await first.claim(USER)).toBe(true);
    expect(await second.claim(USER)).toBe(false);
    expect(await second.claim('100000000000000002')).toBe(true);
    await sleep(300);
    expect(await first.claim(USER)).toBe(true);
  });
});
