/** GreetingRepository against real Redis: once per channel or user and personality, expiring, gone with /forget-me. */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GreetingRepository, UserDataEraser } from '../../../src/state/index.js';
import { buildChannelGreetedKey, buildUserGreetedKey } from '../../../src/state/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const redis = createTestRedis();
const USER = '100000000000000002';
const CHANNEL = '100000000000000003';
let prefix: string;

beforeEach(() => {
  prefix = createTestPrefix();
});

afterEach(async () => {
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await redis.quit();
});

describe('GreetingRepository', () => {
  it('says to greet a channel once per personality, and the marker expires', async () => {
    const greetings = new GreetingRepository(redis, { prefix, markerTtlSeconds: 600 });
    const marks = await Promise.all([
      greetings.markChannelGreeted(CHANNEL, 'personalityaaa1'),
      greetings.markChannelGreeted(CHANNEL, 'personalityaaa1'),
    ]);
    expect(marks.sort()).toEqual([false, true]);
    expect(await greetings.markChannelGreeted(CHANNEL, 'personalitybbb2')).toBe(true);
    const ttl = await redis.ttl(buildChannelGreetedKey(prefix, CHANNEL));
    expect(ttl).toBeGreaterThan(590);
    expect(ttl).toBeLessThanOrEqual(600);
  });

  it('says to greet a user once per personality, until /forget-me', async () => {
    const greetings = new GreetingRepository(redis, { prefix });
    expect(await greetings.markUserGreeted(USER, 'personalityaaa1')).toBe(true);
    expect(await greetings.markUserGreeted(USER, 'personalityaaa1')).toBe(false);
    expect(await redis.ttl(buildUserGreetedKey(prefix, USER))).toBeGreaterThan(364 * 24 * 3600);
    await new UserDataEraser(redis, { prefix }).forgetUser(USER);
    expect(await redis.exists(buildUserGreetedKey(prefix, USER))).toBe(0);
    expect(await greetings.markUserGreeted(USER, 'personalityaaa1')).toBe(true);
  });
});
