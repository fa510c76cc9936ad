/** MessageEventRepository against real Redis: deletion marks, edits, and the live cancel publish. */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildCancelChannel, MessageEventRepository } from '../../../src/state/index.js';
import { buildDeletedMessageKey } from '../../../src/state/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const redis = createTestRedis();
const subscriber = createTestRedis();
let prefix: string;

beforeEach(() => {
  prefix = createTestPrefix();
});

afterEach(async () => {
  await deleteKeysWithPrefix(redis, prefix);
});

afterAll(async () => {
  await Promise.all([redis.quit(), subscriber.quit()]);
});

describe('MessageEventRepository', () => {
  it('marks a message deleted for about a day', async () => {
    const events = new MessageEventRepository(redis, { prefix });
    expect(await events.isDeleted('400000000000000001')).toBe(false);
    await events.markDeleted('400000000000000001');
    expect(await events.isDeleted('400000000000000001')).toBe(true);
    expect(await redis.pttl(buildDeletedMessageKey(prefix, '400000000000000001'))).toBeGreaterThan(
      23 * 3600 * 1000,
    );
  });

  it('keeps the latest edit', async () => {
    const events = new MessageEventRepository(redis, { prefix });
    expect(await events.fetchEdit('400000000000000001')).toBeNull();
    await events.recordEdit('400000000000000001', 'first');
    await events.recordEdit('400000000000000001', 'second');
    expect(await events.fetchEdit('400000000000000001')).toBe('second');
  });

  it('publishes deletions on the cancel channel', async () => {
    const events = new MessageEventRepository(redis, { prefix });
    const received = new Promise<[string, string]>((resolve) => {
      subscriber.on('message', (channel: string, message: string) => resolve([channel, message]));
    });
    await subscriber.subscribe(buildCancelChannel(prefix));
    expect(await events.publishDeleted('400000000000000001')).toBe(1);
    expect(await received).toEqual([buildCancelChannel(prefix), '400000000000000001']);
    await subscriber.unsubscribe();
  });
});
