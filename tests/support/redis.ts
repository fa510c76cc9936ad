import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis every test talks to: the real server, never a mock. */
export const TEST_REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A fresh `test-<uuid>` prefix: each test file works under its own, and deletes only its own keys. */
export function createTestPrefix(): string {
  return `test-${randomUUID()}`;
}

export function createTestRedis(): Redis {
  return new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: null, connectionName: 'chorus-test' });
}

/**
 * Deletes every key under `prefix` (ours and BullMQ's, which may sit inside a `{…}` hash tag). Never FLUSHDB:
 * other runs share this server.
 */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  for (const pattern of [`${prefix}*`, `{${prefix}}*`, `*${prefix}*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.unlink(...keys);
    } while (cursor !== '0');
  }
  return deleted;
}
