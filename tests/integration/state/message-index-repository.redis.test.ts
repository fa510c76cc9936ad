/** MessageIndexRepository against real Redis: every posted chunk indexed, with the 7-day TTL. */
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisBatch } from '../../../src/redis/index.js';
import { MessageIndexRepository } from '../../../src/state/index.js';
import { buildPostedMessageKey } from '../../../src/state/keys.js';
import { createTestPrefix, createTestRedis, deleteKeysWithPrefix } from '../../support/redis.js';

const redis = createTestRedis();
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

describe('MessageIndexRepository', () => {
  it('indexes every chunk under the personality, expiring in 7 days', async () => {
    const repository = new MessageIndexRepository(redis, { prefix });
    const posted = {
      personalityId: 'alicepersona',
      userId: '100000000000000001',
      channelId: '200000000000000001',
    };
    await repository.indexPosted({ ...posted, messageIds: ['400000000000000001', '400000000000000002'] });
    expect(await repository.fetchPersonalityForMessage('400000000000000002')).toEqual(posted);
    expect(await repository.fetchPersonalityForMessage('400000000000000009')).toBeNull();
    expect(
      await RedisBatch.together((batch) =>
        Promise.all([
          repository.fetchPersonalityForMessage('400000000000000001', batch),
          repository.fetchPersonalityForMessage('400000000000000009', batch),
        ]),
      ),
    ).toEqual([posted, null]);
    const ttl = await redis.pttl(buildPostedMessageKey(prefix, '400000000000000001'));
    expect(ttl).toBeGreaterThan(7 * 24 * 3600 * 1000 - 60_000);
    expect(ttl).toBeLessThanOrEqual(7 * 24 * 3600 * 1000);
  });

  describe('when the entry expired', () => {
    it('answers null', async () => {
      const repository = new MessageIndexRepository(redis, { prefix, ttlMs: 20 });
      await repository.indexPosted({
        messageIds: ['400000000000000001'],
        personalityId: 'alicepersona',
        userId: '100000000000000001',
        channelId: '200000000000000001',
      });
      await new Promise((resolve) => setTimeout(resolve, 60));
      expect(await repository.fetchPersonalityForMessage('400000000000000001')).toBeNull();
    });
  });
});
